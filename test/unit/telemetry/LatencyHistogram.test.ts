import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../../src/telemetry/LatencyHistogram.js';
import { Rng } from '../../../src/util/rng.js';

describe('telemetry/LatencyHistogram', () => {
  it('gives quantiles within 2% of the exact ones, never below', () => {
    const h = new LatencyHistogram();
    const rng = new Rng(3);
    const xs: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const x = Math.exp(rng.normal() * 0.8) * 2; // log-normal around 2 ms
      xs.push(x);
      h.record(x);
    }
    xs.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = xs[Math.ceil(q * xs.length) - 1]!;
      const got = h.quantileMs(q);
      assert.ok(got >= exact * 0.9999 && got <= exact * 1.02, `q${q}: ${got} vs ${exact}`);
    }
    assert.equal(h.maxMs, xs[xs.length - 1]);
    assert.equal(h.count, 5000);
  });

  it('ignores non-finite and negative samples and resets', () => {
    const h = new LatencyHistogram();
    h.record(Number.NaN);
    h.record(-1);
    h.record(Number.POSITIVE_INFINITY);
    assert.equal(h.count, 0);
    assert.equal(h.quantileMs(0.5), 0);
    h.record(4);
    assert.equal(h.quantileMs(0.99), 4);
    const bins = h.bins();
    assert.equal(bins.length, 1);
    assert.ok(bins[0]![0] < 4 && bins[0]![1] >= 4 && bins[0]![2] === 1);
    h.reset();
    assert.equal(h.count, 0);
    assert.equal(h.maxMs, 0);
  });
});
