import type { Rng } from '../../util/rng.js';
import type { ResolvedPlannerOptions } from '../resolvePlannerOptions.js';
import { copyValues, sampleUniform } from '../sequences.js';
import type { SequenceOptimiser } from './SequenceOptimiser.js';

/**
 * Random shooting (Nagabandi et al. 2017, sec. IV-C): K sequences drawn uniformly within the
 * action bounds, the best one wins. Row 0 re-scores the incumbent (the shifted previous plan on
 * the first iteration), so more iterations or a larger K can only keep or improve the plan.
 */
export class RandomShooting implements SequenceOptimiser {
  readonly #opts: ResolvedPlannerOptions;
  readonly #rng: Rng;

  constructor(options: ResolvedPlannerOptions, rng: Rng) {
    this.#opts = options;
    this.#rng = rng;
  }

  begin(): void {
    // Stateless: the incumbent handed to sample() is the whole memory.
  }

  sample(population: Float32Array, incumbent: Float32Array): number {
    const o = this.#opts;
    copyValues(incumbent, 0, population, 0, incumbent.length);
    sampleUniform(population, 1, o.population, o.horizon, o.actionLow, o.actionHigh, this.#rng);
    return o.population;
  }

  update(): void {
    // The planner keeps the best sequence; nothing to refit.
  }

  reset(): void {
    // Nothing carried across ticks.
  }
}
