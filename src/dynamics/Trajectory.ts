import { StriderError } from '../util/StriderError.js';

/**
 * One recorded episode (or a contiguous piece of one): T transitions.
 * The learning loop feeds lists of these to the trainer; hold-out splits are made by trajectory.
 */
export interface Trajectory {
  /** (T + 1) x S, row-major, raw units: s_0 .. s_T. */
  readonly states: Float32Array;
  /** T x A, row-major, raw units: a_t is applied in s_t and leads to s_{t+1}. */
  readonly actions: Float32Array;
}

/** A dataset: a list of trajectories sharing S and A. */
export type TrajectoryDataset = readonly Trajectory[];

/** Number of transitions T of a trajectory, checked against S and A (MODEL_SHAPE_MISMATCH). */
export function trajectoryLength(traj: Trajectory, stateDim: number, actionDim: number): number {
  const T = traj.actions.length / actionDim;
  if (!Number.isInteger(T) || traj.states.length !== (T + 1) * stateDim) {
    throw new StriderError(
      'MODEL_SHAPE_MISMATCH',
      `trajectory has ${traj.states.length} state values and ${traj.actions.length} action values; ` +
        `expected (T+1) x ${stateDim} and T x ${actionDim}`,
      { context: { stateDim, actionDim } },
    );
  }
  return T;
}

/** Total transitions in a dataset (each trajectory checked). */
export function countTransitions(
  data: TrajectoryDataset,
  stateDim: number,
  actionDim: number,
): number {
  let n = 0;
  for (const t of data) n += trajectoryLength(t, stateDim, actionDim);
  return n;
}

/** Throws NON_FINITE when any state or action value is NaN or infinite. */
export function assertFiniteTrajectories(data: TrajectoryDataset): void {
  for (let k = 0; k < data.length; k++) {
    const t = data[k];
    if (t === undefined) continue;
    for (const [field, arr] of [
      ['states', t.states],
      ['actions', t.actions],
    ] as const) {
      for (let i = 0; i < arr.length; i++) {
        if (!Number.isFinite(arr[i])) {
          throw new StriderError('NON_FINITE', `trajectory ${k} ${field}[${i}] is ${arr[i]}`, {
            context: { trajectory: k, field, index: i },
          });
        }
      }
    }
  }
}

/** A split of trajectory indices into training and hold-out sets. */
export interface TrajectorySplit {
  readonly train: readonly Trajectory[];
  readonly holdout: readonly Trajectory[];
}

/**
 * Splits BY TRAJECTORY (whole episodes go to one side) so hold-out figures are not inflated by
 * near-duplicate neighbouring samples. Takes whole trajectories for the hold-out until about
 * `holdoutFraction` of the transitions are held out, in an order shuffled by `random` (uniform in
 * [0, 1)). With fewer than two trajectories nothing is held out.
 *
 * With `assigned`, the split is sticky across calls (refits that warm-start from the previous
 * weights): a trajectory seen before keeps its side, so a held-out trajectory is never trained
 * on later; only new trajectories are shuffled and assigned, the hold-out topped up towards the
 * fraction, and their sides recorded in the map.
 */
export function splitByTrajectory(
  data: TrajectoryDataset,
  options: {
    readonly holdoutFraction: number;
    readonly stateDim: number;
    readonly actionDim: number;
    readonly random: () => number;
    /** true: held out, false: training; read and extended (sticky split). */
    readonly assigned?: WeakMap<Trajectory, boolean>;
  },
): TrajectorySplit {
  const { stateDim: S, actionDim: A, assigned } = options;
  const holdout: Trajectory[] = [];
  const train: Trajectory[] = [];
  const fresh: Trajectory[] = [];
  let held = 0;
  for (const t of data) {
    const side = assigned?.get(t);
    if (side === undefined) fresh.push(t);
    else if (side) {
      holdout.push(t);
      held += trajectoryLength(t, S, A);
    } else train.push(t);
  }
  for (let i = fresh.length - 1; i > 0; i--) {
    const j = Math.floor(options.random() * (i + 1));
    const a = fresh[i]!;
    fresh[i] = fresh[j]!;
    fresh[j] = a;
  }
  const hold = data.length >= 2 && options.holdoutFraction > 0;
  const target = countTransitions(data, S, A) * options.holdoutFraction;
  for (const t of fresh) {
    // keep at least one trajectory for training
    const out = hold && held < target && holdout.length < data.length - 1;
    if (out) {
      holdout.push(t);
      held += trajectoryLength(t, S, A);
    } else train.push(t);
    assigned?.set(t, out);
  }
  return { train, holdout };
}

/**
 * Flattens transitions into (state, action) inputs and deltas s' - s.
 * @returns inputs N x (S + A) and deltas N x S, row-major, raw units.
 */
export function flattenTransitions(
  data: TrajectoryDataset,
  stateDim: number,
  actionDim: number,
): { readonly inputs: Float32Array; readonly deltas: Float32Array; readonly count: number } {
  const N = countTransitions(data, stateDim, actionDim);
  const D = stateDim + actionDim;
  const inputs = new Float32Array(N * D);
  const deltas = new Float32Array(N * stateDim);
  let row = 0;
  for (const t of data) {
    const T = trajectoryLength(t, stateDim, actionDim);
    for (let k = 0; k < T; k++, row++) {
      const s0 = k * stateDim;
      inputs.set(t.states.subarray(s0, s0 + stateDim), row * D);
      inputs.set(t.actions.subarray(k * actionDim, (k + 1) * actionDim), row * D + stateDim);
      for (let j = 0; j < stateDim; j++) {
        deltas[row * stateDim + j] = (t.states[s0 + stateDim + j] ?? 0) - (t.states[s0 + j] ?? 0);
      }
    }
  }
  return { inputs, deltas, count: N };
}
