import assert from 'node:assert/strict';
import { LockstepScheduler } from '../../../src/control/LockstepScheduler.js';
import type { TickInfo } from '../../../src/control/types.js';

describe('control/LockstepScheduler', () => {
  it('runs ticks back to back, one at a time, with measured periods', async () => {
    let now = 0;
    const queue: Array<() => void> = [];
    const s = new LockstepScheduler({
      clock: { nowMs: () => now },
      periodMs: 50,
      onError: () => undefined,
      defer: (cb) => queue.push(cb),
    });
    const seen: TickInfo[] = [];
    s.start((info) => {
      seen.push(info);
      now += 3;
    });
    for (let i = 0; i < 5; i++) queue.shift()?.();
    await s.stop();
    queue.shift()?.();
    assert.equal(seen.length, 5);
    assert.equal(s.ticks, 5);
    assert.equal(seen[0]!.measuredPeriodMs, 50);
    assert.equal(seen[1]!.measuredPeriodMs, 3);
    assert.equal(s.overruns, 0);
  });

  it('waits for an async tick before the next and survives a rejection', async () => {
    const errors: unknown[] = [];
    const s = new LockstepScheduler({
      clock: { nowMs: () => 0 },
      periodMs: 10,
      onError: (e) => errors.push(e),
    });
    let active = 0;
    let maxActive = 0;
    let n = 0;
    await new Promise<void>((resolve) => {
      s.start(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setImmediate(r));
        active--;
        n++;
        if (n === 2) throw new Error('tick failed');
        if (n === 6) resolve();
      });
    });
    await s.stop();
    assert.equal(maxActive, 1);
    assert.equal(errors.length, 1);
    assert.ok(n >= 6);
  });
});
