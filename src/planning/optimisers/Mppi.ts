import type { Rng } from '../../util/rng.js';
import type { ColouredNoise } from '../ColouredNoise.js';
import type { ResolvedPlannerOptions } from '../resolvePlannerOptions.js';
import { copyValues, sampleGaussian } from '../sequences.js';
import type { SequenceOptimiser } from './SequenceOptimiser.js';

/**
 * Model-predictive path integral control (Williams et al. 2017; as used for MBRL by Nagabandi et
 * al. 2019): sample K sequences ~ clip(mean + sigma * noise) (row 0 = mean), weight each by
 * exp((R_k - max R) / lambda) and set the mean to the weighted average of the (clipped) samples.
 * sigma is fixed; lambda trades greediness (small) for averaging (large).
 */
export class Mppi implements SequenceOptimiser {
  readonly #opts: ResolvedPlannerOptions;
  readonly #rng: Rng;
  readonly #noise: ColouredNoise;
  /** H x A sampling mean. */
  readonly #mean: Float32Array;
  /** H x A noise std (constant over the horizon). */
  readonly #sigma: Float32Array;
  /** H x A weighted-sum accumulator, double precision. */
  readonly #acc: Float64Array;
  /** K weights. */
  readonly #weights: Float64Array;
  /** The weight-averaged return of the last update (NaN before one). */
  #centreReturn = Number.NaN;

  constructor(options: ResolvedPlannerOptions, rng: Rng, noise: ColouredNoise) {
    const A = options.actionDim;
    const HA = options.horizon * A;
    this.#opts = options;
    this.#rng = rng;
    this.#noise = noise;
    this.#mean = new Float32Array(HA);
    this.#sigma = new Float32Array(HA);
    for (let i = 0; i < HA; i++) {
      const j = i % A;
      this.#sigma[i] =
        options.mppi.noiseStdFraction * (options.actionHigh[j]! - options.actionLow[j]!);
    }
    this.#acc = new Float64Array(HA);
    this.#weights = new Float64Array(options.population);
  }

  begin(warmStart: Float32Array): void {
    copyValues(warmStart, 0, this.#mean, 0, warmStart.length);
  }

  sample(population: Float32Array): number {
    const o = this.#opts;
    copyValues(this.#mean, 0, population, 0, this.#mean.length);
    sampleGaussian(
      population,
      1,
      o.population,
      this.#mean,
      this.#sigma,
      o.actionLow,
      o.actionHigh,
      this.#noise,
      this.#rng,
    );
    return o.population;
  }

  update(population: Float32Array, returns: Float64Array): void {
    const K = this.#opts.population;
    const HA = this.#mean.length;
    let best = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) if (returns[k]! > best) best = returns[k]!;
    if (best === Number.NEGATIVE_INFINITY) {
      this.#centreReturn = best; // every rollout diverged: keep the mean
      return;
    }
    const invLambda = 1 / this.#opts.mppi.temperature;
    const w = this.#weights;
    let total = 0;
    for (let k = 0; k < K; k++) {
      // -Infinity returns give exp(-Infinity) = 0.
      const wk = Math.exp((returns[k]! - best) * invLambda);
      w[k] = wk;
      total += wk;
    }
    const acc = this.#acc;
    acc.fill(0);
    let expected = 0;
    for (let k = 0; k < K; k++) {
      const wk = w[k]! / total;
      if (wk === 0) continue;
      expected += wk * returns[k]!;
      const base = k * HA;
      for (let i = 0; i < HA; i++) acc[i] = acc[i]! + wk * population[base + i]!;
    }
    for (let i = 0; i < HA; i++) this.#mean[i] = acc[i]!;
    this.#centreReturn = expected;
  }

  centre(): Float32Array {
    return this.#mean;
  }

  centreReturn(): number {
    return this.#centreReturn;
  }

  reset(): void {
    // Nothing carried across ticks beyond the warm start the planner hands to begin().
  }
}
