import { stateIndex, type StateLayout } from '../state/types.js';

/** A planar velocity in the heading frame (ROS cmd_vel's sense): m/s, m/s, rad/s. */
export interface PlanarVelocity {
  readonly x: number;
  readonly y: number;
  readonly yaw_rate: number;
}

/**
 * The mean base velocity of an episode's states ((steps+1) x S, row-major) in the heading frame:
 * world-frame base.linvel turned by -yaw (from base.quat), and the body yaw rate base.angvel.z;
 * over the states after the first (each is the result of an action). Null without base.linvel.
 */
export function meanHeadingVelocity(
  states: Float32Array,
  steps: number,
  layout: StateLayout,
): PlanarVelocity | null {
  const vx = stateIndex(layout, 'base.linvel.x');
  const vy = stateIndex(layout, 'base.linvel.y');
  const wz = stateIndex(layout, 'base.angvel.z');
  const qw = stateIndex(layout, 'base.quat.w');
  if (vx < 0 || vy < 0 || steps <= 0) return null;
  const S = layout.dim;
  let sx = 0;
  let sy = 0;
  let sw = 0;
  for (let t = 1; t <= steps; t++) {
    const o = t * S;
    let x = states[o + vx]!;
    let y = states[o + vy]!;
    if (qw >= 0) {
      const w = states[o + qw]!;
      const qx = states[o + qw + 1]!;
      const qy = states[o + qw + 2]!;
      const qz = states[o + qw + 3]!;
      const yaw = Math.atan2(2 * (w * qz + qx * qy), w * w + qx * qx - qy * qy - qz * qz);
      const c = Math.cos(yaw);
      const s = Math.sin(yaw);
      const hx = c * x + s * y;
      y = c * y - s * x;
      x = hx;
    }
    sx += x;
    sy += y;
    sw += wz >= 0 ? states[o + wz]! : 0;
  }
  return { x: sx / steps, y: sy / steps, yaw_rate: wz >= 0 ? sw / steps : Number.NaN };
}

/**
 * How far the base moved over an episode, horizontally, in the world frame: world-frame
 * base.linvel (x, y) of the states after the first, times the control period, summed (the
 * state has no base x, y; at 50 Hz the rectangle rule is well inside the 0.1 m a drift check
 * asks). Metres; null without base.linvel.
 */
export function planarDrift(
  states: Float32Array,
  steps: number,
  layout: StateLayout,
  periodSec: number,
): number | null {
  const vx = stateIndex(layout, 'base.linvel.x');
  const vy = stateIndex(layout, 'base.linvel.y');
  if (vx < 0 || vy < 0 || steps <= 0 || !(periodSec > 0)) return null;
  const S = layout.dim;
  let dx = 0;
  let dy = 0;
  for (let t = 1; t <= steps; t++) {
    dx += states[t * S + vx]!;
    dy += states[t * S + vy]!;
  }
  return Math.hypot(dx * periodSec, dy * periodSec);
}
