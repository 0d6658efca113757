import { timeFromSec, type Float64MultiArray } from '../../msgs/types.js';
import { StriderError } from '../../util/StriderError.js';
import type { RobotDescription } from '../types.js';
import type { Ros2Config } from './ros2Config.js';
import type { JointTrajectory } from './ros2Msgs.js';

/** How commands go out: the slot order and one reused message over one reused buffer. */
export interface CommandPlan {
  /** Command slot c carries actuator order[c] (description order). */
  readonly order: Int32Array;
  /** The values of the message, rewritten for each command. */
  readonly data: Float64Array;
  readonly msg: Float64MultiArray | JointTrajectory;
}

/**
 * The command order (robot.ros2.command_joints, default the description's) and the reused
 * message: a Float64MultiArray, or a one-point JointTrajectory on the joints' one interface.
 * @throws StriderError CONFIG_INVALID, MODEL_MAPPING or MODEL_UNSUPPORTED naming the joints
 */
export function planCommand(
  desc: RobotDescription,
  cfg: Ros2Config,
  controlPeriodSec: number,
): CommandPlan {
  const byJoint = desc.actuators.map((a) => a.joint);
  const joints = cfg.command_joints ?? byJoint;
  if (joints.length !== byJoint.length || new Set(joints).size !== joints.length) {
    throw new StriderError(
      'CONFIG_INVALID',
      `robot.ros2.command_joints must name each commanded joint once (${byJoint.join(', ')}); got ${joints.join(', ')}`,
    );
  }
  const order = new Int32Array(joints.length);
  for (let c = 0; c < joints.length; c++) {
    const k = byJoint.indexOf(joints[c]!);
    if (k < 0) {
      throw new StriderError(
        'MODEL_MAPPING',
        `robot.ros2.command_joints: joint "${joints[c]!}" has no ros2_control command interface in ${desc.modelPath}; those are: ${byJoint.join(', ')}`,
      );
    }
    order[c] = k;
  }
  const data = new Float64Array(joints.length);
  if (cfg.command_type === 'float64_multi_array') {
    return { order, data, msg: { layout: { dim: [], data_offset: 0 }, data } };
  }
  const iface = desc.actuators[0]!.interface;
  if (desc.actuators.some((a) => a.interface !== iface)) {
    throw new StriderError(
      'MODEL_UNSUPPORTED',
      `command_type joint_trajectory needs one command interface for all joints; ${desc.modelPath} mixes ${[...new Set(desc.actuators.map((a) => a.interface))].join(', ')}`,
    );
  }
  const ms =
    cfg.trajectory_time_from_start_ms > 0
      ? cfg.trajectory_time_from_start_ms
      : controlPeriodSec * 1000;
  const empty: number[] = [];
  const msg: JointTrajectory = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    joint_names: [...joints],
    points: [
      {
        positions: iface === 'position' ? data : empty,
        velocities: iface === 'velocity' ? data : empty,
        accelerations: empty,
        effort: iface === 'effort' ? data : empty,
        time_from_start: timeFromSec(ms / 1000),
      },
    ],
  };
  return { order, data, msg };
}
