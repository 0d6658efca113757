export { MujocoLink, frameSkipOf } from './MujocoLink.js';
export type { MujocoLinkOptions, MujocoLinkState, UrdfImportOptions } from './MujocoLink.js';
export { loadMujoco, setMujocoPrintListener } from './loadMujoco.js';
export type { MujocoPrintListener } from './loadMujoco.js';
export { mujocoErrorText } from './mujocoError.js';
export { augmentMjcf, readUrdfInfo, urdfForMujoco, xmlRootElement } from './urdfToMjcf.js';
export type {
  ActuatorToAdd,
  MjcfEdits,
  Ros2ControlJoint,
  UrdfInfo,
  UrdfJointLimits,
} from './urdfToMjcf.js';
