import type { Rng } from '../../util/rng.js';
import type { ColouredNoise } from '../ColouredNoise.js';
import type { ResolvedPlannerOptions } from '../resolvePlannerOptions.js';
import { copyValues, sampleGaussian, shiftSequence } from '../sequences.js';
import type { SequenceOptimiser } from './SequenceOptimiser.js';
import { refitToElites, selectTop } from './selectTop.js';

/**
 * iCEM (Pinneri et al. 2020, "Sample-efficient cross-entropy method for real-time planning"):
 * CEM whose population shrinks by `populationDecay` every iteration (K_i = K / gamma^i, at least
 * twice the elites), sampled with coloured noise along the horizon (noiseBeta, 2 in the paper),
 * with a fraction of the elites reused in the next iteration and, shifted one step, in the first
 * iteration of the next tick; the mean is row 0 of every iteration, and the planner executes the
 * best sequence seen (not the mean).
 *
 * Per iteration: sample K_i sequences ~ clip(mean + std * coloured noise) after the mean and the
 * kept elites, take the `elites` best, refit mean and std with momentum alpha, floor std at
 * minStd, keep the best keptElites. The std restarts at initStd every plan() call; the mean starts
 * at the warm start (the previous plan shifted).
 */
export class Icem implements SequenceOptimiser {
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
  /** keptElites x H x A: elites carried into the next iteration (and tick). */
  readonly #kept: Float32Array;
  #keptCount = 0;
  /** Iteration index within the current plan() call. */
  #iteration = 0;
  /** K_i of the current iteration. */
  #count = 0;
  /** K_i must keep K_i * P divisible by E: a multiple of this step. */
  readonly #countStep: number;
  readonly #minCount: number;

  constructor(options: ResolvedPlannerOptions, rng: Rng, noise: ColouredNoise) {
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
    const E = options.ensembleSize;
    this.#countStep = E / gcd(options.particles, E);
    const atLeast = Math.max(2 * options.cem.elites, 1 + options.cem.keptElites + 1);
    this.#minCount = Math.min(
      options.population,
      Math.ceil(atLeast / this.#countStep) * this.#countStep,
    );
  }

  /** K_i for iteration i: K / decay^i rounded down to the step, within [minCount, K]. */
  populationAt(iteration: number): number {
    const o = this.#opts;
    const raw =
      Math.floor(o.population / Math.pow(o.icem.populationDecay, iteration) / this.#countStep) *
      this.#countStep;
    return Math.min(o.population, Math.max(this.#minCount, raw));
  }

  begin(warmStart: Float32Array): void {
    const o = this.#opts;
    const A = o.actionDim;
    const HA = warmStart.length;
    copyValues(warmStart, 0, this.#mean, 0, HA);
    for (let i = 0; i < HA; i++) this.#std[i] = this.#initStd[i % A]!;
    this.#iteration = 0;
    if (this.#keptCount > 0) {
      // shift every kept elite one step; its tail is the warm start's last row (the nominal action)
      const tailOffset = HA - A;
      for (let e = 0; e < this.#keptCount; e++) {
        shiftSequence(this.#kept, e * HA, o.horizon, A, null);
        copyValues(warmStart, tailOffset, this.#kept, e * HA + tailOffset, A);
      }
    }
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
    refitToElites(population, idx, m, alpha, this.#mean, this.#std, this.#minStd);
    const keep = o.cem.keptElites;
    for (let e = 0; e < keep; e++) copyValues(population, idx[e]! * HA, this.#kept, e * HA, HA);
    this.#keptCount = keep;
    this.#iteration++;
  }

  reset(): void {
    this.#keptCount = 0;
    this.#iteration = 0;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
