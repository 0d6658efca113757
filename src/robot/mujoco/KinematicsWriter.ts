/**
 * Body kinematics of a stepped MuJoCo model written into the messages a ROS 2 robot publishes:
 * sensor_msgs/JointState, sensor_msgs/Imu and nav_msgs/Odometry (see MujocoLink's class doc for
 * their frames and meaning).
 */
import type { Imu, JointState, Odometry } from '../../msgs/types.js';
import { timeFromSec } from '../../msgs/types.js';
import { at, type DataViews } from './mjAccess.js';

/** What the writer reads: the layout of one model (see describeModel.ts). */
export interface KinematicsLayout {
  readonly rootBody: number;
  readonly subtreeRootId: number;
  readonly jointQposAdr: Int32Array;
  readonly jointDofAdr: Int32Array;
}

interface Vec3 {
  x: number;
  y: number;
  z: number;
}

function vec3(): Vec3 {
  return { x: 0, y: 0, z: 0 };
}

/** out = R^T (x, y, z), R the row-major 3x3 at `mat[m..m+8]` (world from body). */
function toBodyFrame(
  mat: Float64Array,
  m: number,
  x: number,
  y: number,
  z: number,
  out: Vec3,
): void {
  out.x = at(mat, m) * x + at(mat, m + 3) * y + at(mat, m + 6) * z;
  out.y = at(mat, m + 1) * x + at(mat, m + 4) * y + at(mat, m + 7) * z;
  out.z = at(mat, m + 2) * x + at(mat, m + 5) * y + at(mat, m + 8) * z;
}

/** out = the MuJoCo quaternion (w, x, y, z) at `q[i..i+3]`. */
function copyQuat(q: Float64Array, i: number, out: Vec3 & { w: number }): void {
  out.w = at(q, i);
  out.x = at(q, i + 1);
  out.y = at(q, i + 2);
  out.z = at(q, i + 3);
}

/**
 * Writes JointState (reported joints: qpos, qvel, qfrc_actuator at the joint's dof), Odometry
 * (root body pose in `odom`, twist in the body frame) and Imu (root body orientation, body-frame
 * angular velocity and proper acceleration) from mjData, after mj_forward + mj_rnePostConstraint.
 * The messages are allocated here once and borrowed: {@link write} rewrites the same objects and
 * Float64Array buffers, allocation-free (called every control step).
 */
export class KinematicsWriter {
  readonly jointState: JointState;
  readonly imu: Imu;
  readonly odometry: Odometry;
  readonly #layout: KinematicsLayout;
  readonly #jsPos: Float64Array;
  readonly #jsVel: Float64Array;
  readonly #jsEff: Float64Array;

  /** `jointNames` in JointState order; `bodyName` is the Imu frame and odometry child frame. */
  constructor(layout: KinematicsLayout, jointNames: readonly string[], bodyName: string) {
    this.#layout = layout;
    const nj = layout.jointQposAdr.length;
    this.#jsPos = new Float64Array(nj);
    this.#jsVel = new Float64Array(nj);
    this.#jsEff = new Float64Array(nj);
    const stamp = (): { sec: number; nanosec: number } => ({ sec: 0, nanosec: 0 });
    this.jointState = {
      header: { stamp: stamp(), frame_id: '' },
      name: [...jointNames],
      position: this.#jsPos,
      velocity: this.#jsVel,
      effort: this.#jsEff,
    };
    this.imu = {
      header: { stamp: stamp(), frame_id: bodyName },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: new Float64Array(9),
      angular_velocity: vec3(),
      angular_velocity_covariance: new Float64Array(9),
      linear_acceleration: vec3(),
      linear_acceleration_covariance: new Float64Array(9),
    };
    this.odometry = {
      header: { stamp: stamp(), frame_id: 'odom' },
      child_frame_id: bodyName,
      pose: {
        pose: { position: vec3(), orientation: { x: 0, y: 0, z: 0, w: 1 } },
        covariance: new Float64Array(36),
      },
      twist: { twist: { linear: vec3(), angular: vec3() }, covariance: new Float64Array(36) },
    };
  }

  /** Rewrite the three messages from `v` at simulation time `tSec`. */
  write(v: DataViews, tSec: number): void {
    const { rootBody: b, subtreeRootId: rootId, jointQposAdr, jointDofAdr } = this.#layout;
    // JointState
    timeFromSec(tSec, this.jointState.header.stamp);
    for (let i = 0; i < this.#jsPos.length; i++) {
      this.#jsPos[i] = at(v.qpos, at(jointQposAdr, i));
      const dof = at(jointDofAdr, i);
      this.#jsVel[i] = at(v.qvel, dof);
      this.#jsEff[i] = at(v.qfrcActuator, dof);
    }
    // Root body kinematics (world frame), after mj_forward + mj_rnePostConstraint.
    const px = at(v.xpos, 3 * b);
    const py = at(v.xpos, 3 * b + 1);
    const pz = at(v.xpos, 3 * b + 2);
    // Offset from the subtree com (where cvel/cacc are expressed) to the body origin.
    const ox = px - at(v.subtreeCom, 3 * rootId);
    const oy = py - at(v.subtreeCom, 3 * rootId + 1);
    const oz = pz - at(v.subtreeCom, 3 * rootId + 2);
    const wx = at(v.cvel, 6 * b);
    const wy = at(v.cvel, 6 * b + 1);
    const wz = at(v.cvel, 6 * b + 2);
    // v_origin = v_com + w x (p - c)
    const vx = at(v.cvel, 6 * b + 3) + wy * oz - wz * oy;
    const vy = at(v.cvel, 6 * b + 4) + wz * ox - wx * oz;
    const vz = at(v.cvel, 6 * b + 5) + wx * oy - wy * ox;
    const awx = at(v.cacc, 6 * b);
    const awy = at(v.cacc, 6 * b + 1);
    const awz = at(v.cacc, 6 * b + 2);
    // a_origin = a_com + alpha x (p - c) + w x v_origin (spatial to classical acceleration);
    // cacc includes -gravity at the world, so this is the proper acceleration an IMU measures.
    const ax = at(v.cacc, 6 * b + 3) + awy * oz - awz * oy + (wy * vz - wz * vy);
    const ay = at(v.cacc, 6 * b + 4) + awz * ox - awx * oz + (wz * vx - wx * vz);
    const az = at(v.cacc, 6 * b + 5) + awx * oy - awy * ox + (wx * vy - wy * vx);
    // Imu: everything in the body frame = R^T * world, R = xmat row-major (world from body).
    const imu = this.imu;
    const m = 9 * b;
    timeFromSec(tSec, imu.header.stamp);
    copyQuat(v.xquat, 4 * b, imu.orientation);
    toBodyFrame(v.xmat, m, wx, wy, wz, imu.angular_velocity);
    toBodyFrame(v.xmat, m, ax, ay, az, imu.linear_acceleration);
    // Odometry: pose in the world frame, twist in the body frame (REP-105).
    const od = this.odometry;
    timeFromSec(tSec, od.header.stamp);
    const pose = od.pose.pose;
    pose.position.x = px;
    pose.position.y = py;
    pose.position.z = pz;
    copyQuat(v.xquat, 4 * b, pose.orientation);
    toBodyFrame(v.xmat, m, vx, vy, vz, od.twist.twist.linear);
    toBodyFrame(v.xmat, m, wx, wy, wz, od.twist.twist.angular);
  }
}
