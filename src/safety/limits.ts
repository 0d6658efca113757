import { POSITION, VELOCITY, type ActuatorTable } from './actuatorTable.js';
import type { SafetyConfig } from './safetyConfig.js';

/**
 * The pure per-actuator steps of a policy command on its way through the safety gate: the soft
 * start ramp, the rate limit, then the joint and command limits. Scalars in, a scalar out: called
 * per actuator per tick, they allocate nothing.
 */

/** v clamped to [lo, hi]. */
export function clampTo(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The soft start's command: at ramp fraction `s` in [0, 1] (0 at arming, 1 after
 * soft_start.duration_s) a blend from holding the pose at arming `q0` to the policy's command `a`.
 * Position actuators blend targets, velocity actuators scale, effort actuators blend from a PD
 * hold (kp on q0 - q, kd on qd, converted to command units by `nmPerUnit`).
 */
export function softStartCommand(
  iface: number,
  s: number,
  a: number,
  q0: number,
  q: number,
  qd: number,
  kp: number,
  kd: number,
  nmPerUnit: number,
): number {
  switch (iface) {
    case POSITION:
      return s >= 1 ? a : (1 - s) * q0 + s * a;
    case VELOCITY:
      return s * a;
    default: {
      if (s >= 1) return a;
      const hold = (kp * (q0 - q) - kd * qd) / nmPerUnit;
      return (1 - s) * hold + s * a;
    }
  }
}

/** c moved at most `step` from the previous command `prev`. */
export function rateLimit(c: number, prev: number, step: number): number {
  if (c > prev + step) return prev + step;
  if (c < prev - step) return prev - step;
  return c;
}

/**
 * Actuator k's command c limited by its joint (position with margin, velocity, effort; each as
 * `limits` enables it) and then by its command limits: the safety cuts, which win over the rate
 * limit applied before. `q`, `qd`: the joint's measured position and speed; `base`: the last
 * command sent, or q when there is none (a position step is limited from it).
 */
export function limitCommand(
  t: ActuatorTable,
  k: number,
  c: number,
  q: number,
  qd: number,
  base: number,
  limits: SafetyConfig['limits'],
  periodMs: number,
): number {
  const qLo = t.qLo[k]! + limits.position_margin;
  const qHi = t.qHi[k]! - limits.position_margin;
  const vMax = t.vMax[k]!;
  switch (t.iface[k]) {
    case POSITION: {
      if (limits.velocity && Number.isFinite(vMax)) {
        const dq = (vMax * periodMs) / 1000;
        c = clampTo(c, base - dq, base + dq);
      }
      // never further past the margin than the joint already is: holding the measured pose
      // (a soft start's first command) is always allowed, not a jump back inside
      if (limits.position && qLo <= qHi) c = clampTo(c, Math.min(qLo, q), Math.max(qHi, q));
      break;
    }
    case VELOCITY: {
      if (limits.velocity) c = clampTo(c, -vMax, vMax);
      if (limits.position) c = cutOutwards(c, q, qLo, qHi);
      break;
    }
    default: {
      if (limits.effort) c = clampTo(c, -t.effMax[k]!, t.effMax[k]!);
      if (limits.position) c = cutOutwards(c, q, qLo, qHi);
      if (limits.velocity) c = cutOutwards(c, qd, -vMax, vMax);
    }
  }
  return clampTo(c, t.lo[k]!, t.hi[k]!);
}

/**
 * The policy's `action` (action order) through soft start ramp (fraction `s`, from pose `q0`),
 * rate limit (from `prev`, the last command sent; null: none) and limits, into `out` at each
 * commanded actuator's slot (model order; other slots untouched). `lastQ`: a joint's position
 * where the state has none. Returns whether any value was limited. Allocation-free.
 */
export function limitPolicyCommand(
  t: ActuatorTable,
  config: SafetyConfig,
  periodMs: number,
  s: number,
  action: Float32Array,
  state: Float32Array,
  q0: Float64Array,
  lastQ: Float64Array,
  prev: Float64Array | null,
  out: Float64Array,
): boolean {
  let clamped = false;
  for (let i = 0; i < t.slot.length; i++) {
    const k = t.slot[i]!;
    const pj = t.posIndex[k]!;
    const vj = t.velIndex[k]!;
    const q = pj >= 0 ? state[pj]! : lastQ[k]!;
    const qd = vj >= 0 ? state[vj]! : 0;
    const kp = config.hold_kp;
    const kd = config.damping_kd;
    // the policy's bounds first (a position action space), then soft start and rate limit
    const a = clampTo(action[i]!, t.actLo[k]!, t.actHi[k]!);
    if (a !== action[i]!) clamped = true;
    const wanted = softStartCommand(t.iface[k]!, s, a, q0[k]!, q, qd, kp, kd, t.nmPerUnit[k]!);
    // Rate limit first; the safety cuts in limitCommand win over it.
    const c = prev === null ? wanted : rateLimit(wanted, prev[k]!, t.rateStep[k]!);
    const base = prev === null ? q : prev[k]!;
    const limited = limitCommand(t, k, c, q, qd, base, config.limits, periodMs);
    if (limited !== wanted) clamped = true;
    out[k] = limited;
  }
  return clamped;
}

/** Every value of `cmd` (model order) finite and within its actuator's command limits. */
export function withinCommandLimits(t: ActuatorTable, cmd: Float64Array): boolean {
  for (let k = 0; k < cmd.length; k++) {
    const v = cmd[k]!;
    if (!Number.isFinite(v) || v < t.lo[k]! || v > t.hi[k]!) return false;
  }
  return true;
}

/** 0 for a command pushing x further out once x is at or past [lo, hi]; else c. */
function cutOutwards(c: number, x: number, lo: number, hi: number): number {
  if (x >= hi && c > 0) return 0;
  if (x <= lo && c < 0) return 0;
  return c;
}
