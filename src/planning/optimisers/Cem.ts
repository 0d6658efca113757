import type { Rng } from '../../util/rng.js';
import type { ColouredNoise } from '../ColouredNoise.js';
import type { ResolvedPlannerOptions } from '../resolvePlannerOptions.js';
import { copyValues, sampleGaussian, shiftSequence } from '../sequences.js';
import type { SequenceOptimiser } from './SequenceOptimiser.js';
import { refitToElites, selectTop } from './selectTop.js';

/**
 * Cross-entropy method over action sequences (PETS, Chua et al. 2018), with the iCEM refinements
 * of Pinneri et al. 2020 as options: coloured sampling noise and a fraction of the elites kept
 * into the next iteration (and, shifted one step, into the next tick).
 *
 * Per iteration: sample K sequences ~ clip(N(mean, std^2)) (row 0 = mean, then kept elites), take
 * the `elites` best, and refit mean = alpha * mean + (1 - alpha) * eliteMean, likewise for std,
 * floored at minStd. The std restarts at initStd every plan() call; the mean starts at the warm
 * start.
 */
export class Cem implements SequenceOptimiser {
  readonly #opts: ResolvedPlannerOptions;
  readonly #rng: Rng;
  readonly #noise: ColouredNoise;
  /** H x A sampling mean. */
  readonly #mean: Float32Array;
  /** H x A sampling std. */
  readonly #std: Float32Array;
  /** A: initial and minimum std per action dimension, raw units. */
  readonly #initStd: Float32Array;
  readonly #minStd: Float32Array;
  /** elites: indices into the population, best first. */
  readonly #eliteIndex: Int32Array;
  /** keptElites x H x A: elites carried into the next iteration. */
  readonly #kept: Float32Array;
  #keptCount = 0;
  /** Iteration index within the current plan() call. */
  #iteration = 0;
  /** Sequences sampled in the current iteration. */
  #count = 0;
  /** Mean return of the last update's elites (NaN before one). */
  #eliteReturn = Number.NaN;
  /** Sequences per iteration (iCEM's shrinking population); null: K every iteration. */
  readonly #schedule: ((iteration: number) => number) | null;

  constructor(
    options: ResolvedPlannerOptions,
    rng: Rng,
    noise: ColouredNoise,
    schedule: ((iteration: number) => number) | null = null,
  ) {
    this.#schedule = schedule;
    const A = options.actionDim;
    const HA = options.horizon * A;
    this.#opts = options;
    this.#rng = rng;
    this.#noise = noise;
    this.#mean = new Float32Array(HA);
    this.#std = new Float32Array(HA);
    this.#initStd = new Float32Array(A);
    this.#minStd = new Float32Array(A);
    for (let j = 0; j < A; j++) {
      const range = options.actionHigh[j]! - options.actionLow[j]!;
      this.#initStd[j] = options.cem.initStdFraction * range;
      this.#minStd[j] = options.cem.minStdFraction * range;
    }
    this.#eliteIndex = new Int32Array(options.cem.elites);
    this.#kept = new Float32Array(options.cem.keptElites * HA);
  }

  begin(warmStart: Float32Array): void {
    const o = this.#opts;
    const A = o.actionDim;
    const HA = warmStart.length;
    copyValues(warmStart, 0, this.#mean, 0, HA);
    for (let i = 0; i < HA; i++) this.#std[i] = this.#initStd[i % A]!;
    this.#iteration = 0;
    if (this.#keptCount > 0) {
      // Tail of every kept elite: the warm start's last row (the nominal action).
      const tailOffset = HA - A;
      for (let e = 0; e < this.#keptCount; e++) {
        shiftSequence(this.#kept, e * HA, o.horizon, A, null);
        copyValues(warmStart, tailOffset, this.#kept, e * HA + tailOffset, A);
      }
    }
  }

  /** Sequences to sample in iteration `iteration` of a plan() call: K, or the schedule's. */
  populationAt(iteration: number): number {
    return this.#schedule === null ? this.#opts.population : this.#schedule(iteration);
  }

  sample(population: Float32Array): number {
    const o = this.#opts;
    const HA = this.#mean.length;
    const count = this.populationAt(this.#iteration);
    this.#count = count;
    copyValues(this.#mean, 0, population, 0, HA);
    copyValues(this.#kept, 0, population, HA, this.#keptCount * HA);
    sampleGaussian(
      population,
      1 + this.#keptCount,
      count,
      this.#mean,
      this.#std,
      o.actionLow,
      o.actionHigh,
      this.#noise,
      this.#rng,
    );
    return count;
  }

  update(population: Float32Array, returns: Float64Array): void {
    const o = this.#opts;
    const HA = this.#mean.length;
    const m = o.cem.elites;
    const alpha = o.cem.alpha;
    const idx = this.#eliteIndex;
    selectTop(returns, this.#count, m, idx);
    let sum = 0;
    for (let e = 0; e < m; e++) sum += returns[idx[e]!]!;
    this.#eliteReturn = sum / m;
    refitToElites(population, idx, m, alpha, this.#mean, this.#std, this.#minStd);
    const keep = o.cem.keptElites;
    for (let e = 0; e < keep; e++) copyValues(population, idx[e]! * HA, this.#kept, e * HA, HA);
    this.#keptCount = keep;
    this.#iteration++;
  }

  centre(): Float32Array {
    return this.#mean;
  }

  centreReturn(): number {
    return this.#eliteReturn;
  }

  reset(): void {
    this.#keptCount = 0;
    this.#iteration = 0;
  }
}
