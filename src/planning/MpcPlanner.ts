import { monotonicClock, type Clock } from '../util/clock.js';
import { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';
import { ColouredNoise } from './ColouredNoise.js';
import { Cem } from './optimisers/Cem.js';
import { Icem } from './optimisers/Icem.js';
import { Mppi } from './optimisers/Mppi.js';
import { RandomShooting } from './optimisers/RandomShooting.js';
import type { SequenceOptimiser } from './optimisers/SequenceOptimiser.js';
import { resolvePlannerOptions, type ResolvedPlannerOptions } from './resolvePlannerOptions.js';
import { clipSequence, copyValues, shiftSequence } from './sequences.js';
import { TsInfRollout } from './TsInfRollout.js';
import type { PlannerDeps, PlannerOptions, PlanResult, PlanStatus, SeedSource } from './types.js';

/** Seed used when no Rng is injected, so planning is reproducible by default. */
const DEFAULT_SEED = 0x5eed;

/** How fast the iteration-time estimate forgets a slow iteration (it rises at once). */
const ESTIMATE_DECAY = 0.8;
/**
 * An iteration starts only if 1.25 x its estimated time still fits: iteration times jitter by
 * 10-30% on a loaded 2-core machine (ONNX Runtime thread scheduling, GC), and a tick that starts
 * an iteration it cannot finish misses its deadline.
 */
const ESTIMATE_HEADROOM = 1.25;

/** A time estimate after a measurement: up at once to a slower one, down slowly (ESTIMATE_DECAY). */
function nextEstimate(estimate: number, tookMs: number): number {
  const decayed = ESTIMATE_DECAY * estimate + (1 - ESTIMATE_DECAY) * tookMs;
  return Number.isNaN(estimate) || tookMs > decayed ? tookMs : decayed;
}

interface MutablePlanResult {
  action: Float32Array;
  plan: Float32Array;
  iterations: number;
  status: PlanStatus;
  predictedReturn: number;
  elapsedMs: number;
}

function createOptimiser(o: ResolvedPlannerOptions, rng: Rng): SequenceOptimiser {
  switch (o.optimizer) {
    case 'random':
      return new RandomShooting(o, rng);
    case 'cem':
      return new Cem(o, rng, new ColouredNoise({ horizon: o.horizon, beta: o.noiseBeta }));
    case 'mppi':
      return new Mppi(o, rng, new ColouredNoise({ horizon: o.horizon, beta: o.noiseBeta }));
    case 'icem':
      return new Icem(o, rng, new ColouredNoise({ horizon: o.horizon, beta: o.noiseBeta }));
  }
}

/**
 * Anytime model-predictive control over a learned ensemble (Nagabandi et al. 2017; PETS TS-inf).
 *
 * Each plan() call, from the control tick:
 * 1. warm start: shifts the previous plan one step in place and fills the last step with the
 *    nominal action (options.nominalAction, default zero, clipped to the bounds, or the previous
 *    last action);
 * 2. runs optimiser iterations (random shooting, CEM, iCEM or MPPI) while the next one is expected to
 *    finish before the deadline; one iteration = sample K sequences, roll them out with TS-inf
 *    (H stepper calls of E x B rows), score, refit; with a seed source (deps.seeds) and
 *    options.seedShare > 0, the last floor(seedShare x K_i) sampled rows of every iteration are
 *    replaced by the source's sequences, filled once per call before the first iteration if its
 *    measured time and one iteration's still fit (the policy rolled through the model:
 *    PolicySeeds);
 * 3. returns the best sequence scored in this call (the incumbent; iCEM executes the best
 *    sequence rather than the mean) or, with options.execute 'mean', the optimiser's centre
 *    after its last update (MPPI's weighted average, CEM's elite mean); if no iteration fitted,
 *    the shifted previous plan with status 'missed'.
 *
 * All buffers are allocated in the constructor; plan() allocates nothing but its promise. Not
 * re-entrant: await one plan() before the next.
 */
export class MpcPlanner {
  /** The options in force, defaults filled in (read-only by contract). */
  readonly options: ResolvedPlannerOptions;
  readonly #clock: Clock;
  readonly #rollout: TsInfRollout;
  readonly #optimiser: SequenceOptimiser;
  /** K x H x A, row-major: this iteration's candidates. */
  readonly #population: Float32Array;
  /** K predicted returns. */
  readonly #returns: Float64Array;
  /** H x A: the incumbent plan, also the warm start of the next call. */
  readonly #plan: Float32Array;
  /** A: the nominal action clipped to the bounds, or null when the nominal action is 'last'. */
  readonly #nominalTail: Float32Array | null;
  /** S: copy of the state being planned from (the caller may reuse its array meanwhile). */
  readonly #state: Float32Array;
  readonly #seeds: SeedSource | null;
  /** floor(seedShare x K) x H x A: this call's seed sequences (copied into every iteration). */
  readonly #seedBuf: Float32Array;
  /** Seed sequences held in #seedBuf for the current call. */
  #seedCount = 0;
  /** Expected ms of the seed source's fill(); NaN until measured. */
  #seedMsEstimate = Number.NaN;
  readonly #result: MutablePlanResult;
  /** Expected ms per optimiser iteration; NaN until one has been measured. */
  #iterationMsEstimate = Number.NaN;
  #busy = false;
  #aborted = 0;

  /** @throws StriderError PLANNER_INVALID naming the offending option. */
  constructor(deps: PlannerDeps, options: PlannerOptions) {
    const stepper = deps.stepper;
    const o = resolvePlannerOptions(options, stepper);
    this.options = o;
    this.#clock = deps.clock ?? monotonicClock;
    const rng = deps.rng ?? new Rng(DEFAULT_SEED);
    // TS1's permutations draw from their own stream (TS-inf leaves the sampling stream as it was)
    this.#rollout = new TsInfRollout(
      stepper,
      deps.reward,
      o,
      o.propagation === 'ts1' ? rng.fork() : undefined,
    );
    this.#optimiser = createOptimiser(o, rng);
    const A = o.actionDim;
    this.#population = new Float32Array(o.population * o.horizon * A);
    this.#returns = new Float64Array(o.population);
    this.#plan = new Float32Array(o.horizon * A);
    this.#state = new Float32Array(o.stateDim);
    this.#seeds = deps.seeds ?? null;
    this.#seedBuf = new Float32Array(
      (this.#seeds === null ? 0 : Math.floor(o.seedShare * o.population)) * o.horizon * A,
    );
    if (o.nominal === 'zero') {
      this.#nominalTail = Float32Array.from(o.nominalAction);
      clipSequence(this.#nominalTail, o.actionLow, o.actionHigh);
    } else {
      this.#nominalTail = null;
    }
    this.#result = {
      action: this.#plan.subarray(0, A),
      plan: this.#plan,
      iterations: 0,
      status: 'missed',
      predictedReturn: Number.NaN,
      elapsedMs: 0,
    };
    this.reset();
  }

  /** The result object every plan() call updates (borrowed). */
  get result(): PlanResult {
    return this.#result;
  }

  /** Expected ms per optimiser iteration (NaN before the first one); for telemetry. */
  get iterationMsEstimate(): number {
    return this.#iterationMsEstimate;
  }

  /**
   * Off the tick (after a new model's warm-up): run `plans` plans from `state` with a generous
   * deadline, set the iteration-time estimate to the fastest of their per-iteration times, reset,
   * and return the estimate in ms. The fastest, because what slows a timed iteration is only
   * added: a freshly created ONNX Runtime session's first runs are several times slower, and on a
   * loaded machine other processes take the cores for a while (the median of five then read 53 ms
   * for an iteration that takes 9-18 ms, and the hot-swap gate rejected the model). The estimate
   * rises at once in the ticks if iterations are slower there.
   */
  async calibrate(state: ArrayLike<number>, plans: number): Promise<number> {
    const perIteration: number[] = [];
    for (let i = 0; i < plans; i++) {
      const r = await this.plan(state, this.#clock.nowMs() + 60_000);
      if (r.iterations > 0) perIteration.push(r.elapsedMs / r.iterations);
    }
    if (perIteration.length > 0) this.#iterationMsEstimate = Math.min(...perIteration);
    this.reset();
    return this.#iterationMsEstimate;
  }

  /**
   * Take the iteration-time estimate another planner calibrated on the same ensemble session and
   * shapes (the same cost per iteration: only the weights differ), instead of timing plans of its
   * own. Off the tick. LOOP_STATE for an estimate that is not a positive finite number.
   */
  adoptEstimate(iterationMs: number): void {
    if (!(iterationMs > 0 && Number.isFinite(iterationMs)))
      throw new StriderError('LOOP_STATE', `adoptEstimate needs a positive ms, got ${iterationMs}`);
    this.#iterationMsEstimate = iterationMs;
  }

  /**
   * Episode boundary: the plan becomes the nominal action (default zero) clipped to the bounds,
   * carried elites are dropped. Keeps the iteration-time estimate.
   */
  reset(): void {
    const A = this.options.actionDim;
    for (let i = 0; i < this.#plan.length; i++) this.#plan[i] = this.options.nominalAction[i % A]!;
    clipSequence(this.#plan, this.options.actionLow, this.options.actionHigh);
    this.#optimiser.reset();
    const r = this.#result;
    r.iterations = 0;
    r.status = 'missed';
    r.predictedReturn = Number.NaN;
    r.elapsedMs = 0;
  }

  /**
   * Plan from `state` until `deadlineMs`.
   * @param state      S, raw units; copied, so the caller may reuse it once this resolves.
   * @param deadlineMs absolute time on the injected clock by which plan() should resolve; less
   *                   timeMarginMs, it bounds when iterations may start and end.
   * @returns the planner's result object, updated in place (see PlanResult).
   * @throws StriderError PLANNER_INVALID (state of the wrong length), NON_FINITE (non-finite
   *         state), LOOP_STATE (called while a previous plan() is still running); rejects with
   *         the stepper's error if a step rejects. The control loop turns these into a fallback.
   */
  async plan(state: ArrayLike<number>, deadlineMs: number): Promise<PlanResult> {
    if (this.#busy) {
      throw new StriderError('LOOP_STATE', 'MpcPlanner.plan() called while a plan() is running');
    }
    this.#copyState(state);
    this.#busy = true;
    try {
      return await this.#run(deadlineMs);
    } finally {
      this.#busy = false;
    }
  }

  /** Handed to the rollout so it can give up on an iteration the deadline no longer allows. */
  readonly #deadline = { nowMs: (): number => this.#clock.nowMs(), limitMs: 0, stepMs: Number.NaN };

  /** Iterations abandoned mid-rollout because the deadline came (see PlanResult.status). */
  get abortedIterations(): number {
    return this.#aborted;
  }

  async #run(deadlineMs: number): Promise<PlanResult> {
    const o = this.options;
    const clock = this.#clock;
    const startMs = clock.nowMs();
    const limitMs = deadlineMs - o.timeMarginMs;
    this.#deadline.limitMs = limitMs;
    // typical time of one model call (NaN before the first iteration: the rollout measures)
    this.#deadline.stepMs = this.#iterationMsEstimate / o.horizon;
    const plan = this.#plan;
    const population = this.#population;
    const returns = this.#returns;
    const HA = plan.length;

    shiftSequence(plan, 0, o.horizon, o.actionDim, this.#nominalTail);
    this.#optimiser.begin(plan);
    await this.#fillSeeds(limitMs);

    let bestReturn = Number.NEGATIVE_INFINITY;
    let iterations = 0;
    let aborted = false;
    while (iterations < o.maxIterations) {
      const iterStartMs = clock.nowMs();
      const estimate = this.#iterationMsEstimate;
      // Before the first measurement an iteration is tried whenever any time is left.
      if (
        iterStartMs >= limitMs ||
        iterStartMs + (estimate > 0 ? ESTIMATE_HEADROOM * estimate : 0) > limitMs
      )
        break;

      const count = this.#optimiser.sample(population, plan);
      this.#placeSeeds(population, count);
      const completed = await this.#rollout.evaluate(
        this.#state,
        population,
        returns,
        this.#deadline,
        count,
      );
      if (!completed) {
        // The deadline came mid-iteration (a stall: GC, a busy core): drop the partial iteration
        // and keep the plan of the iterations that finished. Its time raises the estimate.
        this.#aborted++;
        aborted = true;
        const tookMs = clock.nowMs() - iterStartMs;
        if (!(tookMs < this.#iterationMsEstimate)) this.#iterationMsEstimate = tookMs;
        break;
      }
      let bestK = -1;
      for (let k = 0; k < count; k++) {
        if (returns[k]! > bestReturn) {
          bestReturn = returns[k]!;
          bestK = k;
        }
      }
      if (bestK >= 0) copyValues(population, bestK * HA, plan, 0, HA);
      this.#optimiser.update(population, returns);
      iterations++;

      this.#iterationMsEstimate = nextEstimate(estimate, clock.nowMs() - iterStartMs);
    }

    if (iterations > 0 && o.execute === 'mean') {
      // The optimiser's centre after its last update (options resolution guarantees one).
      const centre = this.#optimiser.centre!();
      copyValues(centre, 0, plan, 0, HA);
      bestReturn = this.#optimiser.centreReturn!();
    }

    if (iterations === 0 && !aborted && !Number.isNaN(this.#iterationMsEstimate)) {
      // An estimate above the budget (one slow outlier: a first ONNX run, a GC pause) would
      // otherwise lock the planner out for good; decaying it on every miss retries soon.
      this.#iterationMsEstimate *= ESTIMATE_DECAY;
    }
    const endMs = clock.nowMs();
    const r = this.#result;
    r.iterations = iterations;
    r.status = iterations === 0 ? 'missed' : endMs > deadlineMs ? 'overrun' : 'ok';
    r.predictedReturn = iterations === 0 ? Number.NaN : bestReturn;
    r.elapsedMs = endMs - startMs;
    return r;
  }

  /**
   * This call's seed sequences from the seed source, once before the first iteration, and only
   * when the seeds' expected time and one iteration's still fit before `limitMs` (a tight budget
   * plans without seeds rather than missing). Their time is measured apart from the iterations'.
   */
  async #fillSeeds(limitMs: number): Promise<void> {
    this.#seedCount = 0;
    const max = this.#seedBuf.length / this.#plan.length;
    if (this.#seeds === null || max === 0) return;
    const startMs = this.#clock.nowMs();
    const iteration = this.#iterationMsEstimate > 0 ? this.#iterationMsEstimate : 0;
    const seeds = this.#seedMsEstimate > 0 ? this.#seedMsEstimate : 0;
    if (startMs + ESTIMATE_HEADROOM * (seeds + iteration) > limitMs) return;
    const n = await this.#seeds.fill(this.#state, this.#seedBuf, max);
    this.#seedMsEstimate = nextEstimate(this.#seedMsEstimate, this.#clock.nowMs() - startMs);
    this.#seedCount = Math.max(0, Math.min(max, Math.floor(n)));
    // within the bounds, as sampled rows are (a whole-buffer pass: no view allocated)
    clipSequence(this.#seedBuf, this.options.actionLow, this.options.actionHigh);
  }

  /**
   * The seed sequences replace the last rows of the sampled population (row 0, the centre, and
   * the kept elites after it stay): floor(seedShare x count) of them, at most those held.
   */
  #placeSeeds(population: Float32Array, count: number): void {
    const n = Math.min(this.#seedCount, Math.floor(this.options.seedShare * count), count - 1);
    const HA = this.#plan.length;
    for (let j = 0; j < n; j++)
      copyValues(this.#seedBuf, j * HA, population, (count - n + j) * HA, HA);
  }

  #copyState(state: ArrayLike<number>): void {
    const S = this.options.stateDim;
    if (state.length !== S) {
      throw new StriderError(
        'PLANNER_INVALID',
        `planner state has length ${state.length}, expected stateDim ${S}`,
        { context: { length: state.length, stateDim: S } },
      );
    }
    for (let i = 0; i < S; i++) {
      const v = state[i]!;
      if (!Number.isFinite(v)) {
        throw new StriderError(
          'NON_FINITE',
          `planner state[${i}] is ${v}, expected a finite value`,
          {
            context: { index: i },
          },
        );
      }
      this.#state[i] = v;
    }
  }
}
