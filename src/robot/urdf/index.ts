export { commandedRos2ControlJoints, readUrdfInfo } from './readUrdfInfo.js';
export type { Ros2ControlJoint, UrdfInfo, UrdfJoint, UrdfJointLimits } from './readUrdfInfo.js';
export { xmlRootElement } from './xml.js';
export { URDF_HOME_KEYFRAME, withUrdfHome } from './urdfHome.js';
