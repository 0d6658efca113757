import type { EnsembleStepper } from '../dynamics/types.js';
import type { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';
import type { BatchReward, Propagation } from './types.js';

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
  /** ts_inf: a particle keeps its member; ts1: members are reassigned every step. Default ts_inf. */
  readonly propagation?: Propagation;
}

/**
 * Trajectory sampling (Chua et al. 2018): K action sequences x P particles.
 *
 * TS-inf (default): every particle is bound to one ensemble member for the whole horizon. Particle
 * n = k * P + p (sequence k) goes to member e = n mod E, row b = floor(n / E) of that member, so
 * each sequence's particles are spread evenly over the members (exactly P / E each when E divides
 * P), and stays in that row.
 *
 * TS1: before every step after the first, the particles are dealt to the E x B rows by a fresh
 * random permutation, so each particle's member is redrawn every step (uniformly; each member
 * still gets exactly B rows, one batched model call).
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
  readonly #B: number;
  /** N: the sequence index of each row under TS-inf (the layout at t = 0). */
  readonly #rowSequence: Int32Array;
  /** N: the particle in each row this step (row-major E x B). */
  readonly #rowParticle: Int32Array;
  /** N: the TS-inf layout of rowParticle, restored at the start of every evaluate(). */
  readonly #rowParticleTsInf: Int32Array;
  /** Redraws rowParticle every step (TS1), or null (TS-inf). */
  readonly #rng: Rng | null;
  /** N x S particle states, by particle n. */
  readonly #particleStates: Float32Array;
  /** N x S, the rows' states and predicted next states (E x B x S). */
  readonly #statesA: Float32Array;
  readonly #statesB: Float32Array;
  /** N x A actions for the current step (E x B x A). */
  readonly #actions: Float32Array;
  /** N x A actions of the step before, for a reward with action-rate terms; else null. */
  readonly #prevActions: Float32Array | null;
  /** N rewards of the current step. */
  readonly #stepRewards: Float32Array;
  /** N discounted returns by particle, summed in double precision. */
  readonly #rowReturns: Float64Array;
  /** H: gamma^t. */
  readonly #weights: Float64Array;

  /** @param rng the TS1 permutations; required with propagation 'ts1'. */
  constructor(
    stepper: EnsembleStepper,
    reward: BatchReward,
    options: TsInfRolloutOptions,
    rng?: Rng,
  ) {
    const E = stepper.ensembleSize;
    this.#stepper = stepper;
    this.#reward = reward;
    this.#H = options.horizon;
    this.#K = options.population;
    this.#P = options.particles;
    this.#S = stepper.stateDim;
    this.#A = stepper.actionDim;
    const N = this.#K * this.#P;
    this.#B = N / E;
    this.#rowSequence = new Int32Array(N);
    this.#rowParticle = new Int32Array(N);
    this.#rowParticleTsInf = new Int32Array(N);
    for (let e = 0; e < E; e++) {
      for (let b = 0; b < this.#B; b++) {
        this.#rowSequence[e * this.#B + b] = Math.floor((b * E + e) / this.#P);
        this.#rowParticleTsInf[e * this.#B + b] = b * E + e;
      }
    }
    this.#rng = options.propagation === 'ts1' ? (rng ?? null) : null;
    if (options.propagation === 'ts1' && this.#rng === null) {
      throw new StriderError(
        'PLANNER_INVALID',
        'TS1 propagation needs an rng for its permutations',
      );
    }
    this.#particleStates = new Float32Array(N * this.#S);
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
   * @param returns    K, the first `count` written.
   * @param count      sequences to evaluate, the first of the population (default K);
   *                   count * P must be divisible by E.
   *
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
    count: number = this.#K,
  ): Promise<boolean> {
    const H = this.#H;
    const S = this.#S;
    const A = this.#A;
    const P = this.#P;
    const E = this.#stepper.ensembleSize;
    // the first `count` sequences: N rows, B per member (count * P divisible by E: the caller's contract)
    const N = count * P;
    const B = N / E;
    const HA = H * A;
    const rowParticle = this.#rowParticle;
    const particleStates = this.#particleStates;
    const actions = this.#actions;
    const stepRewards = this.#stepRewards;
    const rowReturns = this.#rowReturns;
    const rng = this.#rng;
    const current = this.#statesA;
    const next = this.#statesB;

    if (B === this.#B) rowParticle.set(this.#rowParticleTsInf);
    else for (let e = 0; e < E; e++) for (let b = 0; b < B; b++) rowParticle[e * B + b] = b * E + e;
    for (let n = 0; n < N; n++) {
      const base = n * S;
      for (let i = 0; i < S; i++) particleStates[base + i] = state[i]!;
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
      if (rng !== null && t > 0) {
        // TS1: a fresh deal of particles to rows (Fisher-Yates), so to members
        for (let i = N - 1; i > 0; i--) {
          const j = Math.floor(rng.next() * (i + 1));
          const tmp = rowParticle[i]!;
          rowParticle[i] = rowParticle[j]!;
          rowParticle[j] = tmp;
        }
      }
      for (let r = 0; r < N; r++) {
        const n = rowParticle[r]!;
        const src = Math.floor(n / P) * HA + t * A;
        const dst = r * A;
        for (let j = 0; j < A; j++) actions[dst + j] = population[src + j]!;
        const sBase = n * S;
        const rBase = r * S;
        for (let i = 0; i < S; i++) current[rBase + i] = particleStates[sBase + i]!;
      }
      await this.#stepper.step(current, actions, B, next);
      const prev = this.#prevActions;
      if (prev === null || t === 0) {
        this.#reward.evaluate(current, actions, next, N, stepRewards);
      } else {
        // each row's previous action: its particle's sequence at t - 1 (rows are reassigned
        // per step under TS1, so a copy of the last step's rows would be another particle's)
        for (let r = 0; r < N; r++) {
          const src = Math.floor(rowParticle[r]! / P) * HA + (t - 1) * A;
          for (let j = 0; j < A; j++) prev[r * A + j] = population[src + j]!;
        }
        this.#reward.evaluate(current, actions, next, N, stepRewards, prev);
      }
      const w = this.#weights[t]!;
      for (let r = 0; r < N; r++) {
        const n = rowParticle[r]!;
        rowReturns[n] = rowReturns[n]! + w * stepRewards[r]!;
        const sBase = n * S;
        const rBase = r * S;
        for (let i = 0; i < S; i++) particleStates[sBase + i] = next[rBase + i]!;
      }
    }

    returns.fill(0, 0, count);
    for (let n = 0; n < N; n++) {
      const k = Math.floor(n / P);
      returns[k] = returns[k]! + rowReturns[n]!;
    }
    const invP = 1 / P;
    for (let k = 0; k < count; k++) {
      const v = returns[k]! * invP;
      returns[k] = Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY;
    }
    return true;
  }
}
