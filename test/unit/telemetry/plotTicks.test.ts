import * as assert from 'node:assert/strict';
import {
  formatNumber,
  formatTicks,
  niceTicks,
  padRange,
} from '../../../src/telemetry/plot/index.js';
import { Rng } from '../../../src/util/rng.js';

function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9);
}

describe('telemetry/plot niceTicks', () => {
  it('covers the range with evenly spaced 1-2-5 ticks', () => {
    const t = niceTicks(0.3, 97.2, 6);
    assert.deepEqual(t.values, [0, 20, 40, 60, 80, 100]);
    assert.equal(t.step, 20);
    assert.equal(t.min, 0);
    assert.equal(t.max, 100);
  });

  it('holds for ranges across magnitudes and signs', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 500; i++) {
      const scale = 10 ** Math.round(rng.next() * 30 - 15);
      const a = (rng.next() * 2 - 1) * scale;
      const b = a + rng.next() * scale * 3;
      const target = 2 + Math.floor(rng.next() * 9);
      const t = niceTicks(a, b, target);
      const first = t.values[0]!;
      const last = t.values[t.values.length - 1]!;
      assert.ok(first <= a && last >= b, `[${a}, ${b}] not covered by ${first}..${last}`);
      assert.ok(isNiceStep(t.step), `step ${t.step} is not 1-2-5`);
      assert.ok(t.values.length >= 2 && t.values.length <= 2 * target + 2, `${t.values.length}`);
      for (let k = 1; k < t.values.length; k++) {
        const gap = t.values[k]! - t.values[k - 1]!;
        assert.ok(Math.abs(gap - t.step) <= t.step * 1e-6, `uneven gap ${gap} vs ${t.step}`);
      }
      assert.ok(t.values.every(Number.isFinite));
    }
  });

  it('pads constant and single values, and falls back to 0..1 on non-finite ends', () => {
    assert.deepEqual(padRange(5, 5), [4.5, 5.5]);
    assert.deepEqual(padRange(0, 0), [-1, 1]);
    assert.deepEqual(padRange(NaN, 3), [0, 1]);
    assert.deepEqual(padRange(1e9, 1e9 + 1e-8), [0.9e9, 1.1e9]);
    const t = niceTicks(5, 5);
    assert.ok(t.min < 5 && t.max > 5);
    assert.ok(niceTicks(-1e308, 1e308).values.every(Number.isFinite));
  });

  it('snaps float noise to the step', () => {
    const t = niceTicks(0.1, 0.7, 7);
    assert.deepEqual(t.values, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    assert.ok(niceTicks(-0.3, 0.3, 7).values.includes(0));
  });
});

describe('telemetry/plot number formatting', () => {
  it('formats compactly', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(1234), '1.23k');
    assert.equal(formatNumber(1200), '1.2k');
    assert.equal(formatNumber(-3_500_000), '-3.5M');
    assert.equal(formatNumber(3.4e-5), '3.4e-5');
    assert.equal(formatNumber(1.2e21), '1.2e21');
    assert.equal(formatNumber(12.345), '12.3');
    assert.equal(formatNumber(0.1234), '0.123');
    assert.equal(formatNumber(40), '40');
  });

  it('labels ticks distinctly with the fewest decimals, one notation per axis', () => {
    assert.deepEqual(formatTicks(niceTicks(0, 1, 5)), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
    assert.deepEqual(formatTicks(niceTicks(0, 0.75, 4)), ['0', '0.2', '0.4', '0.6', '0.8']);
    assert.deepEqual(formatTicks(niceTicks(0, 2000, 5)), ['0', '500', '1k', '1.5k', '2k']);
    assert.deepEqual(formatTicks(niceTicks(0, 4e-5, 5)), ['0', '1e-5', '2e-5', '3e-5', '4e-5']);
    assert.deepEqual(formatTicks(niceTicks(10000, 10800, 5)), [
      '10k',
      '10.2k',
      '10.4k',
      '10.6k',
      '10.8k',
    ]);
    const fine = formatTicks(niceTicks(0, 1.5e-5, 4));
    assert.equal(new Set(fine).size, fine.length);
  });
});
