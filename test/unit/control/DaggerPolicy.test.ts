import assert from 'node:assert/strict';
import { ControlLoop } from '../../../src/control/ControlLoop.js';
import {
  daggerBeta,
  DaggerPolicy,
  type DaggerMode,
  type ExpertPolicy,
  type LearnedPolicy,
} from '../../../src/control/DaggerPolicy.js';
import type { TickInfo, Transition } from '../../../src/control/types.js';
import { MpcPlanner } from '../../../src/planning/MpcPlanner.js';
import { MpcPolicy } from '../../../src/planning/MpcPolicy.js';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import { defaultSafetyConfig } from '../../../src/safety/safetyConfig.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { LatencyHistogram } from '../../../src/telemetry/LatencyHistogram.js';
import { PolicyTrainer } from '../../../src/trainer/PolicyTrainer.js';
import { silentLogger } from '../../../src/util/logger.js';
import { Rng } from '../../../src/util/rng.js';
import { jointState, RecordingLink, twoJointRobot } from '../../helpers/fixtures.js';
import { LinearStepper, ManualClock, QuadraticReward } from '../planning/fixtures.js';

interface Recorded {
  state: number[];
  action: number[];
  expert: number[] | null;
  source: string;
}

/** The control loop on a two-joint robot (S = 4, A = 2) around `policy`. */
function harness(policy: DaggerPolicy, budgetMs: number) {
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
    },
  );
  const recorded: Recorded[] = [];
  const loop = new ControlLoop({
    assembler,
    policy,
    gate,
    clock: { nowMs: () => clock.now },
    budgetMs,
    actionDim: 2,
    latency: new LatencyHistogram(),
    logger: silentLogger(),
    onTransition: (t: Transition) =>
      recorded.push({
        state: Array.from(t.state),
        action: Array.from(t.action),
        expert: t.expertAction == null ? null : Array.from(t.expertAction),
        source: t.source,
      }),
  });
  const run = async (ticks: number): Promise<void> => {
    for (let k = 0; k < ticks; k++) {
      assembler.jointState(jointState(['hip', 'knee'], [k / 100, -k / 100], [0, 0]));
      const info: TickInfo = { index: k, scheduledMs: 0, startedMs: 0, measuredPeriodMs: 10 };
      await loop.tick(info);
    }
    assembler.jointState(jointState(['hip', 'knee'], [0, 0], [0, 0]));
    loop.endEpisode();
  };
  return { loop, link, recorded, run };
}

/** An expert that answers [0.5, -0.5] (planned) unless told it missed (then [9, 9], "shifted"). */
function fakeExpert(): ExpertPolicy & { miss: boolean } {
  const e = {
    source: 'mpc' as const,
    miss: false,
    lastPlanStatus: 'planned' as 'planned' | 'missed',
    act(_s: Float32Array, _d: number, out: Float32Array) {
      e.lastPlanStatus = e.miss ? 'missed' : 'planned';
      out.set(e.miss ? [9, 9] : [0.5, -0.5]);
    },
  };
  return e;
}

/** A learner answering a fixed action. */
function fakeLearner(action: number[]): LearnedPolicy {
  return {
    version: 1,
    actionDim: 2,
    inputDim: 4,
    act(_s: Float32Array, out: Float32Array) {
      out.set(action);
      return Promise.resolve();
    },
  };
}

describe('control/DaggerPolicy', () => {
  it('every transition carries the executed action and the expert label for its state, whoever acts', async () => {
    const expert = fakeExpert();
    const policy = new DaggerPolicy({ expert, mode: 'policy', actionDim: 2, gateDistance: 0 });
    policy.setLearner(fakeLearner([0.25, -0.125]));
    const h = harness(policy, 10);
    await h.run(3);
    assert.equal(h.recorded.length, 3);
    for (const t of h.recorded) {
      assert.deepEqual(t.action, [0.25, -0.125]);
      assert.deepEqual(t.expert, [0.5, -0.5]);
      assert.equal(t.source, 'policy');
    }
  });

  it('a learner that can act synchronously is asked through actNow, not act()', async () => {
    const expert = fakeExpert();
    const policy = new DaggerPolicy({ expert, mode: 'policy', actionDim: 2, gateDistance: 0 });
    let now = 0;
    policy.setLearner({
      ...fakeLearner([0, 0]),
      act: () => Promise.reject(new Error('act() called where actNow answers')),
      actNow(_s: Float32Array, out: Float32Array) {
        now++;
        out.set([0.25, -0.125]);
        return true;
      },
    });
    const h = harness(policy, 10);
    await h.run(2);
    assert.equal(now, 2);
    assert.deepEqual(
      h.recorded.map((t) => [t.action, t.source]),
      [
        [[0.25, -0.125], 'policy'],
        [[0.25, -0.125], 'policy'],
      ],
    );
  });

  it('where MPC missed its budget the label is absent, never the shifted plan', async () => {
    const expert = fakeExpert();
    const policy = new DaggerPolicy({ expert, mode: 'mpc', actionDim: 2, gateDistance: 0 });
    const h = harness(policy, 10);
    expert.miss = true;
    await h.run(2);
    assert.deepEqual(
      h.recorded.map((t) => t.expert),
      [null, null],
    );
    assert.equal(policy.stats.fallbackShiftedPlan, 2);
    assert.equal(policy.stats.labelled, 0);
  });

  it('a planner forced to overrun its budget: every tick gets the policy action, counted as a fallback of kind policy', async () => {
    const stepper = new LinearStepper({ stateDim: 4, actionDim: 2, ensembleSize: 1 });
    const reward = new QuadraticReward({
      target: [0.5, -0.3],
      controlCost: 0.1,
      stateDim: 4,
      actionDim: 2,
    });
    const planner = new MpcPlanner(
      { stepper, reward, clock: new ManualClock(), rng: new Rng(1) },
      { horizon: 4, actionLow: [-1, -1], actionHigh: [1, 1], optimizer: 'cem', population: 32 },
    );
    const mpc = new MpcPolicy(planner, 1, () => Promise.resolve());
    const policy = new DaggerPolicy({ expert: mpc, mode: 'mpc', actionDim: 2, gateDistance: 0 });
    policy.setLearner(fakeLearner([0.3, -0.2]));
    // the test hook: a zero budget on a loop clock behind the planner's, so no iteration fits
    const h = harness(policy, 0);
    await h.run(5);
    assert.equal(mpc.stats.missed, 5);
    assert.equal(policy.stats.fallbackPolicy, 5);
    assert.equal(policy.stats.learnerActed, 5);
    assert.deepEqual(
      h.link.sent.map((a) => a.map((x) => Math.round(x * 100) / 100)),
      new Array(5).fill([0.3, -0.2]),
    );
    assert.ok(h.recorded.every((t) => t.expert === null));
    assert.equal(h.loop.stats.fallbacks, 0, 'the gate never had to send the safe command');
  });

  it('with a planner that fits its budget, the expert labels and acts in mode mpc', async () => {
    const stepper = new LinearStepper({ stateDim: 4, actionDim: 2, ensembleSize: 1 });
    const reward = new QuadraticReward({
      target: [0.5, -0.3],
      controlCost: 0.1,
      stateDim: 4,
      actionDim: 2,
    });
    const planner = new MpcPlanner(
      { stepper, reward, clock: new ManualClock(), rng: new Rng(1) },
      {
        horizon: 4,
        actionLow: [-1, -1],
        actionHigh: [1, 1],
        optimizer: 'cem',
        population: 32,
        maxIterations: 3,
      },
    );
    const mpc = new MpcPolicy(planner, 1, () => Promise.resolve());
    const policy = new DaggerPolicy({ expert: mpc, mode: 'mpc', actionDim: 2, gateDistance: 0 });
    policy.setLearner(fakeLearner([0.3, -0.2]));
    const h = harness(policy, 1e9);
    await h.run(3);
    assert.equal(policy.stats.labelled, 3);
    assert.equal(policy.stats.expertActed, 3);
    for (const t of h.recorded) assert.deepEqual(t.expert, t.action);
  });

  it('beta mixing: the learner acts with probability 1 - beta_i, and beta decays per round', async () => {
    assert.equal(daggerBeta(0, 1, 0.5), 1);
    assert.equal(daggerBeta(1, 1, 0.5), 1);
    assert.equal(daggerBeta(2, 1, 0.5), 0.5);
    assert.equal(daggerBeta(4, 0.8, 0.5), 0.1);
    for (const beta of [1, 0.7, 0.25, 0]) {
      const policy = new DaggerPolicy({
        expert: fakeExpert(),
        mode: 'mixed',
        actionDim: 2,
        gateDistance: 0,
        seed: 3,
      });
      policy.setLearner(fakeLearner([0.1, 0.1]));
      policy.setBeta(beta);
      const out = new Float32Array(2);
      const state = new Float32Array(4);
      for (let i = 0; i < 4000; i++) await policy.act(state, 0, out);
      const share = policy.stats.learnerActed / 4000;
      assert.ok(Math.abs(share - (1 - beta)) < 0.03, `beta ${beta}: learner acted ${share}`);
      assert.equal(policy.stats.labelled, 4000);
    }
  });

  it('gated mode: the learner acts only while its action is within the distance of the expert', async () => {
    const cases: [number[], boolean][] = [
      [[0.5, -0.4], true], // 0.1 away
      [[0.9, -0.5], false], // 0.4 away
    ];
    for (const [action, acts] of cases) {
      const mode: DaggerMode = 'gated';
      const policy = new DaggerPolicy({
        expert: fakeExpert(),
        mode,
        actionDim: 2,
        gateDistance: 0.2,
      });
      policy.setLearner(fakeLearner(action));
      const out = new Float32Array(2);
      await policy.act(new Float32Array(4), 0, out);
      assert.deepEqual(
        Array.from(out).map((x) => Math.round(x * 10) / 10),
        acts ? action : [0.5, -0.5],
      );
    }
  });

  it('a learner that returns NaN is ignored: the expert acts and the fault is counted', async () => {
    const policy = new DaggerPolicy({
      expert: fakeExpert(),
      mode: 'policy',
      actionDim: 2,
      gateDistance: 0,
    });
    policy.setLearner(fakeLearner([Number.NaN, 0]));
    const out = new Float32Array(2);
    await policy.act(new Float32Array(4), 0, out);
    assert.deepEqual(Array.from(out), [0.5, -0.5]);
    assert.equal(policy.stats.learnerFaults, 1);
  });

  it('the labelled set grows with policy-visited states labelled by the expert', async () => {
    const expert = fakeExpert();
    const policy = new DaggerPolicy({ expert, mode: 'policy', actionDim: 2, gateDistance: 0 });
    const trainer = new PolicyTrainer({
      stateDim: 4,
      actionLow: Float32Array.of(-1, -1),
      actionHigh: Float32Array.of(1, 1),
      hiddenSizes: [8],
      fit: { learningRate: 1e-3, epochs: 1, batchSize: 8, seed: 1 },
      maxLabels: 100,
    });
    const h = harness(policy, 10);
    await h.run(4); // no learner yet: the expert acts and labels
    policy.setLearner(fakeLearner([0.1, -0.2]));
    await h.run(6); // the learner acts, the expert labels its states
    for (const t of h.recorded) {
      if (t.expert !== null)
        trainer.add(t.state, t.expert, t.source === 'mpc' ? 'expert' : 'policy');
    }
    assert.equal(trainer.size, 10);
    assert.equal(trainer.policyVisited, 6);
    const recent = trainer.recent(6);
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(Array.from(recent.labels.subarray(2 * i, 2 * i + 2)), [0.5, -0.5]);
    }
    assert.deepEqual(
      h.recorded.slice(4).map((t) => t.action.map((x) => Math.round(x * 10) / 10)),
      new Array(6).fill([0.1, -0.2]),
    );
  });
});
