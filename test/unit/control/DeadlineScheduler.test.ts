import assert from 'node:assert/strict';
import sinon from 'sinon';
import { DeadlineScheduler } from '../../../src/control/DeadlineScheduler.js';
import type { TickInfo } from '../../../src/control/types.js';
import { nodeTimers, type Clock } from '../../../src/util/clock.js';

describe('control/DeadlineScheduler (fake timers)', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: Clock;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: 1000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    clock = { nowMs: () => fake.now };
  });
  afterEach(() => {
    fake.restore();
  });

  function make(
    periodMs: number,
    onError: (e: unknown) => void = () => undefined,
  ): DeadlineScheduler {
    return new DeadlineScheduler({ periodMs, clock, timers: nodeTimers, onError });
  }

  it('ticks on absolute deadlines t0 + k * period', async () => {
    const s = make(10);
    const seen: TickInfo[] = [];
    s.start((info) => {
      seen.push(info);
    });
    await fake.tickAsync(95);
    await s.stop();
    assert.equal(seen.length, 10);
    seen.forEach((info, k) => {
      assert.equal(info.index, k);
      assert.equal(info.scheduledMs, 1000 + 10 * k);
      assert.equal(info.startedMs, 1000 + 10 * k);
      assert.equal(info.measuredPeriodMs, 10);
    });
    assert.equal(s.overruns, 0);
  });

  it('does not drift when ticks take part of the period', async () => {
    const s = make(10);
    const starts: number[] = [];
    s.start(async () => {
      starts.push(fake.now);
      await new Promise<void>((resolve) => setTimeout(resolve, 7));
    });
    await fake.tickAsync(208); // the tick started at +200 has ended at +207
    await s.stop();
    assert.equal(starts.length, 21);
    starts.forEach((t, k) => {
      assert.equal(t, 1000 + 10 * k);
    });
    assert.equal(s.overruns, 0);
  });

  it('counts and skips overrun deadlines instead of catching up in a burst', async () => {
    const s = make(10);
    const starts: number[] = [];
    const periods: number[] = [];
    s.start(async (info) => {
      starts.push(info.startedMs);
      periods.push(info.measuredPeriodMs);
      // tick 2 takes 25 ms: deadlines at +30 and +40 are passed when it ends at +45
      if (info.index === 2) await new Promise<void>((resolve) => setTimeout(resolve, 25));
    });
    await fake.tickAsync(80);
    await s.stop();
    assert.deepEqual(
      starts.map((t) => t - 1000),
      [0, 10, 20, 50, 60, 70, 80],
    );
    assert.equal(s.overruns, 2);
    assert.equal(periods[3], 30); // measured period passed in reflects the late start
    for (let i = 1; i < starts.length; i++)
      assert.ok(starts[i]! - starts[i - 1]! >= 10, 'no burst');
  });

  it('keeps running after a tick body throws, reporting the error', async () => {
    const errors: unknown[] = [];
    const s = make(5, (e) => errors.push(e));
    let n = 0;
    s.start(() => {
      n++;
      if (n === 2) throw new Error('boom');
    });
    await fake.tickAsync(30);
    await s.stop();
    assert.equal(errors.length, 1);
    assert.ok(n >= 6);
  });

  it('stop() waits for the tick in flight and schedules nothing after', async () => {
    const s = make(10);
    let ended = 0;
    let started = 0;
    s.start(async () => {
      started++;
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      ended++;
    });
    await fake.tickAsync(1);
    const stopping = s.stop();
    await fake.tickAsync(10);
    await stopping;
    assert.equal(started, 1);
    assert.equal(ended, 1);
    await fake.tickAsync(100);
    assert.equal(started, 1);
  });

  it('rejects a non-positive period', () => {
    assert.throws(() => make(0), RangeError);
  });
});
