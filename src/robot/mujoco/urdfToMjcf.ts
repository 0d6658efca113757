/**
 * URDF import for the MuJoCo link: what MuJoCo's own URDF importer does not do, done here.
 *
 * MuJoCo's URDF importer welds the root link to the world (and, with its default `fusestatic`,
 * merges it into the world body), and it ignores transmissions and ros2_control. A robot
 * described for Gazebo therefore loads with a fixed base and no actuators. The link fixes that
 * in four steps, all through MuJoCo's own parser so meshes, inertias and joint conventions are
 * exactly MuJoCo's:
 *
 * 1. {@link readUrdfInfo}: read the URDF XML (fast-xml-parser) for what MuJoCo drops: the robot
 *    name, root link, per-joint `<limit effort velocity>` and the `<ros2_control>` joints with
 *    their command interfaces and `<param>`s.
 * 2. {@link urdfForMujoco}: add MuJoCo's URDF extension `<mujoco><compiler fusestatic="false"/>`
 *    so the root link stays a body (a user's own `<mujoco>` block is kept and only completed).
 * 3. The link loads that URDF with `MjModel.loadFromXML` and writes MuJoCo's MJCF translation
 *    with `mj_saveLastXML`.
 * 4. {@link augmentMjcf} edits that MJCF: a free joint `floating_base` as the root body's first
 *    joint (when `floatingBase`), the root lifted to the base height, one actuator per
 *    ros2_control joint with a command interface, in ros2_control order (effort -> `<motor>` with
 *    ctrlrange = +-effort limit; position -> `<position>` servo with kp from `<param name="kp">`
 *    or the default, ctrlrange = joint limits, forcerange = +-effort limit; velocity ->
 *    `<velocity>` servo with kv from `<param name="kv">`), and a floor plane and a light when the
 *    world has no plane. The link compiles the result with `loadFromXML` again.
 *
 * Why not MjSpec: mujoco-js 0.0.7 exposes `parseXMLString` and the `mjs_*` editing functions but
 * no `mj_compile` (nor an MjModel constructor from a spec), so an edited spec cannot become a
 * model in this build. The save/edit/reload path gives the same result with MuJoCo's parser.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { StriderError } from '../../util/StriderError.js';
import type { CommandInterface } from '../types.js';

/** Limits a URDF `<joint><limit .../>` gives; null where absent. */
export interface UrdfJointLimits {
  /** |effort| in N m or N */
  readonly effort: number | null;
  /** |velocity| in rad/s or m/s */
  readonly velocity: number | null;
}

/** One joint of a `<ros2_control>` block that has at least one command interface. */
export interface Ros2ControlJoint {
  readonly joint: string;
  /** The first command interface listed: the one the link actuates. */
  readonly commandInterface: CommandInterface;
  /** `<param name=...>` values of the joint, as written. */
  readonly params: Readonly<Record<string, string>>;
}

/** What the link needs from a URDF beyond MuJoCo's import. */
export interface UrdfInfo {
  readonly robotName: string;
  /** The link that is nobody's child. */
  readonly rootLink: string;
  readonly limits: ReadonlyMap<string, UrdfJointLimits>;
  /** Joint type per joint name (revolute, continuous, prismatic, fixed, floating, planar). */
  readonly jointTypes: ReadonlyMap<string, string>;
  readonly ros2Control: readonly Ros2ControlJoint[];
}

type XmlObject = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

function asObject(value: unknown): XmlObject {
  return typeof value === 'object' && value !== null ? (value as XmlObject) : {};
}

function attr(node: XmlObject, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

function finiteOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

function isCommandInterface(name: string): name is CommandInterface {
  return name === 'effort' || name === 'position' || name === 'velocity';
}

/** The root element's name and its attributes, for telling MJCF from URDF. */
export function xmlRootElement(text: string): {
  name: string;
  attrs: Readonly<Record<string, string>>;
} {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const doc = asObject(parser.parse(text));
  for (const [key, value] of Object.entries(doc)) {
    if (key.startsWith('?') || key.startsWith('#')) continue;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(value))) {
      if (k.startsWith('@_') && typeof v === 'string') attrs[k.slice(2)] = v;
    }
    return { name: key, attrs };
  }
  return { name: '', attrs: {} };
}

/**
 * Read the URDF's name, root link, joint limits and ros2_control command interfaces.
 * `file` names the URDF in error messages. Throws StriderError MODEL_LOAD when the text is not a
 * URDF `<robot>` or has no root link.
 */
export function readUrdfInfo(text: string, file: string): UrdfInfo {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    isArray: (name) =>
      ['link', 'joint', 'ros2_control', 'command_interface', 'param', 'state_interface'].includes(
        name,
      ),
  });
  let doc: XmlObject;
  try {
    doc = asObject(parser.parse(text));
  } catch (err) {
    throw new StriderError('MODEL_LOAD', `URDF "${file}" is not well-formed XML`, { cause: err });
  }
  const robot = asObject(doc['robot']);
  if (doc['robot'] === undefined) {
    throw new StriderError('MODEL_LOAD', `URDF "${file}" has no <robot> root element`);
  }
  const links = asArray(robot['link']).map(asObject);
  const joints = asArray(robot['joint']).map(asObject);
  const limits = new Map<string, UrdfJointLimits>();
  const jointTypes = new Map<string, string>();
  const children = new Set<string>();
  for (const j of joints) {
    const name = attr(j, 'name');
    if (name === undefined) continue;
    jointTypes.set(name, attr(j, 'type') ?? '');
    const child = attr(asObject(j['child']), 'link');
    if (child !== undefined) children.add(child);
    const limit = asObject(asArray(j['limit'])[0]);
    limits.set(name, {
      effort: finiteOrNull(attr(limit, 'effort')),
      velocity: finiteOrNull(attr(limit, 'velocity')),
    });
  }
  const rootLink = links
    .map((l) => attr(l, 'name'))
    .find((n) => n !== undefined && !children.has(n));
  if (rootLink === undefined) {
    throw new StriderError('MODEL_LOAD', `URDF "${file}" has no root link (every link is a child)`);
  }
  const ros2Control: Ros2ControlJoint[] = [];
  const seen = new Set<string>();
  for (const block of asArray(robot['ros2_control']).map(asObject)) {
    for (const j of asArray(block['joint']).map(asObject)) {
      const joint = attr(j, 'name');
      if (joint === undefined || seen.has(joint)) continue;
      const first = asArray(j['command_interface'])
        .map((c) => attr(asObject(c), 'name'))
        .find((n) => n !== undefined && isCommandInterface(n));
      if (first === undefined || !isCommandInterface(first)) continue;
      const params: Record<string, string> = {};
      for (const p of asArray(j['param'])) {
        const po = asObject(p);
        const pname = attr(po, 'name');
        const ptext = po['#text'];
        if (pname !== undefined && (typeof ptext === 'string' || typeof ptext === 'number')) {
          params[pname] = String(ptext);
        }
      }
      seen.add(joint);
      ros2Control.push({ joint, commandInterface: first, params });
    }
  }
  return {
    robotName: attr(robot, 'name') ?? '',
    rootLink,
    limits,
    jointTypes,
    ros2Control,
  };
}

/**
 * The URDF text with MuJoCo's URDF extension asking it to keep the root link as a body
 * (`<mujoco><compiler fusestatic="false"/></mujoco>`). An existing `<mujoco>` block keeps its
 * settings; only a missing `fusestatic` is added.
 */
export function urdfForMujoco(text: string): string {
  const compilerRe = /<compiler\b([^>]*?)(\/?)>/;
  const mujocoBlock = /<mujoco\b[^>]*>([\s\S]*?)<\/mujoco>/.exec(text);
  if (mujocoBlock !== null) {
    const inner = mujocoBlock[1] ?? '';
    const compiler = compilerRe.exec(inner);
    if (compiler !== null) {
      if (/\bfusestatic\s*=/.test(compiler[1] ?? '')) return text;
      const replaced = inner.replace(compilerRe, `<compiler fusestatic="false"$1$2>`);
      return text.replace(inner, replaced);
    }
    return text.replace(inner, `<compiler fusestatic="false"/>${inner}`);
  }
  const robotOpen = /<robot\b[^>]*>/.exec(text);
  if (robotOpen === null) return text;
  const at = robotOpen.index + robotOpen[0].length;
  return `${text.slice(0, at)}\n  <mujoco><compiler fusestatic="false"/></mujoco>${text.slice(at)}`;
}

/** One actuator to add to the MJCF, in command order. */
export interface ActuatorToAdd {
  readonly joint: string;
  readonly commandInterface: CommandInterface;
  /** |effort| limit in N m or N; null: unlimited. */
  readonly effortLimit: number | null;
  /** Position servo stiffness in N m/rad (position interface only). */
  readonly kp: number;
  /** Velocity servo gain in N m s/rad (velocity interface only). */
  readonly kv: number;
}

/** How {@link augmentMjcf} edits MuJoCo's MJCF translation of a URDF. */
export interface MjcfEdits {
  /** Root body to float and lift (the URDF root link). */
  readonly rootBody: string;
  readonly floatingBase: boolean;
  /** World z of the root body origin in m; undefined keeps it. */
  readonly baseHeightM?: number;
  readonly actuators: readonly ActuatorToAdd[];
  /** Add a floor plane and a light when the world body has no plane geom. */
  readonly addFloor: boolean;
}

// fast-xml-parser's preserveOrder form: each node is { tag: children[], ':@'?: attributes }.
type OrderedNode = Record<string, unknown>;
const ATTRS = ':@';

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ATTRS);
}

function childrenOf(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  if (tag === undefined) return [];
  const c = node[tag];
  return Array.isArray(c) ? (c as OrderedNode[]) : [];
}

function attrsOf(node: OrderedNode): Record<string, string> {
  const a = node[ATTRS];
  if (typeof a === 'object' && a !== null) return a as Record<string, string>;
  const created: Record<string, string> = {};
  node[ATTRS] = created;
  return created;
}

function element(
  tag: string,
  attributes: Record<string, string>,
  children: OrderedNode[] = [],
): OrderedNode {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) a[`@_${k}`] = v;
  return { [tag]: children, [ATTRS]: a };
}

function findBody(nodes: OrderedNode[], name: string): OrderedNode | undefined {
  for (const n of nodes) {
    if (tagOf(n) === 'body' && attrsOf(n)['@_name'] === name) return n;
    const inner = findBody(childrenOf(n), name);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(v) : '0';
}

/**
 * Apply {@link MjcfEdits} to an MJCF document (MuJoCo's translation of a URDF) and return the new
 * text. Throws StriderError MODEL_LOAD naming `file` when the document has no `<mujoco>` root, no
 * `<worldbody>` or no body `rootBody`.
 */
export function augmentMjcf(
  mjcf: string,
  edits: MjcfEdits,
  jointRanges: ReadonlyMap<string, readonly [number, number]>,
  file: string,
): string {
  const options = {
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    suppressEmptyNode: true,
    format: true,
  } as const;
  const doc = new XMLParser(options).parse(mjcf) as OrderedNode[];
  const root = doc.find((n) => tagOf(n) === 'mujoco');
  if (root === undefined) {
    throw new StriderError('MODEL_LOAD', `MuJoCo's translation of "${file}" has no <mujoco> root`);
  }
  const top = childrenOf(root);
  const worldbody = top.find((n) => tagOf(n) === 'worldbody');
  if (worldbody === undefined) {
    throw new StriderError('MODEL_LOAD', `MuJoCo's translation of "${file}" has no <worldbody>`);
  }
  const world = childrenOf(worldbody);
  const body = findBody(world, edits.rootBody);
  if (body === undefined) {
    throw new StriderError(
      'MODEL_LOAD',
      `root link "${edits.rootBody}" of "${file}" is not a body in MuJoCo's translation`,
    );
  }
  const bodyChildren = childrenOf(body);
  const hasJoint = bodyChildren.some((n) => {
    const t = tagOf(n);
    return t === 'joint' || t === 'freejoint';
  });
  if (edits.floatingBase && !hasJoint) {
    bodyChildren.unshift(element('freejoint', { name: 'floating_base' }));
  }
  if (edits.baseHeightM !== undefined) {
    const a = attrsOf(body);
    const pos = (a['@_pos'] ?? '0 0 0').trim().split(/\s+/).map(Number);
    a['@_pos'] = `${fmt(pos[0] ?? 0)} ${fmt(pos[1] ?? 0)} ${fmt(edits.baseHeightM)}`;
  }
  if (
    edits.addFloor &&
    !world.some((n) => tagOf(n) === 'geom' && attrsOf(n)['@_type'] === 'plane')
  ) {
    world.unshift(
      element('geom', {
        name: 'floor',
        type: 'plane',
        size: '0 0 0.05',
        friction: '1 0.005 0.0001',
        rgba: '0.8 0.8 0.8 1',
      }),
      element('light', { name: 'sun', pos: '0 0 4', dir: '0 0 -1', directional: 'true' }),
    );
  }
  if (edits.actuators.length > 0) {
    let actuatorNode = top.find((n) => tagOf(n) === 'actuator');
    if (actuatorNode === undefined) {
      actuatorNode = element('actuator', {});
      top.push(actuatorNode);
    }
    const list = childrenOf(actuatorNode);
    for (const a of edits.actuators) {
      list.push(actuatorElement(a, jointRanges.get(a.joint)));
    }
  }
  // fast-xml-parser 5 marks XMLBuilder deprecated in favour of the separate fast-xml-builder
  // package, which is not a declared dependency of this project; the bundled one is kept.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return new XMLBuilder(options).build(doc);
}

function actuatorElement(
  a: ActuatorToAdd,
  range: readonly [number, number] | undefined,
): OrderedNode {
  const limit = a.effortLimit;
  const force: Record<string, string> =
    limit !== null && limit > 0
      ? { forcelimited: 'true', forcerange: `${fmt(-limit)} ${fmt(limit)}` }
      : {};
  switch (a.commandInterface) {
    case 'effort':
      return element('motor', {
        name: `${a.joint}_effort`,
        joint: a.joint,
        gear: '1',
        ...(limit !== null && limit > 0
          ? { ctrllimited: 'true', ctrlrange: `${fmt(-limit)} ${fmt(limit)}` }
          : { ctrllimited: 'false' }),
      });
    case 'position':
      return element('position', {
        name: `${a.joint}_position`,
        joint: a.joint,
        kp: fmt(a.kp),
        ...(range !== undefined
          ? { ctrllimited: 'true', ctrlrange: `${fmt(range[0])} ${fmt(range[1])}` }
          : { ctrllimited: 'false' }),
        ...force,
      });
    case 'velocity':
      return element('velocity', {
        name: `${a.joint}_velocity`,
        joint: a.joint,
        kv: fmt(a.kv),
        ctrllimited: 'false',
        ...force,
      });
  }
}
