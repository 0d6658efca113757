/**
 * Telling that a MuJoCo simulation went bad: MuJoCo's own bad-state warnings and non-finite state.
 * The link turns either into StriderError SIM_UNSTABLE.
 */
import { at, type DataViews } from './mjAccess.js';
import { MJ_WARN_BAD_STATE, type MjDataHandle, type MujocoModule } from './mujocoTypes.js';

/**
 * Watches mjData's warning counters for the bad-state kinds (NaN, Inf or huge qpos/qvel/qacc;
 * MuJoCo then silently resets its data). One per link; the counts only grow until mj_resetData.
 */
export class BadStateWarnings {
  /** Counts of MJ_WARN_BAD_STATE warnings seen so far. */
  readonly #counts = new Float64Array(MJ_WARN_BAD_STATE.length);

  /**
   * MuJoCo's text for a bad-state warning raised since the last call, or null. Reads mjData's
   * warning counters (four short-lived embind handles, deleted at once): MuJoCo's printed
   * warnings are not reliable, as after a model compile error in the same process this build
   * stops printing them.
   */
  read(mujoco: MujocoModule, data: MjDataHandle): string | null {
    // mjData.warning hands out a snapshot: read it fresh each time.
    const w = data.warning;
    let problem: string | null = null;
    for (let k = 0; k < MJ_WARN_BAD_STATE.length; k++) {
      const kind = MJ_WARN_BAD_STATE[k] ?? 0;
      const stat = w.get(kind);
      const count = stat.number;
      const info = stat.lastinfo;
      stat.delete();
      if (count !== this.#counts[k]) {
        if (count > at(this.#counts, k) && problem === null) {
          problem = `MuJoCo warning: ${mujoco.mju_warningText(kind, info)}`;
        }
        this.#counts[k] = count;
      }
    }
    w.delete();
    return problem;
  }
}

/** The first non-finite entry of qpos (nq), qvel or qacc (nv), named, or null. */
export function nonFiniteState(v: DataViews, nq: number, nv: number): string | null {
  for (let i = 0; i < nq; i++)
    if (!Number.isFinite(at(v.qpos, i))) return `qpos[${i}] is not finite`;
  for (let i = 0; i < nv; i++) {
    if (!Number.isFinite(at(v.qvel, i))) return `qvel[${i}] is not finite`;
    if (!Number.isFinite(at(v.qacc, i))) return `qacc[${i}] is not finite`;
  }
  return null;
}
