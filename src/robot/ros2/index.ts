export { Ros2Link, flattenParameters } from './Ros2Link.js';
export type {
  ControllerDiagnostics,
  Ros2LinkOptions,
  Ros2LinkState,
  Ros2ParameterSpec,
  SafetyControls,
  TaskHandlers,
} from './Ros2Link.js';
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
