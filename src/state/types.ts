/**
 * The layout of the controller's state vector: one name per element, in order. Names are stable
 * strings that rewards and reports look up once at construction, never per tick:
 *   joint.<name>.pos, joint.<name>.vel            (from sensor_msgs/JointState)
 *   base.pos.{x,y,z}                              (world frame, from nav_msgs/Odometry)
 *   base.quat.{w,x,y,z}                           (world-from-body orientation)
 *   base.linvel.{x,y,z}                           (world frame; base.linvel.x is "forward speed")
 *   base.angvel.{x,y,z}                           (body frame, from Imu or Odometry)
 */
export interface StateLayout {
  readonly dim: number;
  readonly names: readonly string[];
}

/** Index of `name` in `layout`, or -1. */
export function stateIndex(layout: StateLayout, name: string): number {
  return layout.names.indexOf(name);
}
