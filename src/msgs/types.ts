/**
 * ROS 2 message shapes as plain objects, field for field as rclnodejs and
 * @foxglove/rosmsg2-serialization present them, so one state assembler serves the MuJoCo link,
 * a ROS 2 robot and a replayed bag. Array fields accept any array-like of numbers (rclnodejs gives
 * plain arrays, the CDR reader gives Float64Array, the MuJoCo link reuses Float64Array buffers).
 */

/** builtin_interfaces/Time */
export interface Time {
  sec: number;
  nanosec: number;
}

/** std_msgs/Header */
export interface Header {
  stamp: Time;
  frame_id: string;
}

/** geometry_msgs/Vector3 and geometry_msgs/Point (same fields). */
export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/** geometry_msgs/Quaternion */
export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** sensor_msgs/JointState. `name[i]` labels `position[i]`, `velocity[i]`, `effort[i]`. */
export interface JointState {
  header: Header;
  name: string[];
  position: ArrayLike<number>;
  velocity: ArrayLike<number>;
  effort: ArrayLike<number>;
}

/** sensor_msgs/Imu. Covariances are 9-element row-major; element 0 = -1 means "not provided". */
export interface Imu {
  header: Header;
  orientation: Quaternion;
  orientation_covariance: ArrayLike<number>;
  angular_velocity: Vector3;
  angular_velocity_covariance: ArrayLike<number>;
  linear_acceleration: Vector3;
  linear_acceleration_covariance: ArrayLike<number>;
}

/** nav_msgs/Odometry. Pose in header.frame_id (world/odom), twist in child_frame_id (body), REP-105. */
export interface Odometry {
  header: Header;
  child_frame_id: string;
  pose: { pose: { position: Vector3; orientation: Quaternion }; covariance: ArrayLike<number> };
  twist: { twist: { linear: Vector3; angular: Vector3 }; covariance: ArrayLike<number> };
}

/** std_msgs/MultiArrayDimension */
export interface MultiArrayDimension {
  label: string;
  size: number;
  stride: number;
}

/** std_msgs/Float64MultiArray: the command of a ros2_control forward command controller. */
export interface Float64MultiArray {
  layout: { dim: MultiArrayDimension[]; data_offset: number };
  data: ArrayLike<number>;
}

/** Fully qualified ROS 2 type names of the messages above. */
export const MSG_TYPES = {
  jointState: 'sensor_msgs/msg/JointState',
  imu: 'sensor_msgs/msg/Imu',
  odometry: 'nav_msgs/msg/Odometry',
  float64MultiArray: 'std_msgs/msg/Float64MultiArray',
} as const;

/** Seconds as a builtin_interfaces/Time. */
export function timeFromSec(sec: number, out: Time = { sec: 0, nanosec: 0 }): Time {
  const whole = Math.floor(sec);
  out.sec = whole;
  out.nanosec = Math.round((sec - whole) * 1e9);
  if (out.nanosec >= 1e9) {
    out.sec += 1;
    out.nanosec -= 1e9;
  }
  return out;
}

/** A builtin_interfaces/Time as seconds. */
export function timeToSec(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

/** geometry_msgs/Twist */
export interface Twist {
  linear: Vector3;
  angular: Vector3;
}

/** A waypoint of a nav_msgs/Path, in the path's frame (m). */
export interface Waypoint {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}
