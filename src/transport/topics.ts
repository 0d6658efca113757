/**
 * MQTT topic names: `<prefix>/<robotId>/<channel>` with channel one of transitions, model,
 * policy, status. Pure functions, no I/O.
 */

import { StriderError } from '../util/StriderError.js';

/** The per-robot channels. */
const CHANNELS = ['transitions', 'model', 'policy', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Default topic prefix. */
const DEFAULT_TOPIC_PREFIX = 'strider';

/** A parsed topic. */
export interface ParsedTopic {
  readonly prefix: string;
  readonly robotId: string;
  readonly channel: Channel;
}

// A topic level must not be empty and must not hold the MQTT wildcards or the separator.
const LEVEL = /^[^/+#]+$/;

/**
 * Checks a prefix (one or more `/`-separated levels, no wildcards, not starting with `$`) or a
 * robot id (one level). Returns the problem, or undefined when valid.
 */
export function topicNameProblem(kind: 'prefix' | 'robotId', value: string): string | undefined {
  if (value.length === 0) return `${kind} is empty`;
  if (value.startsWith('$')) return `${kind} "${value}" starts with "$" (reserved by brokers)`;
  const levels = kind === 'prefix' ? value.split('/') : [value];
  for (const level of levels) {
    if (!LEVEL.test(level) || level.includes('\0')) {
      return `${kind} "${value}" has an empty level or one of "/", "+", "#"`;
    }
  }
  if (kind === 'robotId' && Buffer.byteLength(value, 'utf8') > 255) {
    return `robotId "${value.slice(0, 20)}..." is longer than 255 bytes`;
  }
  return undefined;
}

/** Builds topics under one prefix. Immutable; construction validates the prefix. */
export class Topics {
  readonly prefix: string;

  /** Throws CONFIG_INVALID naming the problem when `prefix` is not a valid topic prefix. */
  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    const problem = topicNameProblem('prefix', prefix);
    if (problem !== undefined) throw new StriderError('CONFIG_INVALID', `topic ${problem}`);
    this.prefix = prefix;
  }

  /** `<prefix>/<robotId>/<channel>`. Throws CONFIG_INVALID when `robotId` is not a single valid level. */
  topic(robotId: string, channel: Channel): string {
    const problem = topicNameProblem('robotId', robotId);
    if (problem !== undefined) throw new StriderError('CONFIG_INVALID', `topic ${problem}`);
    return `${this.prefix}/${robotId}/${channel}`;
  }

  /** `<prefix>/+/<channel>`: every robot's channel. */
  allRobots(channel: Channel): string {
    return `${this.prefix}/+/${channel}`;
  }

  /**
   * The shared-subscription filter `$share/<group>/<prefix>/+/<channel>`: the broker hands each
   * message to one subscriber of the group (MQTT 5; mosquitto also honours it for 3.1.1).
   */
  shared(group: string, channel: Channel = 'transitions'): string {
    const problem = topicNameProblem('robotId', group);
    if (problem !== undefined) {
      throw new StriderError(
        'CONFIG_INVALID',
        `topic ${problem.replace('robotId', 'share group')}`,
      );
    }
    return `$share/${group}/${this.allRobots(channel)}`;
  }

  /** Parses a concrete topic of this prefix; undefined when it is not one of ours. */
  parse(topic: string): ParsedTopic | undefined {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head)) return undefined;
    const rest = topic.slice(head.length).split('/');
    if (rest.length !== 2) return undefined;
    const [robotId, channel] = rest as [string, string];
    if (topicNameProblem('robotId', robotId) !== undefined) return undefined;
    if (!(CHANNELS as readonly string[]).includes(channel)) return undefined;
    return { prefix: this.prefix, robotId, channel: channel as Channel };
  }
}

/**
 * True when `topic` matches the subscription `filter` (`+` one level, `#` the rest). A
 * `$share/<group>/` prefix on the filter is ignored for matching, as brokers deliver the
 * inner filter's topics.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let f = filter;
  if (f.startsWith('$share/')) {
    const rest = f.slice('$share/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return false;
    f = rest.slice(slash + 1);
  }
  const fl = f.split('/');
  const tl = topic.split('/');
  // Wildcards at the first level do not match topics beginning with '$' (MQTT 4.7.2).
  if (topic.startsWith('$') && (fl[0] === '+' || fl[0] === '#')) return false;
  for (let i = 0; i < fl.length; i++) {
    const part = fl[i];
    if (part === '#') return true;
    if (i >= tl.length) return false;
    if (part !== '+' && part !== tl[i]) return false;
  }
  return fl.length === tl.length;
}
