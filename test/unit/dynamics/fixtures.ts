import { Rng } from '../../../src/util/rng.js';
import type { Trajectory } from '../../../src/dynamics/Trajectory.js';

/**
 * A known linear system s' = M s + N a + noise, S = 4, A = 2: two damped rotations (0.15 rad per
 * step) driven by the actions. Random uniform actions in [-1, 1].
 */
export function linearSystemTrajectories(options: {
  readonly count: number;
  readonly length: number;
  readonly seed: number;
  readonly noiseStd?: number;
}): Trajectory[] {
  const rng = new Rng(options.seed);
  const c = Math.cos(0.15) * 0.98;
  const s = Math.sin(0.15) * 0.98;
  const M = [c, -s, 0, 0, s, c, 0, 0, 0, 0, c, s, 0, 0, -s, c];
  const N = [0.1, 0, 0.05, 0.02, 0, 0.1, -0.03, 0.08];
  const noise = options.noiseStd ?? 0.002;
  const out: Trajectory[] = [];
  for (let k = 0; k < options.count; k++) {
    const T = options.length;
    const states = new Float32Array((T + 1) * 4);
    const actions = new Float32Array(T * 2);
    for (let j = 0; j < 4; j++) states[j] = rng.uniform(-1, 1);
    for (let t = 0; t < T; t++) {
      const a0 = rng.uniform(-1, 1);
      const a1 = rng.uniform(-1, 1);
      actions[t * 2] = a0;
      actions[t * 2 + 1] = a1;
      for (let i = 0; i < 4; i++) {
        let v = (N[i * 2] ?? 0) * a0 + (N[i * 2 + 1] ?? 0) * a1 + noise * rng.normal();
        for (let j = 0; j < 4; j++) v += (M[i * 4 + j] ?? 0) * (states[t * 4 + j] ?? 0);
        states[(t + 1) * 4 + i] = v;
      }
    }
    out.push({ states, actions });
  }
  return out;
}

/** Uniform random Float32Array in [lo, hi). */
export function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return a.length === b.length ? m : Number.POSITIVE_INFINITY;
}
