import assert from 'node:assert/strict';
import { ControlLoop } from '../../../src/control/ControlLoop.js';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import type { SafetyGateOptions } from '../../../src/safety/types.js';
import { defaultSafetyConfig } from '../../../src/safety/safetyConfig.js';
import type { ActionPolicy, TickInfo, Transition } from '../../../src/control/types.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { LatencyHistogram } from '../../../src/telemetry/LatencyHistogram.js';
import { silentLogger } from '../../../src/util/logger.js';
import { jointState, RecordingLink, twoJointRobot } from '../../helpers/fixtures.js';

interface Harness {
  loop: ControlLoop;
  link: RecordingLink;
  assembler: StateAssembler;
  transitions: Array<{ state: number[]; action: number[]; next: number[] }>;
  clock: { now: number };
  latency: LatencyHistogram;
  mpcLatency: LatencyHistogram;
  gate: SafetyGate;
}

function harness(
  policy: ActionPolicy,
  budgetMs = 10,
  gateOptions: Partial<SafetyGateOptions> = {},
): Harness {
  const robot = twoJointRobot();
  const link = new RecordingLink(robot);
  const assembler = new StateAssembler(robot, { base: [] });
  const clock = { now: 0 };
  const gate = new SafetyGate(
    link,
    robot.actuators,
    ['hip_motor', 'knee_servo'],
    assembler.layout,
    {
      config: { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } },
      clock: { nowMs: () => clock.now },
      ...gateOptions,
    },
  );
  const transitions: Harness['transitions'] = [];
  const latency = new LatencyHistogram();
  const mpcLatency = new LatencyHistogram();
  const loop = new ControlLoop({
    assembler,
    policy,
    gate,
    clock: { nowMs: () => clock.now },
    budgetMs,
    actionDim: 2,
    latency,
    mpcLatency,
    logger: silentLogger(),
    onTransition: (t: Transition) =>
      transitions.push({
        state: Array.from(t.state),
        action: Array.from(t.action),
        next: Array.from(t.nextState),
      }),
  });
  return { loop, link, assembler, transitions, clock, latency, mpcLatency, gate };
}

const info = (index: number): TickInfo => ({
  index,
  scheduledMs: 0,
  startedMs: 0,
  measuredPeriodMs: 50,
});

/** A policy that outputs [k, -k/4] on its k-th call (k from 1). */
function countingPolicy(): ActionPolicy & { calls: number; deadlines: number[] } {
  const p = {
    source: 'random' as const,
    calls: 0,
    deadlines: [] as number[],
    act(_s: Float32Array, deadlineMs: number, out: Float32Array) {
      p.calls++;
      p.deadlines.push(deadlineMs);
      out[0] = p.calls;
      out[1] = -p.calls / 4;
    },
  };
  return p;
}

/** A policy whose calls return promises the test settles; counts its calls. */
function heldPolicy(): ActionPolicy & { calls: number; settle: () => void } {
  let settle = (): void => undefined;
  const p = {
    source: 'mpc' as const,
    calls: 0,
    settle: () => {
      settle();
    },
    act(_s: Float32Array, _deadlineMs: number, out: Float32Array): Promise<void> {
      p.calls++;
      return new Promise<void>((resolve) => {
        settle = () => {
          out[0] = 1;
          out[1] = -0.5;
          resolve();
        };
      });
    },
  };
  return p;
}

describe('control/ControlLoop', () => {
  it('in real time, a policy call that outlives its tick gets the safe command, and is not called again until it returns', async () => {
    const robot = twoJointRobot();
    const link = new RecordingLink(robot);
    const assembler = new StateAssembler(robot, { base: [] });
    const gate = new SafetyGate(
      link,
      robot.actuators,
      ['hip_motor', 'knee_servo'],
      assembler.layout,
      {
        config: { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } },
      },
    );
    const timer: { fire: (() => void) | null } = { fire: null };
    const policy = heldPolicy();
    const loop = new ControlLoop({
      assembler,
      policy,
      gate,
      clock: { nowMs: () => 0 },
      budgetMs: 16,
      actionDim: 2,
      latency: new LatencyHistogram(),
      logger: silentLogger(),
      onTransition: () => undefined,
      stallTimeoutMs: 20,
      timers: {
        setTimeout: (cb) => {
          timer.fire = cb;
          return 1;
        },
        clearTimeout: () => {
          timer.fire = null;
        },
      },
    });
    assembler.jointState(jointState(['hip', 'knee'], [0.1, -1.25], [0, 0])); // exact in float32
    const first = loop.tick(info(0));
    await Promise.resolve();
    assert.ok(timer.fire !== null, 'the stall timer runs');
    timer.fire(); // the control period passes, the policy has not returned
    assert.equal(await first, 'fault');
    assert.deepEqual(
      link.sent.at(-1),
      [0, -1.25],
      'the safe command: zero effort, hold the measured position',
    );
    assert.equal(await loop.tick(info(1)), 'fault', 'still busy: not called again');
    assert.equal(policy.calls, 1);
    assert.deepEqual(link.sent.at(-1), [0, -1.25]);
    policy.settle(); // it returns at last; its action is not used
    await new Promise((r) => setImmediate(r));
    const third = loop.tick(info(2));
    await Promise.resolve();
    policy.settle();
    assert.equal(await third, 'ok');
    assert.equal(policy.calls, 2);
    assert.deepEqual(link.sent.at(-1), [1, -0.5]);
    assert.equal(link.sent.length, 3);
  });

  it('records transitions (s_k, a_k, s_k+1) with the executed action', async () => {
    const policy = countingPolicy();
    const h = harness(policy);
    for (let k = 0; k < 3; k++) {
      h.assembler.jointState(jointState(['hip', 'knee'], [k / 10, -k / 10], [k, 0]));
      assert.equal(await h.loop.tick(info(k)), 'ok');
    }
    h.assembler.jointState(jointState(['hip', 'knee'], [0.3, -0.3], [3, 0]));
    h.loop.endEpisode();
    assert.equal(h.transitions.length, 3);
    for (let k = 0; k < 3; k++) {
      const t = h.transitions[k]!;
      assert.deepEqual(
        t.state.map((x) => Math.round(x * 100) / 100),
        [k / 10, -k / 10, k, 0],
      );
      assert.deepEqual(
        t.next.map((x) => Math.round(x * 100) / 100),
        [(k + 1) / 10, -(k + 1) / 10, k + 1, 0],
      );
      assert.deepEqual(t.action, [k + 1, -(k + 1) / 4]);
    }
    assert.deepEqual(h.link.sent, [
      [1, -0.25],
      [2, -0.5],
      [3, -0.75],
    ]);
  });

  it('records the safe command of a disarmed tick (valid state, no model yet) as the executed action', async () => {
    const policy = countingPolicy();
    const config = { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } };
    const h = harness(policy, 10, { config, modelReady: false });
    for (let k = 0; k < 2; k++) {
      h.assembler.jointState(jointState(['hip', 'knee'], [0.1, -0.2], [k + 1, 0]));
      assert.equal(await h.loop.tick(info(k)), 'disarmed');
      h.clock.now += 20;
    }
    h.assembler.jointState(jointState(['hip', 'knee'], [0.1, -0.2], [3, 0]));
    h.loop.endEpisode();
    assert.equal(h.transitions.length, 2, 'both disarmed ticks are samples of the dynamics');
    for (const [k, t] of h.transitions.entries()) {
      assert.deepEqual(t.action, h.link.sent[k], 'the recorded action is what the robot got');
      assert.notDeepEqual(t.action, [k + 1, -(k + 1) / 4], 'not the policy output');
    }
    assert.equal(h.loop.stats.fallbacks, 2);
  });

  it('records nothing for a safe command on a state it cannot trust', async () => {
    const policy = countingPolicy();
    const h = harness(policy, 10, { config: defaultSafetyConfig() });
    h.assembler.jointState(jointState(['hip', 'knee'], [0.1, Number.NaN], [0, 0]));
    assert.equal(await h.loop.tick(info(0)), 'fault');
    h.assembler.jointState(jointState(['hip', 'knee'], [0.1, 0.1], [0, 0]));
    h.loop.endEpisode();
    assert.equal(h.transitions.length, 0);
  });

  it('passes the policy an absolute deadline of tick start + budget', async () => {
    const policy = countingPolicy();
    const h = harness(policy, 7);
    h.assembler.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0]));
    h.clock.now = 100;
    await h.loop.tick(info(0));
    assert.deepEqual(policy.deadlines, [107]);
  });

  it('sends the safe command while the state is incomplete, without calling the policy', async () => {
    const policy = countingPolicy();
    const h = harness(policy);
    assert.equal(await h.loop.tick(info(0)), 'waiting_state');
    assert.equal(policy.calls, 0);
    assert.equal(h.link.sent.length, 1);
    assert.equal(h.loop.stats.waiting, 1);
    assert.equal(h.loop.stats.fallbacks, 1);
  });

  it('turns a throwing or NaN-producing policy into the safe command, and records no transition from it', async () => {
    let mode: 'throw' | 'nan' | 'ok' = 'throw';
    const policy: ActionPolicy = {
      source: 'mpc',
      act(_s, _d, out) {
        if (mode === 'throw') throw new Error('planner exploded');
        out[0] = mode === 'nan' ? Number.NaN : 1;
        out[1] = -1;
      },
    };
    const h = harness(policy);
    h.assembler.jointState(jointState(['hip', 'knee'], [0, -0.75], [0, 0]));
    assert.equal(await h.loop.tick(info(0)), 'fault');
    mode = 'nan';
    assert.equal(await h.loop.tick(info(1)), 'fault');
    mode = 'ok';
    assert.equal(await h.loop.tick(info(2)), 'ok');
    h.loop.endEpisode();
    assert.deepEqual(h.link.sent.slice(0, 2), [
      [0, -0.75],
      [0, -0.75],
    ]); // zero effort, hold knee
    assert.equal(h.loop.stats.fallbacks, 2);
    assert.equal(h.transitions.length, 1);
    for (const cmd of h.link.sent) for (const x of cmd) assert.ok(Number.isFinite(x));
  });

  it('counts a tick over budget as a miss and records its latency', async () => {
    const h = harness({
      source: 'mpc',
      act(_s, _d, out) {
        h.clock.now += 12; // the policy takes 12 ms of a 10 ms budget
        out[0] = 0;
        out[1] = -1;
      },
    });
    h.assembler.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0]));
    assert.equal(await h.loop.tick(info(0)), 'late');
    assert.equal(h.loop.stats.misses, 1);
    assert.equal(h.latency.count, 1);
    assert.ok(Math.abs(h.latency.maxMs - 12) < 1e-9);
  });

  it("records the MPC policy's ticks apart: a random tick is in the overall latency only", async () => {
    let source: 'random' | 'mpc' = 'random';
    const h = harness({
      get source() {
        return source;
      },
      act(_s, _d, out) {
        h.clock.now += source === 'mpc' ? 12 : 0.01;
        out[0] = 0;
        out[1] = -1;
      },
    });
    h.assembler.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0]));
    await h.loop.tick(info(0));
    source = 'mpc';
    await h.loop.tick(info(1));
    assert.equal(h.latency.count, 2);
    assert.equal(h.mpcLatency.count, 1);
    assert.ok(Math.abs(h.mpcLatency.maxMs - 12) < 1e-9);
    assert.deepEqual(
      [h.loop.stats.mpcTicks, h.loop.stats.mpcMisses, h.loop.stats.misses],
      [1, 1, 1],
    );
  });

  it('drops the pending transition at a reset', async () => {
    const h = harness(countingPolicy());
    h.assembler.jointState(jointState(['hip', 'knee'], [0, -1], [0, 0]));
    await h.loop.tick(info(0));
    h.loop.discardPending();
    h.loop.endEpisode();
    assert.equal(h.transitions.length, 0);
  });
});
