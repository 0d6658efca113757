import * as assert from 'node:assert/strict';
import { ColouredNoise } from '../../../src/planning/ColouredNoise.js';
import { Rng } from '../../../src/util/rng.js';

/** Empirical variance and lag-1 autocorrelation over many length-H samples. */
function stats(beta: number, horizon: number): { variance: number; lag1: number } {
  const noise = new ColouredNoise({ horizon, beta });
  const rng = new Rng(11);
  const out = new Float32Array(horizon * 2);
  let sq = 0;
  let cross = 0;
  const n = 4000;
  for (let s = 0; s < n; s++) {
    noise.sample(rng, out, 1, 2); // odd offset, stride 2: exercises the layout
    for (let t = 0; t < horizon; t++) {
      const v = out[1 + 2 * t]!;
      sq += v * v;
      if (t > 0) cross += v * out[1 + 2 * (t - 1)]!;
    }
  }
  const variance = sq / (n * horizon);
  return { variance, lag1: cross / (n * (horizon - 1)) / variance };
}

describe('ColouredNoise', () => {
  it('beta 0 is white unit-variance noise', () => {
    const s = stats(0, 16);
    assert.ok(Math.abs(s.variance - 1) < 0.05, `variance ${s.variance}`);
    assert.ok(Math.abs(s.lag1) < 0.05, `lag1 ${s.lag1}`);
  });

  it('beta 2 keeps unit variance and is strongly correlated in time', () => {
    const s = stats(2, 16);
    assert.ok(Math.abs(s.variance - 1) < 0.1, `variance ${s.variance}`);
    assert.ok(s.lag1 > 0.6, `lag1 ${s.lag1}`);
    assert.ok(stats(1, 16).lag1 < s.lag1);
  });

  it('writes only its strided slots', () => {
    const noise = new ColouredNoise({ horizon: 5, beta: 2 });
    const out = new Float32Array(15).fill(99);
    noise.sample(new Rng(1), out, 2, 3);
    for (let i = 0; i < 15; i++) {
      if (i >= 2 && (i - 2) % 3 === 0) assert.notEqual(out[i], 99);
      else assert.equal(out[i], 99);
    }
  });
});
