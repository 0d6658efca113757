/**
 * rcl's rules the rclnodejs fake applies: names (rmw_validate_node_name, rmw_validate_namespace,
 * rcl_validate_topic_name, rcl_expand_topic_name, which rclnodejs reaches through its native
 * binding: lib/validator.js, lib/node.js createNode / createPublisher / createSubscription),
 * parameter overrides from `--ros-args -p name:=value` (rcl_arguments, rcl_yaml_param_parser;
 * rclnodejs lib/node.js _getNativeParameterOverrides), and DDS's request/offered QoS matching.
 */

const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RMW_NODE_NAME_MAX_NAME_LENGTH */
const NODE_NAME_MAX = 255;
/** RMW_TOPIC_MAX_NAME_LENGTH (255 minus the DDS prefix "rt") */
const TOPIC_MAX = 247;

/** Thrown as rclnodejs's NameValidationError is. */
export class NameValidationError extends Error {}

export function validateNodeName(name: string): void {
  if (name === '') throw new NameValidationError('Invalid node name: node name must not be empty');
  if (name.length > NODE_NAME_MAX)
    throw new NameValidationError(`Invalid node name: too long: ${name}`);
  if (!TOKEN.test(name)) {
    throw new NameValidationError(
      `Invalid node name: "${name}": only alphanumerics and _, not starting with a number`,
    );
  }
}

/** Absolute, '/'-separated tokens; '' is taken as '/' (rclnodejs passes it to rcl, which does). */
export function validateNamespace(ns: string): void {
  if (ns === '' || ns === '/') return;
  if (!ns.startsWith('/'))
    throw new NameValidationError(`Invalid namespace: "${ns}" must be absolute`);
  if (ns.endsWith('/')) throw new NameValidationError(`Invalid namespace: "${ns}" ends with /`);
  if (
    !ns
      .slice(1)
      .split('/')
      .every((t) => TOKEN.test(t))
  ) {
    throw new NameValidationError(
      `Invalid namespace: "${ns}": tokens of alphanumerics and _, not starting with a number, single /`,
    );
  }
}

/** rcl_validate_topic_name (no {substitutions}: strider uses none) and the fully expanded name. */
export function expandTopicName(topic: string, nodeName: string, namespace: string): string {
  const bad = (why: string) => new NameValidationError(`Invalid topic name "${topic}": ${why}`);
  if (topic === '') throw bad('must not be empty');
  if (topic.endsWith('/')) throw bad('must not end with /');
  if (topic.includes('{')) throw bad('substitutions are not supported here');
  let rest = topic;
  let prefix: string;
  if (topic.startsWith('/')) {
    prefix = '';
    rest = topic.slice(1);
  } else if (topic === '~' || topic.startsWith('~/')) {
    prefix = `${namespace === '/' ? '' : namespace}/${nodeName}`;
    rest = topic.slice(2);
  } else {
    if (topic.includes('~')) throw bad('~ only at the start, followed by /');
    prefix = namespace === '/' ? '' : namespace;
  }
  if (rest !== '' && !rest.split('/').every((t) => TOKEN.test(t))) {
    throw bad('tokens of alphanumerics and _, not starting with a number, separated by single /');
  }
  const full = rest === '' ? prefix : `${prefix}/${rest}`;
  if (full.length > TOPIC_MAX) throw bad(`longer than ${TOPIC_MAX} characters expanded`);
  return full;
}

/** A parameter override as rcl parses `name:=value` (a YAML scalar). */
export interface RosParameterOverride {
  readonly node: string;
  readonly name: string;
  readonly value: boolean | bigint | number | string;
}

const TRUE = ['Y', 'y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const FALSE = ['N', 'n', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];

/** rcl_yaml_param_parser get_value(): bool words, integer, double, else string. */
export function parseYamlScalar(text: string): boolean | bigint | number | string {
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  if (/^[+-]?\d+$/.test(text)) return BigInt(text);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^[+-]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return Number.NaN;
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(text);
  return quoted === null ? text : (quoted[1] ?? quoted[2] ?? '');
}

/**
 * The `-p [node:]name:=value` rules between `--ros-args` and `--` (or the end); node '/**' for a
 * rule without a node. Throws as rcl_parse_arguments does on a malformed rule.
 */
export function parseRosArgs(argv: readonly string[]): RosParameterOverride[] {
  const out: RosParameterOverride[] = [];
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--ros-args') {
      inRos = true;
    } else if (inRos && a === '--') {
      inRos = false;
    } else if (inRos && (a === '-p' || a === '--param')) {
      const rule = argv[++i];
      const m = rule === undefined ? null : /^(?:([^:]+):)?([^:=]+):=(.*)$/.exec(rule);
      if (m === null) throw new Error(`Couldn't parse parameter override rule: '${rule ?? ''}'`);
      out.push({ node: m[1] ?? '/**', name: m[2]!, value: parseYamlScalar(m[3]!) });
    }
  }
  return out;
}

/** The rmw QoS policies a fake endpoint carries (rclnodejs.QoS's numbers). */
export interface EndpointQos {
  readonly reliability: 'reliable' | 'best_effort';
  readonly durability: 'volatile' | 'transient_local';
  readonly depth: number;
  readonly keepAll: boolean;
}

/**
 * Whether a subscription requesting `sub` matches a publisher offering `pub` (DDS request vs
 * offered: the offer must be at least as strong). Deadline, liveliness and lifespan are not used.
 */
export function qosCompatible(pub: EndpointQos, sub: EndpointQos): string | null {
  if (sub.reliability === 'reliable' && pub.reliability === 'best_effort') {
    return 'a reliable subscription does not match a best-effort publisher';
  }
  if (sub.durability === 'transient_local' && pub.durability === 'volatile') {
    return 'a transient_local subscription does not match a volatile publisher';
  }
  return null;
}
