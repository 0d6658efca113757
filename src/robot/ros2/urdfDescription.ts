import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { StriderError } from '../../util/StriderError.js';
import type { ActuatorInfo, BaseKind, JointInfo, RobotDescription } from '../types.js';
import {
  commandedRos2ControlJoints,
  readUrdfInfo,
  withUrdfHome,
  type UrdfJoint,
} from '../urdf/index.js';

const MOVABLE = new Set(['revolute', 'continuous', 'prismatic']);

/**
 * The RobotDescription of a ROS 2 robot, read from its URDF without a simulator, so that one
 * config drives MuJoCo and ROS 2 alike:
 * - joints: the movable joints (revolute, continuous, prismatic) in depth-first order of the
 *   kinematic tree from the root link, children in document order (the order MuJoCo's URDF
 *   import gives, so state layouts match the MuJoCo link's); limits from `<limit>`;
 * - actuators: the `<ros2_control>` joints with a command interface, in ros2_control order,
 *   named `<joint>_<interface>` like the MuJoCo link's; command limits: effort +-effort limit,
 *   position [lower, upper], velocity +-velocity limit (+-Infinity where the URDF gives none);
 * - base: the root link, of the kind the config says (a URDF does not say whether it floats).
 *
 * Throws StriderError MODEL_NOT_FOUND (no file), MODEL_LOAD (not a URDF; a ros2_control joint
 * the URDF does not define), MODEL_UNSUPPORTED (no ros2_control command interfaces).
 */
export function urdfDescription(modelPath: string, baseKind: BaseKind): RobotDescription {
  const abs = path.resolve(modelPath);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (cause) {
    throw new StriderError('MODEL_NOT_FOUND', `robot model "${abs}" cannot be read`, { cause });
  }
  return urdfDescriptionFromText(text, abs, baseKind);
}

/** {@link urdfDescription} of URDF text; `file` names it in errors and in the description. */
export function urdfDescriptionFromText(
  text: string,
  file: string,
  baseKind: BaseKind,
): RobotDescription {
  const info = readUrdfInfo(text, file);
  const byParent = new Map<string, UrdfJoint[]>();
  for (const j of info.joints) {
    const list = byParent.get(j.parent) ?? [];
    list.push(j);
    byParent.set(j.parent, list);
  }
  const ordered: UrdfJoint[] = [];
  const visited = new Set<string>();
  // Iterative DFS (children in document order) so a deep chain cannot overflow the stack.
  const walk = (link: string): void => {
    const frames: Array<{ children: UrdfJoint[]; next: number }> = [
      { children: byParent.get(link) ?? [], next: 0 },
    ];
    visited.add(link);
    while (frames.length > 0) {
      const top = frames[frames.length - 1]!;
      const j = top.children[top.next];
      if (j === undefined) {
        frames.pop();
        continue;
      }
      top.next++;
      if (visited.has(j.child)) continue;
      visited.add(j.child);
      ordered.push(j);
      frames.push({ children: byParent.get(j.child) ?? [], next: 0 });
    }
  };
  walk(info.rootLink);

  const joints: JointInfo[] = [];
  const byName = new Map<string, JointInfo>();
  for (const j of ordered) {
    if (!MOVABLE.has(j.type)) continue;
    const limits = info.limits.get(j.name);
    const bounded =
      j.type !== 'continuous' && j.lower !== null && j.upper !== null && j.lower < j.upper;
    const joint: JointInfo = {
      name: j.name,
      type: j.type === 'prismatic' ? 'slide' : 'hinge',
      positionLimits: bounded ? [j.lower, j.upper] : null,
      velocityLimit: limits?.velocity ?? null,
      effortLimit: limits?.effort ?? null,
    };
    joints.push(joint);
    byName.set(j.name, joint);
  }

  const commanded = commandedRos2ControlJoints(info, file);
  const actuators: ActuatorInfo[] = [];
  for (const rc of commanded) {
    const joint = byName.get(rc.joint);
    if (joint === undefined) continue; // not a movable joint of the tree: carries no command
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    switch (rc.commandInterface) {
      case 'effort':
        if (joint.effortLimit !== null && joint.effortLimit > 0)
          [lo, hi] = [-joint.effortLimit, joint.effortLimit];
        break;
      case 'position':
        if (joint.positionLimits !== null) [lo, hi] = joint.positionLimits;
        break;
      case 'velocity':
        if (joint.velocityLimit !== null && joint.velocityLimit > 0) {
          [lo, hi] = [-joint.velocityLimit, joint.velocityLimit];
        }
        break;
    }
    actuators.push({
      name: `${rc.joint}_${rc.commandInterface}`,
      joint: rc.joint,
      interface: rc.commandInterface,
      commandLimits: [lo, hi],
    });
  }
  if (actuators.length === 0) {
    throw new StriderError(
      'MODEL_UNSUPPORTED',
      `URDF "${file}" has no <ros2_control> joint with a command interface; the ROS 2 link commands ros2_control joints`,
    );
  }
  return {
    name: info.robotName,
    modelPath: file,
    joints,
    actuators,
    base: { body: info.rootLink, kind: baseKind },
    keyframes: withUrdfHome(
      [],
      commanded,
      joints.map((j) => j.name),
    ),
  };
}
