export { MujocoLink, frameSkipOf } from './MujocoLink.js';
export type {
  MujocoLinkOptions,
  MujocoLinkState,
  ResetPose,
  UrdfImportOptions,
} from './MujocoLink.js';
export { loadMujoco, setMujocoPrintListener } from './loadMujoco.js';
export type { MujocoPrintListener } from './loadMujoco.js';
export { mujocoErrorText } from './mujocoError.js';
export { augmentMjcf, urdfForMujoco } from './urdfToMjcf.js';
export type { ActuatorToAdd, MjcfEdits } from './urdfToMjcf.js';
