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

  function gaps(errors: unknown[] = []): TickGaps {
    return new TickGaps({
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
