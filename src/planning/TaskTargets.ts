import type { TaskConfig } from '../config/schema.js';
import type { Odometry, Twist, Waypoint } from '../msgs/types.js';
import type { Logger } from '../util/logger.js';

/** A velocity target in the heading frame: m/s forward, m/s left, rad/s yaw rate (CmdVelReward.target). */
export interface VelocityTarget {
  linearX: number;
  linearY: number;
  angularZ: number;
}

/**
 * What sets the target now:
 * - `default`: task.cmd_vel, before any cmd_vel or path message.
 * - `cmd_vel`: the last geometry_msgs/Twist.
 * - `cmd_vel_stale`: zero, the cmd_vel stream fell silent for task.cmd_vel_timeout_s.
 * - `path`: following a nav_msgs/Path (zero until an odometry pose arrives).
 * - `path_done`: zero, every waypoint reached (or the path was empty).
 * - `path_frame_mismatch`: zero, the path is not in the odometry frame.
 */
export type TaskTargetMode =
  'default' | 'cmd_vel' | 'cmd_vel_stale' | 'path' | 'path_done' | 'path_frame_mismatch';

export interface TaskTargetsOptions {
  /** The target to steer, mutated in place (CmdVelReward.target). */
  readonly target: VelocityTarget;
  /** task.cmd_vel: the default target; task.cmd_vel_timeout_s; task.path: path following gains. */
  readonly task: TaskConfig;
  /** Warnings (path frame mismatch, rejected messages). */
  readonly logger?: Logger;
}

const TWO_PI = 2 * Math.PI;

/** `a` wrapped into (-pi, pi]. */
function wrapAngle(a: number): number {
  let r = a % TWO_PI;
  if (r > Math.PI) r -= TWO_PI;
  else if (r <= -Math.PI) r += TWO_PI;
  return r;
}

/**
 * Sets a velocity target from ROS task inputs: a geometry_msgs/Twist stream (cmd_vel) or a
 * nav_msgs/Path followed with a pure-pursuit-like rule on the odometry pose. The newest kind of
 * input wins: a cmd_vel message ends a path, a path replaces cmd_vel following.
 *
 * Path following (there is no TF here: waypoints must be in the odometry frame): waypoints within
 * task.path.tolerance_m (x/y) are passed in order; towards the next one, with heading error e in
 * (-pi, pi], angularZ = clamp(yaw_gain e, +-max_yaw_rate), linearX = speed_mps max(0, cos e)
 * (turn on the spot while the waypoint is behind), linearY = 0.
 *
 * Message handlers are called on message arrival, update() on every control tick; onOdometry and
 * update allocate nothing. Times are milliseconds on one monotonic clock.
 */
export class TaskTargets {
  readonly #target: VelocityTarget;
  readonly #task: TaskConfig;
  readonly #logger: Logger | undefined;
  readonly #timeoutMs: number;
  #mode: TaskTargetMode = 'default';
  #lastCmdVelMs = Number.NEGATIVE_INFINITY;
  #badCmdVelWarned = false;
  /** Owned copy of the path's waypoints: x0, y0, x1, y1, ... (m). */
  #path = new Float64Array(0);
  #pathFrame = '';
  #index = -1;
  #mismatchWarned = false;
  #haveOdom = false;
  #x = 0;
  #y = 0;
  #yaw = 0;
  #odomFrame = '';

  constructor(options: TaskTargetsOptions) {
    this.#target = options.target;
    this.#task = options.task;
    this.#logger = options.logger;
    this.#timeoutMs = options.task.cmd_vel_timeout_s * 1000;
    this.#set(
      options.task.cmd_vel.linear_x,
      options.task.cmd_vel.linear_y,
      options.task.cmd_vel.angular_z,
    );
  }

  /** What sets the target now. */
  /** The target it steers (the reward's, read-only here). */
  get target(): Readonly<VelocityTarget> {
    return this.#target;
  }

  get mode(): TaskTargetMode {
    return this.#mode;
  }

  /** Index of the waypoint being approached; -1 without a path being followed (none, empty, done). */
  get waypointIndex(): number {
    return this.#mode === 'path' || this.#mode === 'path_frame_mismatch' ? this.#index : -1;
  }

  /**
   * A geometry_msgs/Twist (heading frame): linear.x, linear.y and angular.z become the target, and
   * any path ends. A message with a non-finite component is ignored, with a warning.
   */
  onCmdVel(twist: Readonly<Twist>, nowMs: number): void {
    const vx = twist.linear.x;
    const vy = twist.linear.y;
    const wz = twist.angular.z;
    if (!Number.isFinite(vx) || !Number.isFinite(vy) || !Number.isFinite(wz)) {
      if (!this.#badCmdVelWarned) {
        this.#badCmdVelWarned = true;
        this.#logger?.warn(
          { linearX: vx, linearY: vy, angularZ: wz },
          'cmd_vel message with a non-finite linear.x, linear.y or angular.z ignored (warned once until a valid one)',
        );
      }
      return;
    }
    this.#badCmdVelWarned = false;
    this.#lastCmdVelMs = nowMs;
    this.#mode = 'cmd_vel';
    this.#index = -1;
    this.#set(vx, vy, wz);
  }

  /**
   * A nav_msgs/Path, already reduced to its waypoints (copied: the array is borrowed). It replaces
   * cmd_vel following and any earlier path; an empty path means stop (mode `path_done`). frameId
   * must be the odometry frame; an empty frameId is taken as the odometry frame. A path with a
   * non-finite waypoint is ignored, with a warning.
   */
  onPath(waypoints: readonly Waypoint[], frameId: string, nowMs: number): void {
    for (let i = 0; i < waypoints.length; i++) {
      const w = waypoints[i]!;
      if (!Number.isFinite(w.x) || !Number.isFinite(w.y)) {
        this.#logger?.warn(
          { waypoint: i, x: w.x, y: w.y, frameId },
          `path ignored: waypoint ${String(i)} of ${String(waypoints.length)} is not finite`,
        );
        return;
      }
    }
    const path = new Float64Array(2 * waypoints.length);
    for (let i = 0; i < waypoints.length; i++) {
      path[2 * i] = waypoints[i]!.x;
      path[2 * i + 1] = waypoints[i]!.y;
    }
    this.#path = path;
    this.#pathFrame = frameId;
    this.#mismatchWarned = false;
    if (waypoints.length === 0) {
      this.#mode = 'path_done';
      this.#index = -1;
      this.#set(0, 0, 0);
      return;
    }
    this.#mode = 'path';
    this.#index = 0;
    this.update(nowMs);
  }

  /** The robot's pose (x, y, yaw) and frame (header.frame_id); called at the state rate. */
  onOdometry(odom: Readonly<Odometry>): void {
    const p = odom.pose.pose.position;
    const q = odom.pose.pose.orientation;
    const yaw = Math.atan2(
      2 * (q.w * q.z + q.x * q.y),
      q.w * q.w + q.x * q.x - q.y * q.y - q.z * q.z,
    );
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || !Number.isFinite(yaw)) return;
    this.#x = p.x;
    this.#y = p.y;
    this.#yaw = yaw;
    this.#odomFrame = odom.header.frame_id;
    this.#haveOdom = true;
  }

  /** Brings the target up to date: cmd_vel timeout, path progress. Called every control tick. */
  update(nowMs: number): void {
    switch (this.#mode) {
      case 'cmd_vel':
        if (this.#timeoutMs > 0 && nowMs - this.#lastCmdVelMs > this.#timeoutMs) {
          this.#mode = 'cmd_vel_stale';
          this.#set(0, 0, 0);
        }
        return;
      case 'path':
      case 'path_frame_mismatch':
        this.#follow();
        return;
      case 'default':
      case 'cmd_vel_stale':
      case 'path_done':
        return;
    }
  }

  #follow(): void {
    if (!this.#haveOdom) {
      this.#set(0, 0, 0);
      return;
    }
    if (this.#pathFrame !== '' && this.#pathFrame !== this.#odomFrame) {
      if (!this.#mismatchWarned) {
        this.#mismatchWarned = true;
        this.#logger?.warn(
          { pathFrame: this.#pathFrame, odomFrame: this.#odomFrame },
          `path in frame "${this.#pathFrame}" is not in the odometry frame "${this.#odomFrame}"; ` +
            'standing still (there is no TF: publish paths in the odometry frame)',
        );
      }
      this.#mode = 'path_frame_mismatch';
      this.#set(0, 0, 0);
      return;
    }
    this.#mode = 'path';
    const path = this.#path;
    const n = path.length / 2;
    const tol2 = this.#task.path.tolerance_m * this.#task.path.tolerance_m;
    let dx = 0;
    let dy = 0;
    while (this.#index < n) {
      dx = path[2 * this.#index]! - this.#x;
      dy = path[2 * this.#index + 1]! - this.#y;
      if (dx * dx + dy * dy > tol2) break;
      this.#index++;
    }
    if (this.#index >= n) {
      this.#mode = 'path_done';
      this.#index = -1;
      this.#set(0, 0, 0);
      return;
    }
    const { speed_mps: speed, yaw_gain: gain, max_yaw_rate: maxRate } = this.#task.path;
    const e = wrapAngle(Math.atan2(dy, dx) - this.#yaw);
    this.#set(speed * Math.max(0, Math.cos(e)), 0, Math.min(maxRate, Math.max(-maxRate, gain * e)));
  }

  #set(linearX: number, linearY: number, angularZ: number): void {
    const t = this.#target;
    t.linearX = linearX;
    t.linearY = linearY;
    t.angularZ = angularZ;
  }
}
