export { Ros2Link } from './Ros2Link.js';
export type { Ros2LinkOptions, Ros2LinkState } from './Ros2Link.js';
export type {
  Ros2LinkStatus,
  Ros2NodeAdapter,
  Ros2NodeContext,
  Ros2NodeHost,
} from './Ros2NodeAdapter.js';
export { ManagedLifecycle } from './ManagedLifecycle.js';
export type { LifecycleHooks, LifecycleTransition } from './ManagedLifecycle.js';
export { TaskInputs } from './TaskInputs.js';
export type { TaskHandlers } from './TaskInputs.js';
export { SafetyTopics } from './SafetyTopics.js';
export type { SafetyControls } from './SafetyTopics.js';
export { Diagnostics } from './Diagnostics.js';
export type { ControllerDiagnostics } from './Diagnostics.js';
export { flattenParameters } from './ros2Parameters.js';
export type { Ros2ParameterSpec } from './ros2Parameters.js';
export { loadRclnodejs } from './loadRclnodejs.js';
export type { ModuleImporter } from './loadRclnodejs.js';
export { ros2Schema } from './ros2Config.js';
export type { QosConfig, Ros2Config } from './ros2Config.js';
export { urdfDescription, urdfDescriptionFromText } from './urdfDescription.js';
export { DIAGNOSTIC_LEVEL, ROS2_TYPES } from './ros2Msgs.js';
export type {
  Bool,
  DiagnosticArray,
  DiagnosticStatus,
  Duration,
  JointTrajectory,
  JointTrajectoryPoint,
  KeyValue,
  Path,
  PoseStamped,
  Twist,
  Waypoint,
} from './ros2Msgs.js';
export type * from './rclnodejsApi.js';
