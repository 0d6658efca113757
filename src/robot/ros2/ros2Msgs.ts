import type { Header, Quaternion, Time, Vector3 } from '../../msgs/types.js';

export type { Twist, Waypoint } from '../../msgs/types.js';

/**
 * The ROS 2 messages only the ROS 2 link uses (task inputs, trajectory commands, diagnostics),
 * field for field as rclnodejs presents them. The state messages, Twist and Waypoint (which the
 * task layer reads too) are in src/msgs/types.ts.
 */

/** builtin_interfaces/Duration */
export interface Duration {
  sec: number;
  nanosec: number;
}

/** geometry_msgs/PoseStamped */
export interface PoseStamped {
  header: Header;
  pose: { position: Vector3; orientation: Quaternion };
}

/** nav_msgs/Path */
export interface Path {
  header: Header;
  poses: PoseStamped[];
}

/** trajectory_msgs/JointTrajectoryPoint */
export interface JointTrajectoryPoint {
  positions: ArrayLike<number>;
  velocities: ArrayLike<number>;
  accelerations: ArrayLike<number>;
  effort: ArrayLike<number>;
  time_from_start: Duration;
}

/** trajectory_msgs/JointTrajectory */
export interface JointTrajectory {
  header: Header;
  joint_names: string[];
  points: JointTrajectoryPoint[];
}

/** diagnostic_msgs/KeyValue */
export interface KeyValue {
  key: string;
  value: string;
}

/** diagnostic_msgs/DiagnosticStatus; level is a byte: OK 0, WARN 1, ERROR 2, STALE 3. */
export interface DiagnosticStatus {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValue[];
}

/** diagnostic_msgs/DiagnosticArray */
export interface DiagnosticArray {
  header: Header;
  status: DiagnosticStatus[];
}

/** std_msgs/Bool */
export interface Bool {
  data: boolean;
}

export const DIAGNOSTIC_LEVEL = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;

/** Fully qualified type names the ROS 2 link subscribes to or publishes. */
export const ROS2_TYPES = {
  jointState: 'sensor_msgs/msg/JointState',
  imu: 'sensor_msgs/msg/Imu',
  odometry: 'nav_msgs/msg/Odometry',
  float64MultiArray: 'std_msgs/msg/Float64MultiArray',
  jointTrajectory: 'trajectory_msgs/msg/JointTrajectory',
  twist: 'geometry_msgs/msg/Twist',
  path: 'nav_msgs/msg/Path',
  bool: 'std_msgs/msg/Bool',
  empty: 'std_msgs/msg/Empty',
  diagnosticArray: 'diagnostic_msgs/msg/DiagnosticArray',
} as const;

/** Stamp from nanoseconds (rclnodejs Time.nanoseconds), written into `out`. */
export function timeFromNanoseconds(ns: bigint, out: Time): Time {
  const NS = 1_000_000_000n;
  out.sec = Number(ns / NS);
  out.nanosec = Number(ns % NS);
  return out;
}
