import type { StateLayout } from '../../state/types.js';
import type { BaseQuantity } from '../../config/schema.js';

/**
 * Where the yaw-carrying values sit in a policy's state input (indices into its first S values):
 * base.quat (w, x, y, z from `quatW`) and, when the state has it, base.linvel (x, y, z from
 * `linvelX`, world frame). base.angvel is in the body frame already, joint values carry no yaw.
 */
export interface HeadingFrame {
  readonly quatW: number;
  readonly linvelX: number | null;
}

/** The heading frame of a state layout: null when the state has no base.quat (nothing to turn). */
export function headingFrameOf(layout: StateLayout): HeadingFrame | null {
  const quatW = layout.names.indexOf('base.quat.w');
  if (quatW < 0) return null;
  const linvelX = layout.names.indexOf('base.linvel.x');
  return { quatW, linvelX: linvelX < 0 ? null : linvelX };
}

/**
 * Turns one input row (at `offset` in `row`, in place) into the robot's heading frame: the
 * orientation loses its yaw, q' = q_yaw^-1 q (sign chosen so that w' >= 0), and the world-frame
 * linear velocity is turned by -yaw, so v'_x is the speed along the heading. A legged robot's
 * policy then sees the same input whichever way it faces (legged_gym's observations are
 * likewise yaw-free); fitted on the world frame, a walk that turns a little carried the policy
 * off the headings its labels covered (docs/learning.md). Idempotent: a row already in the
 * heading frame has yaw 0 and stays as it is.
 */
export function toHeadingFrame(frame: HeadingFrame, row: Float32Array, offset = 0): void {
  const q = offset + frame.quatW;
  const w = row[q]!;
  const x = row[q + 1]!;
  const y = row[q + 2]!;
  const z = row[q + 3]!;
  // yaw = atan2(2(wz + xy), w^2 + x^2 - y^2 - z^2), the ZYX yaw; its half angle for q_yaw
  const yaw = Math.atan2(2 * (w * z + x * y), w * w + x * x - y * y - z * z);
  const ch = Math.cos(yaw / 2);
  const sh = Math.sin(yaw / 2);
  // (ch, 0, 0, -sh) (w, x, y, z)
  const sign = ch * w + sh * z < 0 ? -1 : 1;
  row[q] = sign * (ch * w + sh * z);
  row[q + 1] = sign * (ch * x + sh * y);
  row[q + 2] = sign * (ch * y - sh * x);
  row[q + 3] = sign * (ch * z - sh * w);
  if (frame.linvelX !== null) {
    const v = offset + frame.linvelX;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    const vx = row[v]!;
    const vy = row[v + 1]!;
    row[v] = c * vx + s * vy;
    row[v + 1] = c * vy - s * vx;
  }
}

/** Values each state.base quantity puts in the state (StateAssembler's layout). */
const BASE_WIDTH: Readonly<Record<BaseQuantity, number>> = {
  pos_x: 1,
  pos_y: 1,
  pos_z: 1,
  quat: 4,
  linvel: 3,
  angvel: 3,
};

/**
 * The heading frame of a state of `stateDim` values assembled with `base` (state.base): the
 * joints come first, then the base quantities in config order, a repeated one once
 * (StateAssembler). For the trainer process, which does not load the robot model; null without
 * quat in `base`, or when `base` does not fit in `stateDim`. A wrong guess (the robot's config
 * differs) is caught by the controller's PolicyGate, which compares with its own layout.
 */
export function headingFrameFromBase(
  stateDim: number,
  base: readonly BaseQuantity[],
): HeadingFrame | null {
  const unique = [...new Set(base)];
  let at = stateDim - unique.reduce((n, q) => n + BASE_WIDTH[q], 0);
  if (at < 0) return null;
  let quatW = -1;
  let linvelX: number | null = null;
  for (const q of unique) {
    if (q === 'quat') quatW = at;
    if (q === 'linvel') linvelX = at;
    at += BASE_WIDTH[q];
  }
  return quatW < 0 ? null : { quatW, linvelX };
}
