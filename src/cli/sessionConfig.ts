import type { StriderConfig } from '../config/index.js';
import type { ActionSpace } from '../control/ActionSpace.js';
import type { PlanarVelocity } from '../control/episodeMotion.js';
import { FallDetector } from '../control/FallDetector.js';
import { CmdVelReward } from '../planning/rewards.js';
import type { TaskTargets } from '../planning/TaskTargets.js';
import type { BatchReward } from '../planning/types.js';
import type { ActuatorInfo, RobotDescription, StateHandlers } from '../robot/types.js';
import type { StateAssembler } from '../state/index.js';
import type { Clock } from '../util/clock.js';
import { StriderError } from '../util/StriderError.js';

/** What the session derives from the config and the robot before it builds anything. */

/**
 * The commanded actuators in action order (control.actuators, default all).
 * @throws StriderError MODEL_MAPPING for a name not in the model (as the gate names it),
 *   MODEL_UNSUPPORTED for an actuator without a finite control range
 */
export function commandedActuators(
  description: RobotDescription,
  config: StriderConfig,
): ActuatorInfo[] {
  const all = description.actuators;
  const names = config.control.actuators ?? all.map((a) => a.name);
  const actuators = names.map((name) => {
    const a = all.find((x) => x.name === name);
    if (a !== undefined) return a;
    throw new StriderError(
      'MODEL_MAPPING',
      `control.actuators: actuator "${name}" is not in the robot model; its actuators are: ${all.map((x) => x.name).join(', ')}`,
    );
  });
  for (const a of actuators) {
    if (!Number.isFinite(a.commandLimits[0]) || !Number.isFinite(a.commandLimits[1])) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `actuator "${a.name}" in ${description.modelPath} has no finite control range; ` +
          'random actions and the planner need one (MJCF: ctrlrange="lo hi"; URDF: <limit effort=...>)',
      );
    }
  }
  return actuators;
}

/**
 * Whether the tilt rule reads the base orientation from the IMU (the state has no base.quat), so
 * the IMU must be fresh. @throws StriderError CONFIG_INVALID when the rule is on and a ROS 2
 * robot has neither (it would read as upright for ever).
 */
export function tiltNeedsImu(config: StriderConfig): boolean {
  if (!config.safety.tilt.enabled || config.state.base.includes('quat')) return false;
  if (config.robot.link === 'ros2' && config.robot.ros2.topics.imu === null) {
    throw new StriderError(
      'CONFIG_INVALID',
      'safety.tilt.enabled needs the base orientation, and this robot has none: add quat to ' +
        'state.base (from robot.ros2.topics.odometry), set robot.ros2.topics.imu, or set ' +
        'safety.tilt.enabled: false',
    );
  }
  return true;
}

/** The fall detector (task.fall) and the cmd_vel target an episode records. */
export function episodeEnds(
  config: StriderConfig,
  assembler: StateAssembler,
  space: ActionSpace,
  reward: BatchReward,
): { fall?: FallDetector; command?: () => PlanarVelocity } {
  const fall = config.task.fall;
  const target = reward instanceof CmdVelReward ? reward.target : null;
  return {
    ...(fall.enabled
      ? {
          fall: new FallDetector(assembler.layout, {
            maxTiltRad: config.safety.tilt.max_rad,
            minHeightFraction: fall.min_height_fraction,
            stanceHeightM: space.stanceBaseHeightM,
          }),
        }
      : {}),
    ...(target !== null
      ? { command: () => ({ x: target.linearX, y: target.linearY, yaw_rate: target.angularZ }) }
      : {}),
  };
}

/** State to the assembler; joint states tick the task target's timeouts, odometry its pose. */
export function taskTracking(
  assembler: StateAssembler,
  task: TaskTargets | null,
  clock: Clock,
): StateHandlers {
  if (task === null) return assembler;
  return {
    jointState: (m) => {
      assembler.jointState(m);
      task.update(clock.nowMs());
    },
    odometry: (m) => {
      task.onOdometry(m);
      assembler.odometry(m);
    },
    imu: (m) => {
      assembler.imu(m);
    },
  };
}
