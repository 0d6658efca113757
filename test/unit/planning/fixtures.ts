import type { EnsembleStepper } from '../../../src/dynamics/types.js';
import type { BatchReward } from '../../../src/planning/types.js';
import type { Clock } from '../../../src/util/clock.js';

/** Arguments of one EnsembleStepper.step call, as the planner passed them. */
export interface StepCall {
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly batchPerMember: number;
  readonly out: Float32Array;
}

/**
 * Analytic ensemble: s'_i = s_i + dtSec * a_i + memberOffsets[e] for i < A; the remaining state
 * dimensions (i >= A) count the member that stepped them: s'_i = s_i + (e + 1). Records every
 * call's arguments (identities and copies of the actions) when asked.
 */
export class LinearStepper implements EnsembleStepper {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  readonly maxBatchPerMember: number;
  readonly dtSec: number;
  readonly memberOffsets: readonly number[];
  calls = 0;
  readonly recorded: StepCall[] = [];
  readonly recordedActions: Float32Array[] = [];
  record = false;
  /** Runs after every step (e.g. to advance a fake clock). */
  onStep: (() => void) | null = null;

  constructor(options: {
    stateDim: number;
    actionDim: number;
    ensembleSize: number;
    maxBatchPerMember?: number;
    dtSec?: number;
    memberOffsets?: readonly number[];
  }) {
    this.stateDim = options.stateDim;
    this.actionDim = options.actionDim;
    this.ensembleSize = options.ensembleSize;
    this.maxBatchPerMember = options.maxBatchPerMember ?? 100_000;
    this.dtSec = options.dtSec ?? 0.5;
    this.memberOffsets = options.memberOffsets ?? new Array<number>(options.ensembleSize).fill(0);
  }

  step(
    states: Float32Array,
    actions: Float32Array,
    batchPerMember: number,
    out: Float32Array,
  ): Promise<void> {
    const S = this.stateDim;
    const A = this.actionDim;
    for (let e = 0; e < this.ensembleSize; e++) {
      const offset = this.memberOffsets[e]!;
      for (let b = 0; b < batchPerMember; b++) {
        const r = e * batchPerMember + b;
        for (let i = 0; i < S; i++) {
          const s = states[r * S + i]!;
          out[r * S + i] = i < A ? s + this.dtSec * actions[r * A + i]! + offset : s + (e + 1);
        }
      }
    }
    this.calls++;
    if (this.record) {
      this.recorded.push({ states, actions, batchPerMember, out });
      this.recordedActions.push(actions.slice(0, this.ensembleSize * batchPerMember * A));
    }
    this.onStep?.();
    return Promise.resolve();
  }
}

/** r = -sum_i (s'_i - target_i)^2 - c * sum_j a_j^2 over the first target.length dimensions. */
export class QuadraticReward implements BatchReward {
  readonly target: readonly number[];
  readonly controlCost: number;
  readonly stateDim: number;
  readonly actionDim: number;
  calls = 0;
  /** Called with each step's nextStates (for TS-inf checks). */
  onEvaluate: ((nextStates: Float32Array, count: number) => void) | null = null;

  constructor(options: {
    target: readonly number[];
    controlCost: number;
    stateDim: number;
    actionDim: number;
  }) {
    this.target = options.target;
    this.controlCost = options.controlCost;
    this.stateDim = options.stateDim;
    this.actionDim = options.actionDim;
  }

  evaluate(
    _states: Float32Array,
    actions: Float32Array,
    nextStates: Float32Array,
    count: number,
    out: Float32Array,
  ): void {
    const S = this.stateDim;
    const A = this.actionDim;
    for (let r = 0; r < count; r++) {
      let cost = 0;
      for (let i = 0; i < this.target.length; i++) {
        const d = nextStates[r * S + i]! - this.target[i]!;
        cost += d * d;
      }
      for (let j = 0; j < A; j++) {
        const a = actions[r * A + j]!;
        cost += this.controlCost * a * a;
      }
      out[r] = -cost;
    }
    this.calls++;
    this.onEvaluate?.(nextStates, count);
  }
}

/** A hand-driven clock. */
export class ManualClock implements Clock {
  now = 1000;
  nowMs(): number {
    return this.now;
  }
}

/** Solve the dense n x n system M x = b by Gaussian elimination with partial pivoting. */
function solve(M: number[][], b: number[]): number[] {
  const n = b.length;
  const a = M.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/**
 * Unconstrained optimum of one decoupled dimension of the LinearStepper + QuadraticReward problem
 * (no member offset): maximise -sum_t gamma^t [(s0 + dt sum_{j<=t} a_j - g)^2 + c a_t^2].
 * Setting the gradient to zero gives (M^T W M + c W) a = M^T W (g - s0) 1, M[t][j] = dt for j<=t,
 * W = diag(gamma^t). Returns the H actions.
 */
export function lqOptimum(options: {
  horizon: number;
  dtSec: number;
  controlCost: number;
  start: number;
  target: number;
  discount?: number;
}): number[] {
  const H = options.horizon;
  const gamma = options.discount ?? 1;
  const M: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < H; i++) {
    const row: number[] = [];
    let rhs = 0;
    for (let j = 0; j < H; j++) {
      // sum_t w_t M[t][i] M[t][j] for t >= max(i, j)
      let s = 0;
      for (let t = Math.max(i, j); t < H; t++)
        s += Math.pow(gamma, t) * options.dtSec * options.dtSec;
      if (i === j) s += options.controlCost * Math.pow(gamma, i);
      row.push(s);
    }
    for (let t = i; t < H; t++)
      rhs += Math.pow(gamma, t) * options.dtSec * (options.target - options.start);
    M.push(row);
    b.push(rhs);
  }
  return solve(M, b);
}

/**
 * Return of an H x A plan under the LinearStepper dynamics with the given member offset and the
 * QuadraticReward (first A state dimensions), in double precision.
 */
export function simulateReturn(options: {
  plan: ArrayLike<number>;
  horizon: number;
  actionDim: number;
  start: readonly number[];
  target: readonly number[];
  dtSec: number;
  controlCost: number;
  offset?: number;
  discount?: number;
}): number {
  const A = options.actionDim;
  const s = options.start.slice(0, A);
  const gamma = options.discount ?? 1;
  let ret = 0;
  for (let t = 0; t < options.horizon; t++) {
    let cost = 0;
    for (let j = 0; j < A; j++) {
      const a = options.plan[t * A + j]!;
      s[j] = s[j]! + options.dtSec * a + (options.offset ?? 0);
      const d = s[j]! - options.target[j]!;
      cost += d * d + options.controlCost * a * a;
    }
    ret -= Math.pow(gamma, t) * cost;
  }
  return ret;
}
