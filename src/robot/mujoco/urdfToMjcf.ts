/**
 * URDF import for the MuJoCo link: what MuJoCo's own URDF importer does not do, done here.
 *
 * MuJoCo's URDF importer welds the root link to the world (and, with its default `fusestatic`,
 * merges it into the world body), and it ignores transmissions and ros2_control. A robot
 * described for Gazebo therefore loads with a fixed base and no actuators. The link fixes that
 * in four steps, all through MuJoCo's own parser so meshes, inertias and joint conventions are
 * exactly MuJoCo's:
 *
 * 1. readUrdfInfo (../urdf/, the URDF parser shared with the ROS 2 link): read the URDF XML for
 *    what MuJoCo drops: the robot name, root link, per-joint `<limit effort velocity>` and the
 *    `<ros2_control>` joints with their command interfaces and `<param>`s.
 * 2. {@link urdfForMujoco}: add MuJoCo's URDF extension `<mujoco><compiler fusestatic="false"/>`
 *    so the root link stays a body (a user's own `<mujoco>` block is kept and only completed).
 * 3. loadModel.ts loads that URDF with `MjModel.loadFromXML` and writes MuJoCo's MJCF translation
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
  /** Position servo damping in N m s/rad (MJCF `<position kv>`); absent or 0: none. */
  readonly positionKv?: number;
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
        ...(a.positionKv !== undefined && a.positionKv > 0 ? { kv: fmt(a.positionKv) } : {}),
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
