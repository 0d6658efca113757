import { POSITION, VELOCITY, type ActuatorTable } from './actuatorTable.js';
import { clampTo } from './limits.js';
import type { SafetyConfig } from './safetyConfig.js';

/** What the safe command is computed from, besides the state; owned by the gate. */
export interface SafePose {
  /** The last finite measured position of each actuator's joint, and whether there is one. */
  readonly lastQ: Float64Array;
  readonly lastQValid: Uint8Array;
  /** The pose at the fault (safe_command: hold), valid while `holdValid`. */
  readonly hold: Float64Array;
  holdValid: boolean;
  /**
   * Whether the gate has been armed once: only then does a position action space's safe command
   * seek the stance. Before it, the safe command holds the measured pose: a robot lying down when
   * strider starts is not stood up by a command nobody armed.
   */
  armedOnce: boolean;
}

/**
 * Every actuator's safe value into `out` (model order), within its command limits: position
 * actuators of a position action space go to the stance (at most one rate-limit step from the
 * measured pose each tick) once the gate has been armed, and hold the measured pose before;
 * other position actuators hold (hold: the pose when the fault began,
 * so a sagging joint is brought back; damping: the last measured pose), velocity actuators get 0, effort actuators get damping
 * (-kd qdot) or hold (PD to the pose at the fault) when `damp` (the state is valid) and zero effort
 * when not (never the last command).
 *
 * Returns false when some position actuator has never been measured, or a value could not be made
 * finite: then nothing must be sent (any position target would be a guess). Allocation-free.
 */
export function fillSafeCommand(
  t: ActuatorTable,
  config: SafetyConfig,
  state: Float32Array,
  damp: boolean,
  pose: SafePose,
  out: Float64Array,
): boolean {
  const hold = config.safe_command === 'hold';
  let canSend = true;
  for (let k = 0; k < out.length; k++) {
    const lo = t.lo[k]!;
    const hi = t.hi[k]!;
    let v = 0;
    switch (t.iface[k]) {
      case POSITION:
        if (pose.armedOnce && Number.isFinite(t.stance[k]!) && pose.lastQValid[k] === 1) {
          // the stance, approached from the measured pose at most one rate-limit step per tick
          const q = pose.lastQ[k]!;
          v = clampTo(t.stance[k]!, q - t.rateStep[k]!, q + t.rateStep[k]!);
        } else if (hold && pose.holdValid && Number.isFinite(pose.hold[k]!)) v = pose.hold[k]!;
        else if (pose.lastQValid[k] === 1) v = pose.lastQ[k]!;
        else {
          v = Number.isFinite(lo + hi) ? (lo + hi) / 2 : 0;
          canSend = false;
        }
        break;
      case VELOCITY:
        v = 0;
        break;
      default: {
        if (damp) {
          const pj = t.posIndex[k]!;
          const vj = t.velIndex[k]!;
          const qd = vj >= 0 ? state[vj]! : 0;
          let tau = -config.damping_kd * qd;
          if (hold && pj >= 0) tau += config.hold_kp * (pose.hold[k]! - state[pj]!);
          v = clampTo(tau / t.nmPerUnit[k]!, -t.effMax[k]!, t.effMax[k]!);
        }
      }
    }
    // + 0: zero effort is +0, not the -0 of damping a joint at rest (-kd * 0)
    v = clampTo(v, lo, hi) + 0;
    // Non-finite here only from a broken model (infinite limits and no measurement): send 0.
    out[k] = Number.isFinite(v) ? v : clampTo(0, lo, hi);
    if (!Number.isFinite(out[k]!)) canSend = false;
  }
  return canSend;
}

/** Remember each finite measured joint position of `state` in pose.lastQ. */
export function rememberPose(t: ActuatorTable, state: Float32Array, pose: SafePose): void {
  for (let k = 0; k < t.posIndex.length; k++) {
    const j = t.posIndex[k]!;
    if (j < 0) continue;
    const q = state[j]!;
    if (Number.isFinite(q)) {
      pose.lastQ[k] = q;
      pose.lastQValid[k] = 1;
    }
  }
}

/** Take the hold pose (safe_command: hold) from `state`, the last measured where unmeasured. */
export function captureHold(t: ActuatorTable, state: Float32Array, pose: SafePose): void {
  for (let k = 0; k < t.posIndex.length; k++) {
    const j = t.posIndex[k]!;
    pose.hold[k] = j >= 0 ? state[j]! : pose.lastQ[k]!;
  }
  pose.holdValid = true;
}
