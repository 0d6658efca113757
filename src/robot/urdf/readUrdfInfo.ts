/**
 * The one URDF parser of the robot links: what the MuJoCo link needs beyond MuJoCo's own URDF
 * import (robot name, root link, `<limit effort velocity>`, ros2_control command interfaces) and
 * what the ROS 2 link needs to describe a robot without a simulator (the kinematic tree and
 * `<limit lower upper>`). Read once with fast-xml-parser; see {@link readUrdfInfo}.
 */
import { XMLParser } from 'fast-xml-parser';
import { StriderError } from '../../util/StriderError.js';
import type { CommandInterface } from '../types.js';
import { asArray, asObject, attr, finiteOrNull, type XmlObject } from './xml.js';

/** Limits a URDF `<joint><limit .../>` gives; null where absent. */
export interface UrdfJointLimits {
  /** |effort| in N m or N */
  readonly effort: number | null;
  /** |velocity| in rad/s or m/s */
  readonly velocity: number | null;
}

/** One `<joint>` as the kinematic tree needs it. */
export interface UrdfJoint {
  readonly name: string;
  /** revolute, continuous, prismatic, fixed, floating, planar ('' when absent) */
  readonly type: string;
  /** Parent and child link names ('' when absent). */
  readonly parent: string;
  readonly child: string;
  /** `<limit lower upper>` in rad or m; null where absent. */
  readonly lower: number | null;
  readonly upper: number | null;
}

/** One joint of a `<ros2_control>` block that has at least one command interface. */
export interface Ros2ControlJoint {
  readonly joint: string;
  /** The first command interface listed: the one the link actuates. */
  readonly commandInterface: CommandInterface;
  /** `<param name=...>` values of the joint, as written. */
  readonly params: Readonly<Record<string, string>>;
  /** The position state interface's `<param name="initial_value">` (where gz_ros2_control
   * spawns the joint), rad or m; null where absent or not a number. */
  readonly initialPosition: number | null;
}

/** What the links need from a URDF. */
export interface UrdfInfo {
  readonly robotName: string;
  /** The link that is nobody's child. */
  readonly rootLink: string;
  readonly limits: ReadonlyMap<string, UrdfJointLimits>;
  /** Joint type per joint name (revolute, continuous, prismatic, fixed, floating, planar). */
  readonly jointTypes: ReadonlyMap<string, string>;
  /** Every named `<joint>`, in document order. */
  readonly joints: readonly UrdfJoint[];
  /** ros2_control joints with a command interface, in ros2_control order (first block wins). */
  readonly ros2Control: readonly Ros2ControlJoint[];
}

function isCommandInterface(name: string): name is CommandInterface {
  return name === 'effort' || name === 'position' || name === 'velocity';
}

/**
 * Read the URDF's name, root link, joints with their limits and the ros2_control command
 * interfaces. `file` names the URDF in error messages. Throws StriderError MODEL_LOAD when the
 * text is not well-formed XML, not a URDF `<robot>`, or has no root link.
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
  const limits = new Map<string, UrdfJointLimits>();
  const jointTypes = new Map<string, string>();
  const joints: UrdfJoint[] = [];
  const children = new Set<string>();
  for (const j of asArray(robot['joint']).map(asObject)) {
    const name = attr(j, 'name');
    if (name === undefined) continue;
    const type = attr(j, 'type') ?? '';
    jointTypes.set(name, type);
    const child = attr(asObject(j['child']), 'link');
    if (child !== undefined) children.add(child);
    const limit = asObject(asArray(j['limit'])[0]);
    limits.set(name, {
      effort: finiteOrNull(attr(limit, 'effort')),
      velocity: finiteOrNull(attr(limit, 'velocity')),
    });
    joints.push({
      name,
      type,
      parent: attr(asObject(j['parent']), 'link') ?? '',
      child: child ?? '',
      lower: finiteOrNull(attr(limit, 'lower')),
      upper: finiteOrNull(attr(limit, 'upper')),
    });
  }
  const rootLink = links
    .map((l) => attr(l, 'name'))
    .find((n) => n !== undefined && !children.has(n));
  if (rootLink === undefined) {
    throw new StriderError('MODEL_LOAD', `URDF "${file}" has no root link (every link is a child)`);
  }
  return {
    robotName: attr(robot, 'name') ?? '',
    rootLink,
    limits,
    jointTypes,
    joints,
    ros2Control: readRos2Control(robot),
  };
}

/** The `<ros2_control>` joints with a command interface; a joint listed twice counts once. */
function readRos2Control(robot: XmlObject): Ros2ControlJoint[] {
  const out: Ros2ControlJoint[] = [];
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
      out.push({ joint, commandInterface: first, params, initialPosition: initialPosition(j) });
    }
  }
  return out;
}

/** `<state_interface name="position"><param name="initial_value">` of a ros2_control joint. */
function initialPosition(joint: XmlObject): number | null {
  for (const si of asArray(joint['state_interface']).map(asObject)) {
    if (attr(si, 'name') !== 'position') continue;
    for (const p of asArray(si['param']).map(asObject)) {
      if (attr(p, 'name') !== 'initial_value') continue;
      const text = p['#text'];
      const v = typeof text === 'number' ? text : typeof text === 'string' ? Number(text) : NaN;
      return Number.isFinite(v) ? v : null;
    }
  }
  return null;
}

/**
 * The ros2_control joints that carry a command: {@link UrdfInfo.ros2Control} without those on
 * fixed joints, in ros2_control order. Both links actuate exactly these. Throws StriderError
 * MODEL_LOAD naming `file` when a ros2_control joint is not a `<joint>` of the URDF.
 */
export function commandedRos2ControlJoints(
  info: UrdfInfo,
  file: string,
): readonly Ros2ControlJoint[] {
  const out: Ros2ControlJoint[] = [];
  for (const rc of info.ros2Control) {
    const type = info.jointTypes.get(rc.joint);
    if (type === undefined) {
      throw new StriderError(
        'MODEL_LOAD',
        `<ros2_control> in "${file}" names joint "${rc.joint}", which the URDF does not define`,
      );
    }
    if (type !== 'fixed') out.push(rc);
  }
  return out;
}
