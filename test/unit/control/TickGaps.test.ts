import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TickGaps } from '../../../src/control/TickGaps.js';

describe('control/TickGaps: work deferred to the gap after a tick', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    clock.restore();
  });

  function gaps(errors: unknown[] = [], idle?: () => void): TickGaps {
    return new TickGaps({
      ...(idle === undefined ? {} : { idle }),
      fallbackMs: 100,
      timers: {
        setTimeout: (cb, ms) => setTimeout(cb, ms),
        clearTimeout: (h) => {
          clearTimeout(h as NodeJS.Timeout);
        },
      },
      onError: (err) => errors.push(err),
    });
  }

  it('runs the idle hook after a tick only when no work waits; its throw goes to onError', () => {
    const errors: unknown[] = [];
    const ran: string[] = [];
    let fail = false;
    const g = gaps(errors, () => {
      ran.push('idle');
      if (fail) throw new Error('idle failed');
    });
    g.defer(() => ran.push('a'));
    g.afterTick();
    g.afterTick();
    assert.deepEqual(ran, ['a', 'idle'], 'work first, the idle hook in a gap with none');
    fail = true;
    g.afterTick();
    assert.equal((errors[0] as Error).message, 'idle failed');
    clock.tick(1000);
    assert.deepEqual(ran, ['a', 'idle', 'idle'], 'never from the no-tick fallback timer');
  });

  it('runs nothing when deferred, then one item after each tick, in order', () => {
    const g = gaps();
    const ran: string[] = [];
    g.defer(() => ran.push('a'));
    g.defer(() => ran.push('b'));
    assert.deepEqual(ran, []);
    g.afterTick();
    assert.deepEqual(ran, ['a']);
    g.afterTick();
    assert.deepEqual(ran, ['a', 'b']);
    g.afterTick(); // nothing waits: nothing runs
    assert.equal(g.pending, 0);
  });

  it('runs waiting work when no tick comes for fallbackMs, and not before', () => {
    const g = gaps();
    const ran: string[] = [];
    g.defer(() => ran.push('a'));
    g.defer(() => ran.push('b'));
    clock.tick(99);
    assert.deepEqual(ran, []);
    clock.tick(1);
    assert.deepEqual(ran, ['a']);
    clock.tick(100);
    assert.deepEqual(ran, ['a', 'b']);
  });

  it('passes a throw to onError and goes on; drain() runs the rest at once', () => {
    const errors: unknown[] = [];
    const g = gaps(errors);
    const ran: string[] = [];
    g.defer(() => {
      throw new Error('bad payload');
    });
    g.defer(() => ran.push('b'));
    g.defer(() => ran.push('c'));
    g.afterTick();
    assert.equal(errors.length, 1);
    g.drain();
    assert.deepEqual(ran, ['b', 'c']);
    clock.tick(1000);
    assert.deepEqual(ran, ['b', 'c'], 'no timer left behind');
  });
});
