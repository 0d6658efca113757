import assert from 'node:assert/strict';
import type { JointState } from '../../../src/msgs/types.js';
import { timeFromSec } from '../../../src/msgs/types.js';
import { StateWatchdog } from '../../../src/safety/StateWatchdog.js';
import type { StateHandlers } from '../../../src/robot/types.js';

const TIMEOUT_MS = 150;
const PERIOD_SEC = 0.02;

/** A simulator's clock (s) and the wall clock (ms), both moved by hand. */
function clocks() {
  const c = { simSec: 0, wallMs: 1000 };
  return {
    c,
    stampClock: { nowSec: () => c.simSec },
    clock: { nowMs: () => c.wallMs },
  };
}

function jointState(stampSec: number): JointState {
  return {
    header: { stamp: timeFromSec(stampSec), frame_id: '' },
    name: ['j'],
    position: [0],
    velocity: [0],
    effort: [0],
  };
}

const downstream: StateHandlers = { jointState() {}, odometry() {}, imu() {} };
const required = { jointState: true, odometry: false, imu: false };

describe('safety/StateWatchdog: which clock arrival age is judged on', () => {
  /**
   * A lockstep episode: the simulator steps one period and publishes, then the controller takes
   * `stallMs` of wall time to decide (a loaded machine, a slow planner) and the gate judges the
   * state as it sends the command. Returns the gate's verdicts.
   */
  function lockstepEpisode(arrivalClock: 'monotonic' | 'stamp', stallMs: number): string[] {
    const { c, stampClock, clock } = clocks();
    const w = new StateWatchdog({
      downstream,
      clock,
      timeoutMs: TIMEOUT_MS,
      stamps: 'strict',
      required,
      stampClock,
      arrivalClock,
    });
    const verdicts: string[] = [];
    for (let tick = 0; tick < 10; tick++) {
      w.jointState(jointState(c.simSec));
      c.wallMs += stallMs; // the controller is slow: the simulator waits for it
      verdicts.push(w.check(clock.nowMs()));
      c.simSec += PERIOD_SEC;
    }
    return verdicts;
  }

  it('lockstep (stamp clock): a controller stalled 500 ms between ticks never reads as stale', () => {
    const verdicts = lockstepEpisode('stamp', 500);
    assert.deepEqual(new Set(verdicts), new Set(['fresh']));
  });

  it('realtime / robots (monotonic clock): the same 500 ms stall is an arrival timeout', () => {
    assert.deepEqual(new Set(lockstepEpisode('monotonic', 500)), new Set(['arrival_timeout']));
    assert.deepEqual(new Set(lockstepEpisode('monotonic', 100)), new Set(['fresh']));
  });

  it('lockstep (stamp clock): a topic that stops arriving while simulated time goes on is stale', () => {
    const { c, stampClock, clock } = clocks();
    const w = new StateWatchdog({
      downstream,
      clock,
      timeoutMs: TIMEOUT_MS,
      stamps: 'arrival_only', // arrival alone decides: the stamp check cannot mask it
      required,
      stampClock,
      arrivalClock: 'stamp',
    });
    w.jointState(jointState(0));
    c.simSec = 0.14;
    assert.equal(w.check(clock.nowMs()), 'fresh');
    assert.equal(w.ageMs(clock.nowMs()), 140);
    c.simSec = 0.16; // no message for 160 ms of simulated time, none of wall time
    assert.equal(w.check(clock.nowMs()), 'arrival_timeout');
    assert.equal(w.staleTopic, 'joint_state');
    // the episode resets: the simulator's clock restarts, and nothing has arrived yet
    w.reset();
    c.simSec = 0;
    assert.equal(w.check(clock.nowMs()), 'never_received');
    w.jointState(jointState(0));
    assert.equal(w.check(clock.nowMs()), 'fresh');
  });

  it('a stamp clock without a known time (NaN) is never fresh', () => {
    const { clock } = clocks();
    const w = new StateWatchdog({
      downstream,
      clock,
      timeoutMs: TIMEOUT_MS,
      stamps: 'arrival_only',
      required,
      stampClock: { nowSec: () => Number.NaN },
      arrivalClock: 'stamp',
    });
    w.jointState(jointState(0));
    assert.notEqual(w.check(clock.nowMs()), 'fresh');
  });
});

describe('safety/StateWatchdog: which JointState counts as a joint state', () => {
  /** A watchdog in front of a downstream that needs joints a and b; returns it and what passed. */
  function watch() {
    const passed: JointState[] = [];
    const { stampClock, clock } = clocks();
    const needs = ['a', 'b'];
    const w = new StateWatchdog({
      downstream: {
        ...downstream,
        jointState: (m) => passed.push(m),
        coversJoints: (m) => needs.every((n) => m.name.includes(n)),
      },
      clock,
      timeoutMs: TIMEOUT_MS,
      stamps: 'strict',
      stampClock,
      required,
    });
    return { w, passed };
  }
  const msg = (name: string[], position: number[], velocity: number[], t: number): JointState => ({
    header: { stamp: timeFromSec(t), frame_id: '' },
    name,
    position,
    velocity,
    effort: [],
  });

  it('refuses arrays longer or shorter than the names, and a message missing a needed joint', () => {
    const { w, passed } = watch();
    w.jointState(msg(['a', 'b'], [0, 0, 0], [0, 0], 0.01));
    w.jointState(msg(['a', 'b'], [0], [0, 0], 0.02));
    w.jointState(msg(['a', 'b'], [0, 0], [0], 0.03));
    w.jointState(msg(['a'], [0], [0], 0.04));
    assert.equal(passed.length, 0);
    assert.equal(w.malformed, 4);
    assert.equal(w.check(1000), 'never_received');
  });

  it('takes a complete message, and one without velocities (ROS allows empty arrays)', () => {
    const { w, passed } = watch();
    w.jointState(msg(['b', 'a', 'c'], [0, 0, 0], [0, 0, 0], 0.01));
    w.jointState(msg(['a', 'b'], [0, 0], [], 0.02));
    assert.equal(passed.length, 2);
    assert.equal(w.malformed, 0);
  });
});
