import * as assert from 'node:assert/strict';
import { P2Quantile } from '../../../src/telemetry/P2Quantile.js';
import { Rng } from '../../../src/util/rng.js';

/** The exact p-quantile of xs (linear interpolation between order statistics). */
function exactQuantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const r = p * (s.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (r - lo) * (s[hi]! - s[lo]!);
}

describe('telemetry/P2Quantile', () => {
  it('is NaN before any observation and exact for up to five', () => {
    const q = new P2Quantile(0.5);
    assert.ok(Number.isNaN(q.value()));
    const xs = [3, -1, 7, 2];
    for (const [i, x] of xs.entries()) {
      q.add(x);
      assert.equal(q.value(), exactQuantile(xs.slice(0, i + 1), 0.5));
    }
    q.add(10);
    assert.equal(q.value(), 3);
    assert.equal(q.count, 5);
  });

  it('tracks the median and the 0.9 quantile of a long stream within a small error', () => {
    const rng = new Rng(7);
    for (const p of [0.5, 0.9]) {
      const q = new P2Quantile(p);
      const xs: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const x = rng.normal() * 2 + 5;
        xs.push(x);
        q.add(x);
      }
      const exact = exactQuantile(xs, p);
      assert.ok(Math.abs(q.value() - exact) < 0.05, `p ${p}: ${q.value()} against ${exact}`);
    }
  });

  it('is not pulled by a few diverging observations, unlike the mean', () => {
    const rng = new Rng(3);
    const q = new P2Quantile(0.5);
    let sum = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const x = i % 500 === 0 ? 1e7 : rng.normal() * 0.1 + 0.4;
      sum += x;
      q.add(x);
    }
    assert.ok(sum / n > 1000, 'the mean is pulled');
    assert.ok(Math.abs(q.value() - 0.4) < 0.02, `median ${q.value()}`);
  });

  it('ignores non-finite observations and refuses a p outside (0, 1)', () => {
    const q = new P2Quantile(0.5);
    q.add(Number.NaN);
    q.add(Number.POSITIVE_INFINITY);
    q.add(1);
    assert.equal(q.count, 1);
    assert.equal(q.value(), 1);
    assert.throws(() => new P2Quantile(0), RangeError);
    assert.throws(() => new P2Quantile(1), RangeError);
  });
});
