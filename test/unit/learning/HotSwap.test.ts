import assert from 'node:assert/strict';
import { PolicySwitch } from '../../../src/control/PolicySwitch.js';
import { RandomPolicy } from '../../../src/control/RandomPolicy.js';
import { HotSwap } from '../../../src/learning/HotSwap.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import type { MpcPolicy } from '../../../src/planning/MpcPolicy.js';
import { silentLogger } from '../../../src/util/logger.js';

function version(v: number, hStep: number, hStepPrevious = Number.NaN): ModelVersion {
  return {
    version: v,
    snapshot: {} as ModelVersion['snapshot'], // not read: no recent states, a fake planner factory
    metrics: {
      train_loss: 0,
      val_loss: 0,
      h_step_error: hStep,
      h_step_baseline: 1,
      h_step_error_previous: hStepPrevious,
      train_transitions: 1,
      rand_transitions: 1,
      rl_transitions: 0,
      epochs: 1,
      train_seconds: 0,
      sample_passes_per_s: 0,
      backend: 'test',
    },
  };
}

/** What makeMpcPolicy returns here: a planner that measured `iterationMs`, recording close(). */
function fakePolicy(iterationMs: number, closed: number[], v: number, nan: boolean): MpcPolicy {
  return {
    source: 'mpc',
    iterationMsEstimate: iterationMs,
    act(_s: Float32Array, _d: number, out: Float32Array) {
      out.fill(nan ? Number.NaN : v);
    },
    reset() {},
    close() {
      closed.push(v);
      return Promise.resolve();
    },
  } as unknown as MpcPolicy;
}

function setup(iterationMs: (v: number) => number = () => 10, nanVersions: readonly number[] = []) {
  const random = new RandomPolicy(
    [{ name: 'm', joint: 'j', interface: 'effort', commandLimits: [-1, 1] }],
    { scale: 1, seed: 1 },
  );
  const policy = new PolicySwitch(random);
  const closed: number[] = [];
  const swap = new HotSwap({
    policy,
    makeMpcPolicy: (m) =>
      Promise.resolve(
        fakePolicy(iterationMs(m.version), closed, m.version, nanVersions.includes(m.version)),
      ),
    config: { h_step_margin: 0.5, max_disagreement: 5, canary_ticks: 4 },
    budgetMs: 40,
    recent: () => null,
    nowMs: () => 0,
    logger: silentLogger(),
  });
  return { swap, policy, closed };
}

describe('learning/HotSwap', () => {
  it('accepts a first version and stages it for the next tick', async () => {
    const { swap, policy } = setup();
    const d = await swap.consider(version(1, 0.3));
    assert.equal(d.decision, 'accepted');
    assert.equal(swap.serving?.version, 1);
    assert.ok(policy.pending);
  });

  it('rejects a version whose H-step error is worse than the serving one by more than the margin', async () => {
    const { swap } = setup();
    await swap.consider(version(1, 0.2));
    const d = await swap.consider(version(2, 0.31)); // > 0.2 * 1.5
    assert.equal(d.decision, 'rejected');
    assert.match(
      d.reason,
      /H-step error 0\.3100 exceeds the serving model's 0\.2000 \(on its own hold-out\) by more than 50%/,
    );
    assert.equal(swap.serving?.version, 1);
    assert.equal((await swap.consider(version(3, 0.29))).decision, 'accepted');
  });

  it('compares with the serving version on the same held-out starts when the trainer measured it there', async () => {
    const { swap } = setup();
    await swap.consider(version(1, 0.1));
    // v2's hold-out is harder than v1's was: v1 scores 0.4 on it, v2 0.3 (better, same data)
    const better = await swap.consider(version(2, 0.3, 0.4));
    assert.equal(better.decision, 'accepted', better.reason);
    // v3 on its hold-out: 0.5, where v2 (serving, its predecessor) scores 0.2: worse on the same data
    const worse = await swap.consider(version(3, 0.5, 0.2));
    assert.equal(worse.decision, 'rejected');
    assert.match(
      worse.reason,
      /exceeds the serving model's 0\.2000 \(on the same held-out starts\)/,
    );
    // v4 was refitted from v3 (rejected), not from the serving v2: v2's own figure is used
    const v4 = await swap.consider(version(4, 0.28, 0.01));
    assert.equal(v4.decision, 'accepted', 'v4 vs v2\u2019s own 0.3 (x1.5), not vs v3\u2019s 0.01');
  });

  it('rejects a version that is not newer, and one whose planner cannot fit the budget (closing it)', async () => {
    const { swap, closed } = setup((v) => (v === 3 ? 55 : 10));
    await swap.consider(version(2, 0.2));
    const old = await swap.consider(version(1, 0.1));
    assert.equal(old.decision, 'rejected');
    assert.match(old.reason, /version 1 is not newer than serving version 2/);
    const slow = await swap.consider(version(3, 0.1));
    assert.equal(slow.decision, 'rejected');
    assert.match(
      slow.reason,
      /one planner iteration takes 55\.0 ms, over the 40 ms tick budget \(lower planner\.population, particles or horizon, or raise control\.budget_ms\)/,
    );
    assert.deepEqual(closed, [3]);
    assert.deepEqual(
      swap.decisions.map((x) => x.decision),
      ['accepted', 'rejected', 'rejected'],
    );
  });

  it('judges the planner on an injected timing (timePlanner) instead of its own measurement', async () => {
    const random = new RandomPolicy(
      [{ name: 'm', joint: 'j', interface: 'effort', commandLimits: [-1, 1] }],
      { scale: 1, seed: 1 },
    );
    const timed: number[] = [];
    const swap = new HotSwap({
      policy: new PolicySwitch(random),
      // measured 500 ms (a loaded machine): the injected figure decides
      makeMpcPolicy: (m) => Promise.resolve(fakePolicy(500, [], m.version, false)),
      config: { h_step_margin: 0.5, max_disagreement: 5, canary_ticks: 4 },
      budgetMs: 40,
      recent: () => null,
      nowMs: () => 0,
      logger: silentLogger(),
      timePlanner: (p) => {
        timed.push(p.iterationMsEstimate);
        return timed.length === 1 ? 12 : 41;
      },
    });
    const fits = await swap.consider(version(1, 0.2));
    assert.equal(fits.decision, 'accepted');
    assert.match(fits.reason, /planner iteration 12\.0 ms/);
    const over = await swap.consider(version(2, 0.2));
    assert.equal(over.decision, 'rejected');
    assert.match(over.reason, /one planner iteration takes 41\.0 ms, over the 40 ms tick budget/);
    assert.deepEqual(timed, [500, 500], 'the policy it was given is the one timed');
  });

  it('records a canary rollback as a decision and restores the serving version', async () => {
    const { swap, policy } = setup(() => 10, [2]);
    const out = new Float32Array(1);
    const tick = async (): Promise<void> => {
      await policy.act(new Float32Array(1), 0, out);
    };
    await swap.consider(version(1, 0.2));
    await tick(); // v1 serves
    assert.equal(out[0], 1);
    const serving = (): number | undefined => swap.serving?.version;
    await swap.consider(version(2, 0.2));
    assert.equal(serving(), 2);
    await tick(); // v2 takes over and returns NaN inside its canary window
    await tick(); // rolled back: v1 answers
    assert.equal(out[0], 1);
    assert.equal(serving(), 1);
    const last = swap.decisions.at(-1);
    assert.ok(last !== undefined);
    assert.equal(last.version, 2);
    assert.equal(last.decision, 'rolled_back');
    assert.match(last.reason, /non-finite action/);
  });
});
