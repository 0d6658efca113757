import { trajectoryLength, type TrajectoryDataset } from './Trajectory.js';
import type { EnsembleStepper } from './types.js';

/** Options of the H-step open-loop error. */
export interface HStepOptions {
  /** H, steps rolled open loop from each start. */
  readonly horizon: number;
  /** S per-dimension scale (normally the state part of the input std): errors are in these units. */
  readonly stateScale: Float32Array;
  /** Cap on start states (evenly spaced over all valid ones). Default 256. */
  readonly maxStarts?: number;
}

/** A start state: trajectory index and time index t0 (1 <= t0, t0 + H <= T). */
interface Start {
  readonly traj: number;
  readonly t0: number;
}

/**
 * Valid starts: t0 >= 1 so the constant-velocity baseline (which needs s_{t0-1}) is defined on the
 * very same starts as the model.
 */
function selectStarts(
  data: TrajectoryDataset,
  S: number,
  A: number,
  H: number,
  maxStarts: number,
): Start[] {
  const all: Start[] = [];
  data.forEach((t, k) => {
    const T = trajectoryLength(t, S, A);
    for (let t0 = 1; t0 + H <= T; t0++) all.push({ traj: k, t0 });
  });
  if (all.length <= maxStarts) return all;
  const picked: Start[] = [];
  for (let i = 0; i < maxStarts; i++) {
    const s = all[Math.floor((i * all.length) / maxStarts)];
    if (s !== undefined) picked.push(s);
  }
  return picked;
}

/**
 * Nagabandi et al. 2017, eq. 3: from recorded start states, roll the model H steps open loop on the
 * recorded actions and compare with the recorded states. Returns the mean squared error over starts,
 * steps 1..H, state dimensions and members, in `stateScale` units (each member keeps its own
 * rollout, as TS-inf does). NaN when no trajectory is longer than H. Not for the control path.
 */
export async function hStepError(
  stepper: EnsembleStepper,
  data: TrajectoryDataset,
  options: HStepOptions,
): Promise<number> {
  const S = stepper.stateDim;
  const A = stepper.actionDim;
  const E = stepper.ensembleSize;
  const H = options.horizon;
  const starts = selectStarts(data, S, A, H, options.maxStarts ?? 256);
  if (starts.length === 0) return Number.NaN;
  const chunk = stepper.maxBatchPerMember;
  const cur = new Float32Array(E * chunk * S);
  const next = new Float32Array(E * chunk * S);
  const act = new Float32Array(E * chunk * A);
  let sum = 0;
  let count = 0;
  for (let c0 = 0; c0 < starts.length; c0 += chunk) {
    const batch = starts.slice(c0, c0 + chunk);
    const B = batch.length;
    for (let e = 0; e < E; e++) {
      batch.forEach((st, b) => {
        const traj = data[st.traj];
        if (traj === undefined) return;
        cur.set(traj.states.subarray(st.t0 * S, (st.t0 + 1) * S), (e * B + b) * S);
      });
    }
    for (let h = 0; h < H; h++) {
      for (let e = 0; e < E; e++) {
        batch.forEach((st, b) => {
          const traj = data[st.traj];
          if (traj === undefined) return;
          const t = st.t0 + h;
          act.set(traj.actions.subarray(t * A, (t + 1) * A), (e * B + b) * A);
        });
      }
      await stepper.step(cur, act, B, next);
      for (let e = 0; e < E; e++) {
        batch.forEach((st, b) => {
          const traj = data[st.traj];
          if (traj === undefined) return;
          const t = st.t0 + h + 1;
          for (let j = 0; j < S; j++) {
            const d =
              ((next[(e * B + b) * S + j] ?? 0) - (traj.states[t * S + j] ?? 0)) /
              (options.stateScale[j] ?? 1);
            sum += d * d;
          }
          count += S;
        });
      }
      cur.set(next.subarray(0, E * B * S));
    }
  }
  return sum / count;
}

/** Model-free predictors the learned model must beat. */
export type HStepBaseline = 'zero-delta' | 'constant-velocity';

/**
 * The H-step error of a model-free baseline on the same starts and units as {@link hStepError}:
 * zero-delta predicts s_{t0+k} = s_{t0}; constant-velocity s_{t0+k} = s_{t0} + k (s_{t0} - s_{t0-1}).
 */
export function baselineHStepError(
  data: TrajectoryDataset,
  kind: HStepBaseline,
  options: HStepOptions & { readonly stateDim: number; readonly actionDim: number },
): number {
  const S = options.stateDim;
  const H = options.horizon;
  const starts = selectStarts(data, S, options.actionDim, H, options.maxStarts ?? 256);
  if (starts.length === 0) return Number.NaN;
  let sum = 0;
  let count = 0;
  for (const st of starts) {
    const s = data[st.traj]?.states;
    if (s === undefined) continue;
    for (let k = 1; k <= H; k++) {
      for (let j = 0; j < S; j++) {
        const s0 = s[st.t0 * S + j] ?? 0;
        const vel = kind === 'constant-velocity' ? s0 - (s[(st.t0 - 1) * S + j] ?? 0) : 0;
        const d = (s0 + k * vel - (s[(st.t0 + k) * S + j] ?? 0)) / (options.stateScale[j] ?? 1);
        sum += d * d;
        count += 1;
      }
    }
  }
  return sum / count;
}
