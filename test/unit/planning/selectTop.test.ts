import * as assert from 'node:assert/strict';
import { selectTop } from '../../../src/planning/optimisers/selectTop.js';
import { Rng } from '../../../src/util/rng.js';

describe('selectTop', () => {
  it('matches a full sort, best first, ties by lower index', () => {
    const rng = new Rng(5);
    for (const [n, m] of [
      [1, 1],
      [10, 3],
      [100, 10],
      [50, 50],
    ] as const) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = Math.floor(rng.uniform(0, 20)); // many ties
      values[0] = Number.NEGATIVE_INFINITY;
      const out = new Int32Array(m);
      selectTop(values, n, m, out);
      const sorted = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b);
      assert.deepEqual(Array.from(out), sorted.slice(0, m));
    }
  });
});
