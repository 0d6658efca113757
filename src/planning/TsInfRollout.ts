import type { EnsembleStepper } from '../dynamics/types.js';
import type { BatchReward } from './types.js';

/** Sizes of a TS-inf rollout. */
export interface TsInfRolloutOptions {
  /** H, control steps. */
  readonly horizon: number;
  /** K action sequences. */
  readonly population: number;
  /** P particles per sequence; K * P must be divisible by the stepper's ensemble size. */
  readonly particles: number;
  /** gamma in (0, 1]: the step-t reward is weighted gamma^t. */
  readonly discount: number;
}

/**
 * TS-inf trajectory sampling (Chua et al. 2018): K action sequences x P particles, every particle
 * bound to one ensemble member for the whole horizon. Particle n = k * P + p (sequence k) goes to
 * member e = n mod E, row b = floor(n / E) of that member, so each sequence's particles are
 * spread evenly over the members (exactly P / E each when E divides P). The rows never move
 * between steps, so a particle keeps its member.
 *
 * One evaluate() makes H stepper calls of E x B rows (B = K * P / E) and H reward calls. All
 * buffers are allocated here; evaluate() allocates nothing but its promise.
 */
export class TsInfRollout {
  readonly #stepper: EnsembleStepper;
  readonly #reward: BatchReward;
  readonly #H: number;
  readonly #K: number;
  readonly #P: number;
  readonly #S: number;
  readonly #A: number;
  /** N = K * P rows in member-major order (E x B). */
  readonly #N: number;
  readonly #B: number;
  /** N: the sequence index of each row. */
  readonly #rowSequence: Int32Array;
  /** N x S, double-buffered particle states (E x B x S). */
  readonly #statesA: Float32Array;
  readonly #statesB: Float32Array;
  /** N x A actions for the current step (E x B x A). */
  readonly #actions: Float32Array;
  /** N x A actions of the step before, for a reward with action-rate terms; else null. */
  readonly #prevActions: Float32Array | null;
  /** N rewards of the current step. */
  readonly #stepRewards: Float32Array;
  /** N discounted returns, summed in double precision. */
  readonly #rowReturns: Float64Array;
  /** H: gamma^t. */
  readonly #weights: Float64Array;

  constructor(stepper: EnsembleStepper, reward: BatchReward, options: TsInfRolloutOptions) {
    const E = stepper.ensembleSize;
    this.#stepper = stepper;
    this.#reward = reward;
    this.#H = options.horizon;
    this.#K = options.population;
    this.#P = options.particles;
    this.#S = stepper.stateDim;
    this.#A = stepper.actionDim;
    const N = this.#K * this.#P;
    this.#N = N;
    this.#B = N / E;
    this.#rowSequence = new Int32Array(N);
    for (let e = 0; e < E; e++) {
      for (let b = 0; b < this.#B; b++) {
        this.#rowSequence[e * this.#B + b] = Math.floor((b * E + e) / this.#P);
      }
    }
    this.#statesA = new Float32Array(N * this.#S);
    this.#statesB = new Float32Array(N * this.#S);
    this.#actions = new Float32Array(N * this.#A);
    this.#prevActions = reward.usesPreviousActions === true ? new Float32Array(N * this.#A) : null;
    this.#stepRewards = new Float32Array(N);
    this.#rowReturns = new Float64Array(N);
    this.#weights = new Float64Array(this.#H);
    for (let t = 0; t < this.#H; t++) this.#weights[t] = Math.pow(options.discount, t);
  }

  /** Rows per member, B. */
  get batchPerMember(): number {
    return this.#B;
  }

  /** Sequence index of each of the E x B rows (read-only view, for tests and diagnostics). */
  get rowSequence(): Readonly<Int32Array> {
    return this.#rowSequence;
  }

  /**
   * Predicted return of every sequence: the mean over its P particles of sum_t gamma^t r_t.
   * A non-finite return (a diverging model) becomes -Infinity so it is never selected.
   * @param state      S, the current state, raw units.
   * @param population K x H x A, row-major, raw units (already within bounds).
   * @param returns    K, written.
   */
  /**
   * Roll every sequence of `population` forward from `state` and write each sequence's mean
   * return over its particles into `returns` (K). With a `deadline`, the rollout is abandoned
   * before model call t > 0 when the remaining calls would end past `limitMs`: time already spent
   * counts in full (a stall has happened), the remaining calls are projected at `stepMs` (the
   * typical time of one call; when unknown, the mean of the calls made so far). It then resolves
   * false and `returns` is not written.
   */
  async evaluate(
    state: ArrayLike<number>,
    population: Float32Array,
    returns: Float64Array,
    deadline?: { readonly nowMs: () => number; readonly limitMs: number; readonly stepMs: number },
  ): Promise<boolean> {
    const H = this.#H;
    const S = this.#S;
    const A = this.#A;
    const N = this.#N;
    const HA = H * A;
    const rowSequence = this.#rowSequence;
    const actions = this.#actions;
    const stepRewards = this.#stepRewards;
    const rowReturns = this.#rowReturns;

    let current = this.#statesA;
    let next = this.#statesB;
    for (let r = 0; r < N; r++) {
      const base = r * S;
      for (let i = 0; i < S; i++) current[base + i] = state[i]!;
    }
    rowReturns.fill(0);

    let firstCallMs = 0;
    for (let t = 0; t < H; t++) {
      if (deadline !== undefined) {
        const nowMs = deadline.nowMs();
        if (t === 0) firstCallMs = nowMs;
        else {
          const stepMs = deadline.stepMs > 0 ? deadline.stepMs : (nowMs - firstCallMs) / t;
          if (nowMs + stepMs * (H - t) > deadline.limitMs) return false;
        }
      }
      for (let r = 0; r < N; r++) {
        const src = rowSequence[r]! * HA + t * A;
        const dst = r * A;
        for (let j = 0; j < A; j++) actions[dst + j] = population[src + j]!;
      }
      await this.#stepper.step(current, actions, this.#B, next);
      const prev = this.#prevActions;
      if (prev === null || t === 0) {
        this.#reward.evaluate(current, actions, next, N, stepRewards);
      } else {
        this.#reward.evaluate(current, actions, next, N, stepRewards, prev);
      }
      if (prev !== null) prev.set(actions);
      const w = this.#weights[t]!;
      for (let r = 0; r < N; r++) rowReturns[r] = rowReturns[r]! + w * stepRewards[r]!;
      const swap = current;
      current = next;
      next = swap;
    }

    returns.fill(0);
    for (let r = 0; r < N; r++) {
      const k = rowSequence[r]!;
      returns[k] = returns[k]! + rowReturns[r]!;
    }
    const invP = 1 / this.#P;
    for (let k = 0; k < this.#K; k++) {
      const v = returns[k]! * invP;
      returns[k] = Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY;
    }
    return true;
  }
}
