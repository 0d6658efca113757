import type { RobotKeyframe } from '../types.js';
import type { Ros2ControlJoint } from './readUrdfInfo.js';

/** The name of the stance keyframe a URDF gets from its ros2_control initial values. */
export const URDF_HOME_KEYFRAME = 'home';

/**
 * A URDF has no keyframes; where every commanded ros2_control joint's position state interface
 * has an `initial_value` (ros2_control's spawn pose, gz_ros2_control's too), that pose is the
 * keyframe "home" (Menagerie's name for the stance), other reported joints at 0. Its base
 * height is not known from the URDF (null): the MuJoCo link resets to it as a stance stood on
 * the floor (resolveResetPose). A keyframe of the same name already in `keys` wins.
 * @param commanded the URDF's commanded ros2_control joints (commandedRos2ControlJoints); null
 *   for a model that is not a URDF.
 * @param reportedJoints the description's joints, every one of which the keyframe positions.
 */
export function withUrdfHome(
  keys: readonly RobotKeyframe[],
  commanded: readonly Ros2ControlJoint[] | null,
  reportedJoints: readonly string[],
): readonly RobotKeyframe[] {
  if (commanded === null || keys.some((k) => k.name === URDF_HOME_KEYFRAME)) return keys;
  if (commanded.length === 0 || commanded.some((rc) => rc.initialPosition === null)) return keys;
  const jointPositions: Record<string, number> = {};
  for (const name of reportedJoints) jointPositions[name] = 0;
  for (const rc of commanded) jointPositions[rc.joint] = rc.initialPosition ?? 0;
  const home: RobotKeyframe = Object.freeze({
    name: URDF_HOME_KEYFRAME,
    jointPositions: Object.freeze(jointPositions),
    baseHeightM: null,
  });
  return Object.freeze([...keys, home]);
}
