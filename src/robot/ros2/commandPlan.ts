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
 * message: a Float64MultiArray, or a one-point JointTrajectory of positions (zero stamp: start on
 * arrival) for a joint_trajectory_controller on position interfaces.
 * @throws StriderError CONFIG_INVALID (joint_trajectory without position interfaces, or a bad
 *   command_joints) or MODEL_MAPPING naming the joints
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
  // Jazzy's joint_trajectory_controller (validate_trajectory_msg) rejects a point without
  // positions unless allow_integration_in_goal_trajectories is set, and on an effort or velocity
  // command interface it tracks the points' positions with its own PID: the points' effort is not
  // what reaches the joints. strider's commands are efforts or velocities, not positions, so only
  // a position interface carries them as they are.
  const ifaces = [...new Set(desc.actuators.map((a) => a.interface))];
  if (ifaces.length !== 1 || ifaces[0] !== 'position') {
    throw new StriderError(
      'CONFIG_INVALID',
      `robot.ros2.command_type: joint_trajectory needs a position command interface on every joint (joint_trajectory_controller requires positions in each point and tracks them itself); ${desc.modelPath} declares ${ifaces.join(', ')}. Use command_type: float64_multi_array with a forward_command_controller for ${ifaces.join(', ')} commands`,
      { context: { key: 'robot.ros2.command_type', interfaces: ifaces } },
    );
  }
  const ms =
    cfg.trajectory_time_from_start_ms > 0
      ? cfg.trajectory_time_from_start_ms
      : controlPeriodSec * 1000;
  const empty: number[] = [];
  // A zero stamp means "start on arrival" to the controller; a stamp of "now" with a one-period
  // time_from_start would end in the past after one period of delay and be rejected.
  const msg: JointTrajectory = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    joint_names: [...joints],
    points: [
      {
        positions: data,
        velocities: empty,
        accelerations: empty,
        effort: empty,
        time_from_start: timeFromSec(ms / 1000),
      },
    ],
  };
  return { order, data, msg };
}
