import * as assert from 'node:assert/strict';
import {
  constants,
  performance,
  PerformanceObserver,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { minorGc } from '../../../src/util/minorGc.js';

describe('util/minorGc: a young-generation collection in the gap after a tick', () => {
  it('runs a minor GC synchronously, inside the call, and leaves the global scope as it was', async () => {
    const globalGcBefore = typeof (globalThis as { gc?: unknown }).gc;
    const gc = minorGc();
    assert.ok(gc !== null, 'Node 20 V8 offers gc({ type: "minor" })');
    assert.equal(minorGc(), gc, 'made once');
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, globalGcBefore);

    const entries: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    try {
      const garbage: object[] = [];
      for (let i = 0; i < 10000; i++) garbage.push({ i });
      garbage.length = 0;
      const t0 = performance.now();
      gc();
      const t1 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ours = entries.filter((e) => e.startTime >= t0 && e.startTime <= t1);
      assert.ok(ours.length >= 1, `a GC inside the call (${entries.length} observed)`);
      for (const e of ours) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind;
        assert.equal(kind, constants.NODE_PERFORMANCE_GC_MINOR, 'a scavenge, never a mark-compact');
      }
    } finally {
      observer.disconnect();
    }
  });
});
