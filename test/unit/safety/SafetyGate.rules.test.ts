import assert from 'node:assert/strict';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import type { GateVerdict } from '../../../src/safety/types.js';
import {
  defaultSafetyConfig,
  safetySchema,
  type SafetyConfig,
} from '../../../src/safety/safetyConfig.js';
import { StateWatchdog } from '../../../src/safety/StateWatchdog.js';
import { gateEpisodeStart } from '../../../src/safety/episodeStart.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { jointState, odometry, RecordingLink, twoJointRobot } from '../../helpers/fixtures.js';
import { isStriderError } from '../../../src/util/StriderError.js';

const PERIOD_MS = 20;

function assertClose(actual: readonly number[], expected: readonly number[], msg = ''): void {
  assert.equal(actual.length, expected.length, msg);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) < 1e-6,
      `${msg}: [${actual.join(', ')}] vs [${expected.join(', ')}]`,
    );
  }
}

function cfg(partial: unknown = {}): SafetyConfig {
  return safetySchema.parse(partial);
}

/**
 * twoJointRobot: hip (effort, [-5, 5] N m, q in [-1, 1], 10 rad/s) and knee (position servo,
 * [-2, 0] rad). The state also carries the base quaternion for the tilt rule.
 */
function setup(
  config: SafetyConfig = cfg(),
  extra: { actuation?: 'replay'; modelReady?: boolean; simulated?: boolean } = {},
) {
  const robot = twoJointRobot();
  const link = new RecordingLink(robot);
  const assembler = new StateAssembler(robot, { base: ['quat'] });
  const clock = { now: 0 };
  const watchdog = new StateWatchdog({
    downstream: assembler,
    clock: { nowMs: () => clock.now },
    timeoutMs: config.state_timeout_ms,
    stamps: config.stamps,
    required: { jointState: true, odometry: true, imu: false },
  });
  const gate = new SafetyGate(
    link,
    robot.actuators,
    ['hip_motor', 'knee_servo'],
    assembler.layout,
    {
      config,
      joints: robot.joints,
      clock: { nowMs: () => clock.now },
      periodMs: PERIOD_MS,
      watchdog,
      ...(extra.actuation === undefined ? {} : { actuation: extra.actuation }),
      ...(extra.modelReady === undefined ? {} : { modelReady: extra.modelReady }),
      ...(extra.simulated === undefined ? {} : { simulated: extra.simulated }),
    },
  );
  let stamp = 0;
  const upright = { w: 1, x: 0, y: 0, z: 0 };
  /** Deliver a fresh state (stamp +period) with hip q/qd, knee q, base orientation. */
  const deliver = (hip = 0, knee = -1, hipVel = 0, q = upright, stampSec?: number): void => {
    stamp = stampSec ?? stamp + PERIOD_MS / 1000;
    watchdog.jointState(jointState(['hip', 'knee'], [hip, knee], [hipVel, 0], stamp));
    watchdog.odometry({
      ...odometry([0, 0, 0.5], q, [0, 0, 0], [0, 0, 0], stamp),
      header: {
        stamp: { sec: Math.floor(stamp), nanosec: Math.round((stamp % 1) * 1e9) },
        frame_id: 'odom',
      },
    });
  };
  const exec = new Float32Array(2);
  /** One tick: advance the clock a period, then send `action`. */
  const tick = (action: number[]): GateVerdict => {
    clock.now += PERIOD_MS;
    return gate.send(assembler.state, Float32Array.from(action), exec);
  };
  const last = (): number[] => link.sent[link.sent.length - 1] ?? [];
  return { link, gate, assembler, watchdog, clock, deliver, tick, last, exec };
}

describe('safety/SafetyGate rules', () => {
  it('no motion before a valid state: nothing but safe commands, and nothing at all to a position actuator never measured', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    assert.equal(h.tick([3, -1.1]), 'waiting');
    assert.equal(
      h.link.sent.length,
      0,
      'the knee servo was never measured: no position target is sent',
    );
    h.deliver(0.1, -1.2);
    assert.equal(h.tick([3, -1.1]), 'ok');
    assertClose(h.last(), [3, -1.1]);
  });

  it('no motion before a valid model: safe until setModelReady(true), then a soft start', () => {
    const h = setup(cfg(), { modelReady: false });
    h.deliver(0.1, -1.2);
    assert.equal(h.tick([3, -0.5]), 'disarmed', 'a valid state, but no model: the safe command');
    assertClose(h.last(), [0, -1.2]);
    h.gate.setModelReady(true);
    h.deliver(0.1, -1.2);
    assert.equal(h.tick([3, -0.5]), 'ok');
    assert.equal(h.gate.mode, 'soft_start');
  });

  it('soft start: the first command holds the measured pose, then blends to the policy over duration_s', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0.1 }, rate_limit: { enabled: false } }));
    h.deliver(0.2, -1.2);
    h.tick([4, -0.2]);
    const first = h.last();
    assertClose([first[1]!], [-1.2], 'position actuator: the measured pose');
    assert.ok(
      Math.abs(first[0]!) < 1e-9,
      'effort actuator: hold of the measured pose (q = q0, qdot = 0)',
    );
    const knee: number[] = [first[1]!];
    for (let i = 0; i < 6; i++) {
      h.deliver(0.2, -1.2);
      h.tick([4, -0.2]);
      knee.push(h.last()[1]!);
    }
    for (let i = 1; i < knee.length; i++)
      assert.ok(knee[i]! >= knee[i - 1]! - 1e-12, 'monotone ramp');
    assertClose([knee[5]!], [-0.2], 'full policy command after 0.1 s (5 ticks)');
    assert.equal(h.gate.mode, 'running');
  });

  it('stale state (messages stop) -> safe command within the timeout, latched until re-armed', () => {
    const h = setup(cfg({ state_timeout_ms: 30, soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1, 2);
    h.clock.now -= PERIOD_MS; // the message arrives right at the tick
    assert.equal(h.tick([3, -0.9]), 'ok');
    assert.equal(h.tick([3, -0.9]), 'ok', '20 ms old: still fresh');
    assert.equal(h.tick([3, -0.9]), 'stale', '40 ms > 30 ms');
    assertClose(
      h.last(),
      [0, -1],
      'zero effort (the velocity is stale, so no damping) and hold the last measured pose',
    );
    h.deliver(0.1, -1, 0);
    assert.equal(h.tick([3, -0.9]), 'stale', 'latched: fresh state alone does not restart');
    assert.equal(h.gate.rearm(), true);
    h.deliver(0.1, -1, 0);
    assert.equal(h.tick([3, -0.9]), 'ok');
  });

  it('duplicate and out-of-order stamps count as missing', () => {
    const h = setup(cfg({ state_timeout_ms: 50, soft_start: { duration_s: 0 } }));
    h.deliver(0, -1, 0, undefined, 5);
    assert.equal(h.tick([1, -1]), 'ok');
    h.deliver(0, -1, 0, undefined, 5); // duplicate
    assert.equal(h.tick([1, -1]), 'ok');
    h.deliver(0, -1, 0, undefined, 4.99); // out of order
    assert.equal(h.tick([1, -1]), 'stale');
    assert.equal(h.watchdog.dropped, 4);
  });

  /** Joint states only, a 50 ms timeout, stamps judged on a stamp clock the test moves. */
  function stampClockWatchdog(startSec: number) {
    const robot = twoJointRobot();
    const assembler = new StateAssembler(robot, { base: [] });
    const t = { simNow: startSec, mono: 0 };
    const watchdog = new StateWatchdog({
      downstream: assembler,
      clock: { nowMs: () => t.mono },
      timeoutMs: 50,
      stamps: 'strict',
      required: { jointState: true, odometry: false, imu: false },
      stampClock: { nowSec: () => t.simNow },
    });
    return { robot, assembler, watchdog, t };
  }

  it('a stamp older than the timeout on the stamp clock is stale even when it just arrived', () => {
    const { robot, assembler, watchdog, t } = stampClockWatchdog(10);
    const link = new RecordingLink(robot);
    const gate = new SafetyGate(
      link,
      robot.actuators,
      ['hip_motor', 'knee_servo'],
      assembler.layout,
      {
        config: cfg({ soft_start: { duration_s: 0 } }),
        joints: robot.joints,
        clock: { nowMs: () => t.mono },
        watchdog,
      },
    );
    const exec = new Float32Array(2);
    watchdog.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0], 10));
    assert.equal(gate.send(assembler.state, Float32Array.of(1, -1), exec), 'ok');
    t.simNow = 10.2;
    t.mono += 20;
    watchdog.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0], 10.1)); // arrives now, 100 ms old
    assert.equal(gate.send(assembler.state, Float32Array.of(1, -1), exec), 'stale');
  });

  it('a stamp ahead of the stamp clock is dropped; after the stamp clock runs backwards, new stamps are accepted', () => {
    const { watchdog, t } = stampClockWatchdog(500);
    const msg = (t: number) => jointState(['hip', 'knee'], [0, -1], [0, 0], t);
    watchdog.jointState(msg(500));
    assert.equal(watchdog.check(t.mono), 'fresh');
    watchdog.jointState(msg(1500)); // 1000 s in the future: dropped, it would block the topic
    assert.equal(watchdog.dropped, 1);
    t.simNow = 500.02;
    t.mono += 20;
    watchdog.jointState(msg(500.02));
    assert.equal(watchdog.check(t.mono), 'fresh', 'good messages still pass');
    // Gazebo resets its world: sim time restarts at 0
    t.simNow = 0.02;
    t.mono += 20;
    watchdog.jointState(msg(0.02));
    assert.equal(watchdog.accepted, 3);
    assert.equal(watchdog.check(t.mono), 'fresh');
  });

  it('non-finite state or action: safe command in the same tick, not latched', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1);
    assert.equal(h.tick([1, -1]), 'ok');
    h.deliver(Number.NaN, -1);
    assert.equal(h.tick([1, -1]), 'state_not_finite');
    assert.deepEqual(h.last(), [0, -1]);
    h.deliver(0.1, -1);
    assert.equal(h.tick([Number.POSITIVE_INFINITY, -1]), 'action_not_finite');
    assert.equal(h.tick([1, Number.NaN]), 'action_not_finite');
    h.deliver(0.1, -1);
    assert.equal(h.tick([1, -1]), 'ok');
    for (const c of h.link.sent) for (const v of c) assert.ok(Number.isFinite(v));
  });

  it('implausible state (far outside joint limits or too fast) is rejected', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1);
    h.tick([1, -1]);
    h.deliver(3, -1);
    assert.equal(h.tick([1, -1]), 'state_implausible');
    h.deliver(0.1, -1, 1e6);
    assert.equal(h.tick([1, -1]), 'state_implausible');
    assert.deepEqual(h.last(), [0, -1]);
  });

  it('joint limits: position margin, velocity and effort from the model; command limits always', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 }, rate_limit: { enabled: false } }));
    h.deliver(0, -0.1);
    assert.equal(h.tick([9, 3]), 'clamped');
    assertClose(h.last(), [5, -0.05], 'effort limit 5; knee upper limit 0 less margin 0.05');
    h.deliver(0.97, -0.1);
    assert.equal(h.tick([4, -0.1]), 'clamped');
    assert.equal(h.last()[0], 0, 'hip at its upper limit: no effort pushing outwards');
    h.deliver(0.97, -0.1);
    assert.equal(h.tick([-4, -0.1]), 'ok', 'pushing back inside is fine');
    h.deliver(0, -0.1, 10.5);
    assert.equal(h.tick([3, -0.1]), 'clamped');
    assert.equal(h.last()[0], 0, 'over the velocity limit: no effort accelerating further');
  });

  it('soft start next to a position limit: the first command holds the measured pose, then blends inside', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0.1 }, limits: { position_margin: 0.3 } }));
    h.deliver(0, -1.99); // inside the knee's 0.3 rad margin of -2
    h.tick([0, -1]);
    assertClose(h.last(), [0, -1.99], 'hold where it is, not a 0.29 rad step to the margin');
    h.deliver(0, -1.99);
    h.tick([0, -1]);
    assertClose(
      h.last(),
      [0, 0.8 * -1.99 + 0.2 * -1],
      'then the blend towards the policy (s = 0.2)',
    );
    h.deliver(0, -1.99);
    h.tick([0, -2]);
    assert.ok(
      h.last()[1]! >= -1.99 - 1e-6,
      'never further past the margin than the joint already is',
    );
  });

  it('position steps are limited by the velocity limit and commands by the rate limit', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 }, rate_limit: { range_per_s: 5 } }));
    h.deliver(0, -1);
    h.tick([0, -1]);
    h.deliver(0, -1);
    assert.equal(h.tick([5, -1.9]), 'clamped');
    const [hip, knee] = h.last();
    assert.ok(
      Math.abs(hip! - 1) < 1e-9,
      'rate limit: 5 ranges/s x 10 N m x 20 ms = 1 N m per tick',
    );
    assert.ok(Math.abs(knee! - -1.2) < 1e-9, 'knee: 10 rad/s x 20 ms = 0.2 rad per tick');
  });

  it('base tilt beyond max_rad -> latched stop, cleared only by a re-arm', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 }, tilt: { max_rad: 0.5 } }));
    h.deliver(0, -1);
    assert.equal(h.tick([2, -1]), 'ok');
    const roll = 0.6;
    h.deliver(0, -1, 0, { w: Math.cos(roll / 2), x: Math.sin(roll / 2), y: 0, z: 0 });
    assert.equal(h.tick([2, -1]), 'tilt');
    h.deliver(0, -1);
    assert.equal(h.tick([2, -1]), 'tilt', 'upright again: still latched');
    h.gate.rearm();
    h.deliver(0, -1);
    assert.equal(h.tick([2, -1]), 'ok');
    const yaw = 2.5; // yaw is not tilt
    h.deliver(0, -1, 0, { w: Math.cos(yaw / 2), x: 0, y: 0, z: Math.sin(yaw / 2) });
    assert.equal(h.tick([2, -1]), 'ok');
  });

  it('software stop: safe command at once, latched; release does not restart; re-arm does (refused while stopped)', () => {
    const h = setup(
      cfg({ soft_start: { duration_s: 0 }, safe_command: 'damping', damping_kd: 0.5 }),
    );
    h.deliver(0.1, -1.1, 2);
    assert.equal(h.tick([3, -1]), 'ok');
    const before = h.link.sent.length;
    h.gate.stop();
    assert.equal(h.link.sent.length, before + 1, 'sent inside stop()');
    assertClose(h.last(), [-1, -1.1], 'damping: -0.5 x 2 rad/s; knee holds');
    assert.equal(h.gate.rearm(), false, 'refused while the stop is requested');
    h.deliver(0.1, -1.1);
    assert.equal(h.tick([3, -1]), 'stopped');
    h.gate.release();
    h.deliver(0.1, -1.1);
    assert.equal(h.tick([3, -1]), 'stopped');
    assert.equal(h.gate.rearm(), true);
    h.deliver(0.1, -1.1);
    assert.equal(h.tick([3, -1]), 'ok');
  });

  it('hold safe command: PD to the pose measured when the fault began', () => {
    const h = setup(
      cfg({ soft_start: { duration_s: 0 }, safe_command: 'hold', hold_kp: 10, damping_kd: 0 }),
    );
    h.deliver(0.2, -1);
    h.tick([1, -1]);
    h.deliver(0.2, -1);
    h.gate.stop();
    h.deliver(0.3, -1);
    h.tick([1, -1]);
    assert.ok(Math.abs(h.last()[0]! - -1) < 1e-6, '10 x (0.2 - 0.3)');
    // a position servo sagging while latched is held where it was, not followed down
    for (const knee of [-1.1, -1.2, -1.3]) {
      h.deliver(0.2, knee);
      h.tick([1, -1]);
      assertClose(h.last(), [0, -1], `knee measured ${knee}`);
    }
    // with damping, a position servo follows the measured pose (compliant)
    const d = setup(cfg({ soft_start: { duration_s: 0 }, safe_command: 'damping' }));
    d.deliver(0, -1);
    d.tick([0, -1]);
    d.gate.stop();
    d.deliver(0, -1.2);
    d.tick([0, -1]);
    assertClose(d.last(), [0, -1.2]);
  });

  it('deactivate: one final safe command (zero effort, hold), then nothing until activate', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1.3, 3);
    h.tick([3, -1.2]);
    const n = h.link.sent.length;
    h.gate.deactivate();
    assert.equal(h.link.sent.length, n + 1);
    assertClose(
      h.last(),
      [0, -1.3],
      'a final command a forward controller may hold: zero effort, not damping',
    );
    h.deliver(0.1, -1.3);
    assert.equal(h.tick([3, -1.2]), 'inactive');
    h.gate.sendSafe(h.assembler.state, h.exec);
    h.gate.stop();
    assert.equal(h.link.sent.length, n + 1);
    h.gate.release();
    h.gate.activate();
    h.gate.rearm();
    h.deliver(0.1, -1.3);
    assert.equal(h.tick([3, -1.2]), 'ok');
  });

  it('a replay link is never sent anything', () => {
    const h = setup(cfg(), { actuation: 'replay' });
    h.deliver(0.1, -1);
    assert.equal(h.tick([1, -1]), 'replay');
    h.gate.sendSafe(h.assembler.state, h.exec);
    h.gate.stop();
    h.gate.rearm();
    h.gate.deactivate();
    assert.equal(h.link.sent.length, 0);
    assert.equal(h.gate.mode, 'replay');
  });

  it('episode reset of a simulated link clears a latched fault and forgets stamps (the sim clock restarts)', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 }, state_timeout_ms: 30 }), {
      simulated: true,
    });
    h.deliver(0, -1, 0, undefined, 3);
    h.tick([1, -1]);
    h.tick([1, -1]);
    assert.equal(h.tick([1, -1]), 'stale');
    h.gate.resetEpisode();
    h.deliver(0, -1, 0, undefined, 0);
    assert.equal(h.tick([1, -1]), 'ok');
  });

  it('episode starts: a robot in continuous mode re-arms only at the first window; in episodes mode, and on a simulator, at every one', () => {
    /** Run a gate through its first window into 'running', start `windows` more, tick once. */
    const modeAfter = (run: { simulated: boolean; continuous: boolean }, windows: number) => {
      const h = setup(cfg({ soft_start: { duration_s: 0.1 } }), { simulated: run.simulated });
      const start = gateEpisodeStart(h.gate, run);
      start();
      for (let i = 0; i < 8; i++) {
        h.deliver(0.1, -1.2);
        h.tick([1, -1.2]);
      }
      assert.equal(h.gate.mode, 'running', 'armed through its soft start');
      for (let w = 0; w < windows; w++) start();
      return h.gate.mode;
    };
    assert.equal(modeAfter({ simulated: false, continuous: true }, 3), 'running');
    assert.equal(modeAfter({ simulated: false, continuous: false }, 1), 'waiting');
    assert.equal(modeAfter({ simulated: true, continuous: true }, 1), 'waiting');
  });

  it('between episodes (sendSafe) and at a stop, a stale state gets zero effort, not damping of its last velocity, and latches', () => {
    const h = setup(cfg({ state_timeout_ms: 30, soft_start: { duration_s: 0 }, damping_kd: 2 }));
    h.deliver(0.1, -1.2, 2);
    h.clock.now -= PERIOD_MS;
    assert.equal(h.tick([3, -1.2]), 'ok');
    h.gate.sendSafe(h.assembler.state, h.exec); // a held tick, the state still fresh: damping
    assertClose(h.last(), [-4, -1.2], 'fresh: -kd qdot');
    h.clock.now += 100; // the stream dies while the robot is held between episodes
    h.gate.sendSafe(h.assembler.state, h.exec);
    assertClose(h.last(), [0, -1.2], 'stale: zero effort, hold the last measured position');
    assert.equal(h.gate.status().latch, 'stale', 'a dropout between episodes latches too');
    h.gate.resetEpisode(); // the next episode on a robot: still latched
    h.deliver(0.1, -1.2, 0);
    assert.equal(h.tick([3, -1.2]), 'stale');

    const g = setup(cfg({ state_timeout_ms: 30, soft_start: { duration_s: 0 }, damping_kd: 2 }));
    g.deliver(0.1, -1.2, 2);
    g.clock.now -= PERIOD_MS;
    g.tick([3, -1.2]);
    g.clock.now += 5000;
    g.gate.stop();
    assertClose(g.last(), [0, -1.2], 'a stop on a stale state: zero effort');
  });

  it('a stop while inactive is latched: activate() does not move the robot until release and re-arm', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1);
    h.tick([3, -1]);
    h.gate.deactivate();
    h.gate.stop();
    h.gate.activate();
    h.deliver(0.1, -1);
    assert.equal(h.tick([3, -1]), 'stopped');
    assert.equal(h.gate.rearm(), false, 'refused while the stop is requested');
    h.gate.release();
    h.deliver(0.1, -1);
    assert.equal(h.tick([3, -1]), 'stopped', 'release alone does not restart');
    assert.equal(h.gate.rearm(), true);
    h.deliver(0.1, -1);
    assert.equal(h.tick([3, -1]), 'ok');
  });

  it('a simulated episode reset clears a stale latch but never a stop, even one latched behind another fault', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 }, state_timeout_ms: 30 }), {
      simulated: true,
    });
    h.deliver(0, -1, 0, undefined, 3);
    h.tick([1, -1]);
    h.tick([1, -1]);
    assert.equal(h.tick([1, -1]), 'stale');
    h.gate.stop(); // latched behind 'stale'
    h.gate.release();
    h.gate.resetEpisode();
    h.deliver(0, -1, 0, undefined, 0);
    assert.equal(h.tick([1, -1]), 'stale', 'still latched: a stop needs rearm()');
    assert.equal(h.gate.rearm(), true);
    h.deliver(0, -1, 0, undefined, 0.02);
    assert.equal(h.tick([1, -1]), 'ok');
  });

  it('on a robot the rate limit goes on across an episode start (no jump from the held command)', () => {
    const h = setup(
      cfg({ soft_start: { duration_s: 0 }, rate_limit: { enabled: true, range_per_s: 1 } }),
    );
    h.deliver(0, -1.2);
    for (let i = 0; i < 30; i++) {
      h.deliver(0, -1.2);
      h.tick([5, -1.2]);
    }
    assertClose(h.last(), [5, -1.2], 'ramped to 5 at 0.2 per tick');
    h.gate.sendSafe(h.assembler.state, h.exec); // held between episodes: zero effort
    assertClose(h.last(), [0, -1.2]);
    h.gate.resetEpisode();
    h.deliver(0, -1.2);
    h.tick([5, -1.2]);
    assertClose(h.last(), [0.2, -1.2], 'one rate step from the held command, not a jump to 5');
  });

  it('a link that throws does not take the tick, stop or deactivate down: counted, and deactivate still ends active', () => {
    const h = setup(cfg({ soft_start: { duration_s: 0 } }));
    h.deliver(0.1, -1);
    assert.equal(h.tick([3, -1]), 'ok');
    h.link.sendCommand = () => {
      throw new Error('publish failed');
    };
    h.deliver(0.1, -1);
    assert.equal(h.tick([3, -1]), 'send_failed');
    h.gate.sendSafe(h.assembler.state, h.exec);
    h.gate.stop();
    h.gate.deactivate();
    assert.equal(h.gate.mode, 'inactive');
    assert.equal(h.gate.status().sendErrors, 4);
  });

  it('refuses a position servo whose joint is not in the state (it could never be held, so never armed)', () => {
    const robot = twoJointRobot();
    const layout = new StateAssembler(robot, { base: [], joints: ['hip'] }).layout;
    assert.throws(
      () =>
        new SafetyGate(new RecordingLink(robot), robot.actuators, ['hip_motor'], layout, {
          config: cfg(),
          joints: robot.joints,
        }),
      (e: unknown) =>
        isStriderError(e, 'CONFIG_INVALID') &&
        /"knee_servo".*joint "knee".*state\.joints/.test(e.message),
    );
  });

  it('with the default rules: clamps, one final safe command at deactivate and nothing after; an unlimited servo gets only finite values', () => {
    const robot = twoJointRobot();
    const link = new RecordingLink(robot);
    const layout = new StateAssembler(robot, { base: [] }).layout;
    const gate = new SafetyGate(link, robot.actuators, ['hip_motor', 'knee_servo'], layout, {
      config: { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } },
    });
    const exec = new Float32Array(2);
    assert.equal(gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(9, 3), exec), 'clamped');
    assert.deepEqual(link.sent[0], [5, 0]);
    gate.deactivate(); // the final safe command: zero effort, hold the measured position
    assert.deepEqual(link.sent[1], [0, -1]);
    assert.equal(gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(1, 1), exec), 'inactive');
    assert.equal(link.sent.length, 2, 'nothing after deactivate');
    // a position servo without finite command limits, never measured: nothing (the removed
    // config-less gate sent a finite guess); once measured, a finite safe value
    const open = twoJointRobot();
    const servo = { ...open.actuators[1]!, commandLimits: [-Infinity, Infinity] as const };
    const bare = new RecordingLink(open);
    const g = new SafetyGate(
      bare,
      [open.actuators[0]!, servo],
      ['hip_motor', 'knee_servo'],
      layout,
      {
        config: defaultSafetyConfig(),
      },
    );
    g.send(Float32Array.of(0, Number.NaN, 0, 0), Float32Array.of(1, 1), exec);
    assert.equal(bare.sent.length, 0, 'never measured: no position target is sent');
    g.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(Number.NaN, 1), exec);
    assert.ok(bare.sent[0]!.every(Number.isFinite), `sent ${bare.sent[0]!.join(', ')}`);
    assert.equal(defaultSafetyConfig().state_timeout_ms, 60);
  });
});

describe('safety/safetyConfig', () => {
  it('defaults every rule and rejects unknown keys and out-of-range values with the key path', () => {
    const c = cfg();
    assert.equal(c.tilt.enabled, true);
    assert.equal(c.stamps, 'strict');
    const bad = safetySchema.safeParse({ tilt: { max_deg: 30 } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error.issues[0]?.path, ['tilt']);
    const neg = safetySchema.safeParse({ state_timeout_ms: -1 });
    assert.equal(neg.success, false);
    assert.deepEqual(neg.error.issues[0]?.path, ['state_timeout_ms']);
  });
});
