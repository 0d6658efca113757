import type { Quaternion } from '../msgs/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { ActuatorTable } from './actuatorTable.js';
import type { SafetyConfig } from './safetyConfig.js';

/**
 * The pure judgements of a state the safety gate builds a command from. Allocation-free, for the
 * tick.
 */

/** Every value finite. */
export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/** Where the base orientation is read when the state has no base.quat (the StateAssembler). */
export interface ImuSource {
  readonly imuOrientation: Readonly<Quaternion>;
}

/** The state finite, and the IMU's orientation too where the tilt is read from it (quatIndex < 0). */
export function finiteState(
  state: Float32Array,
  quatIndex: number,
  imu: ImuSource | null,
): boolean {
  if (!allFinite(state)) return false;
  if (imu !== null && quatIndex < 0) {
    const q = imu.imuOrientation;
    if (!Number.isFinite(q.w + q.x + q.y + q.z)) return false;
  }
  return true;
}

/** Where the base's height and linear and angular velocity (x, y, z) sit in the state; -1 where absent. */
export interface BaseRateIndex {
  readonly posZ: number;
  readonly linvel: Int32Array;
  readonly angvel: Int32Array;
}

/** The base velocity indices of `layout` (state.base without linvel or angvel: -1s). */
export function baseRateIndex(layout: StateLayout): BaseRateIndex {
  const at = (q: string): Int32Array =>
    Int32Array.from(['x', 'y', 'z'], (c) => stateIndex(layout, `base.${q}.${c}`));
  return { posZ: stateIndex(layout, 'base.pos.z'), linvel: at('linvel'), angvel: at('angvel') };
}

/**
 * Measured base height and velocities within limits.state_base_height / _speed / _rate, and measured joint
 * positions and speeds of actuated joints within tolerance of their limits
 * (garbage detection, not a limit: limits.state_position_tolerance, limits.state_velocity_factor).
 */
export function plausibleState(
  t: ActuatorTable,
  limits: SafetyConfig['limits'],
  state: Float32Array,
  base: BaseRateIndex,
): boolean {
  if (base.posZ >= 0 && Math.abs(state[base.posZ]!) > limits.state_base_height) return false;
  for (let i = 0; i < 3; i++) {
    const l = base.linvel[i]!;
    if (l >= 0 && Math.abs(state[l]!) > limits.state_base_speed) return false;
    const a = base.angvel[i]!;
    if (a >= 0 && Math.abs(state[a]!) > limits.state_base_rate) return false;
  }
  const tol = limits.state_position_tolerance;
  const factor = limits.state_velocity_factor;
  for (let k = 0; k < t.posIndex.length; k++) {
    const j = t.posIndex[k]!;
    if (j >= 0) {
      const q = state[j]!;
      if (q < t.qLo[k]! - tol || q > t.qHi[k]! + tol) return false;
    }
    const v = t.velIndex[k]!;
    if (v >= 0 && Math.abs(state[v]!) > factor * t.vMax[k]!) return false;
  }
  return true;
}

/** Every measured joint position finite (a position servo is always measured: actuatorTable). */
export function allMeasured(t: ActuatorTable, state: Float32Array): boolean {
  for (let k = 0; k < t.posIndex.length; k++) {
    const j = t.posIndex[k]!;
    if (j >= 0 && !Number.isFinite(state[j]!)) return false;
  }
  return true;
}

/**
 * The base tilt of orientation (w, x, y, z): 1 when the angle between the body's z axis and world
 * up is beyond the one whose cosine is `cosMaxTilt`, 0 when upright enough, -1 when the quaternion
 * is no rotation (a broken estimator, not a tilt).
 */
export function tiltVerdict(
  w: number,
  x: number,
  y: number,
  z: number,
  cosMaxTilt: number,
): number {
  const n2 = w * w + x * x + y * y + z * z;
  if (!(n2 > 0.25) || !(n2 < 4)) return -1;
  // cos(angle between body z and world z) for a unit quaternion is 1 - 2(x^2 + y^2).
  const cosTilt = (w * w + z * z - x * x - y * y) / n2;
  return cosTilt < cosMaxTilt ? 1 : 0;
}

/** tiltVerdict of the state's base quaternion at quatIndex, else the IMU's; 0 with neither. */
export function baseTilt(
  state: Float32Array,
  quatIndex: number,
  imu: ImuSource | null,
  cosMaxTilt: number,
): number {
  const i = quatIndex;
  if (i >= 0)
    return tiltVerdict(state[i]!, state[i + 1]!, state[i + 2]!, state[i + 3]!, cosMaxTilt);
  if (imu === null) return 0;
  const q = imu.imuOrientation;
  return tiltVerdict(q.w, q.x, q.y, q.z, cosMaxTilt);
}

/** Index of base.quat.w in the state, or -1; throws MODEL_MAPPING unless w, x, y, z are consecutive. */
export function baseQuatIndex(layout: StateLayout): number {
  const w = stateIndex(layout, 'base.quat.w');
  if (w < 0) return w;
  const rest = ['base.quat.x', 'base.quat.y', 'base.quat.z'];
  for (let i = 0; i < 3; i++) {
    if (stateIndex(layout, rest[i]!) !== w + 1 + i) {
      throw new StriderError(
        'MODEL_MAPPING',
        'state layout: base.quat.{w,x,y,z} must be consecutive',
      );
    }
  }
  return w;
}
