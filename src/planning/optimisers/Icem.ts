import type { Rng } from '../../util/rng.js';
import type { ColouredNoise } from '../ColouredNoise.js';
import type { ResolvedPlannerOptions } from '../resolvePlannerOptions.js';
import { Cem } from './Cem.js';

/**
 * iCEM (Pinneri et al. 2020, "Sample-efficient cross-entropy method for real-time planning"):
 * CEM whose population shrinks by `populationDecay` every iteration (K_i = K / gamma^i, at least
 * twice the elites), sampled with coloured noise along the horizon (noiseBeta, 2 in the paper),
 * with a fraction of the elites reused in the next iteration and, shifted one step, in the first
 * iteration of the next tick; the mean is row 0 of every iteration, and the planner executes the
 * best sequence seen (not the mean).
 *
 * Everything but the population schedule is the CEM of Cem.ts (sampling after the mean and the
 * kept elites, the elite refit with momentum alpha and the std floor, the kept elites).
 */
export class Icem extends Cem {
  constructor(options: ResolvedPlannerOptions, rng: Rng, noise: ColouredNoise) {
    super(options, rng, noise, icemPopulation(options));
  }
}

/**
 * iCEM's population schedule: K_i = K / decay^i rounded down to a multiple of E / gcd(P, E) (so
 * K_i * P divides by E), within [max(2 * elites, kept elites + 2), K].
 */
function icemPopulation(options: ResolvedPlannerOptions): (iteration: number) => number {
  const K = options.population;
  const decay = options.icem.populationDecay;
  const E = options.ensembleSize;
  const step = E / gcd(options.particles, E);
  const atLeast = Math.max(2 * options.cem.elites, 1 + options.cem.keptElites + 1);
  const minCount = Math.min(K, Math.ceil(atLeast / step) * step);
  return (iteration) => {
    const raw = Math.floor(K / Math.pow(decay, iteration) / step) * step;
    return Math.min(K, Math.max(minCount, raw));
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
