import type { StriderConfig } from '../config/index.js';
import { MujocoLink } from '../robot/mujoco/index.js';
import { flattenParameters, Ros2Link, type RclnodejsApi } from '../robot/ros2/index.js';
import type { ResetPose } from '../robot/mujoco/index.js';
import type { RobotLink } from '../robot/types.js';
import type { ActionConfig } from '../config/index.js';
import type { Logger } from '../util/logger.js';

export interface RobotLinkOptions {
  /** The control period, s. */
  readonly controlPeriodSec: number;
  readonly logger: Logger;
  /** The rclnodejs module for robot.link ros2 (default: imported when the link configures). */
  readonly rclnodejs?: RclnodejsApi;
}

/**
 * The link robot.link names: the embedded MuJoCo simulator, or a ROS 2 robot with the config's
 * `control` and `safety` sections declared as read-only ROS parameters. The rest of the wiring
 * reads the link's declared capabilities, never its class.
 */
export function createRobotLink(config: StriderConfig, options: RobotLinkOptions): RobotLink {
  const robot = config.robot;
  const { controlPeriodSec } = options;
  const action = config.control.action;
  switch (robot.link) {
    case 'mujoco':
      return new MujocoLink({
        modelPath: robot.model,
        controlPeriodSec,
        resetNoiseScale: robot.mujoco.reset_noise,
        urdf: {
          floatingBase: robot.mujoco.floating_base,
          ...(action.pd !== undefined ? { positionGains: action.pd } : {}),
        },
        ...resetPoseOf(action),
        logger: options.logger,
      });
    case 'ros2':
      return new Ros2Link({
        config: robot.ros2,
        modelPath: robot.model,
        controlPeriodSec,
        parameters: [
          ...flattenParameters('control', config.control),
          ...flattenParameters('safety', config.safety),
        ],
        logger: options.logger,
        ...(options.rclnodejs !== undefined ? { rclnodejs: options.rclnodejs } : {}),
      });
  }
}

/** Episodes in a position action space start from its stance (keyframe or config). */
function resetPoseOf(action: ActionConfig): { resetPose?: ResetPose } {
  if (action.space !== 'position') return {};
  if (action.nominal === 'keyframe') return { resetPose: { keyframe: action.keyframe } };
  if (action.nominal === 'config' && action.stance !== undefined) {
    return { resetPose: { stance: action.stance } };
  }
  return {};
}
