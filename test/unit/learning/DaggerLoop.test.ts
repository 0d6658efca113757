import assert from 'node:assert/strict';
import { policySchema } from '../../../src/config/policySchema.js';
import type { ExpertPolicy } from '../../../src/control/DaggerPolicy.js';
import type { EpisodeRunner } from '../../../src/control/EpisodeRunner.js';
import type { PolicySwitch } from '../../../src/control/PolicySwitch.js';
import type { ActionPolicy } from '../../../src/control/types.js';
import { DaggerLoop } from '../../../src/learning/DaggerLoop.js';
import { PolicyGate } from '../../../src/learning/PolicyGate.js';
import { InProcessPolicySource } from '../../../src/learning/PolicySource.js';
import type { PolicySlot } from '../../../src/planning/PolicySeeds.js';
import { PolicyTrainer } from '../../../src/trainer/PolicyTrainer.js';
import { silentLogger } from '../../../src/util/logger.js';
import { Rng } from '../../../src/util/rng.js';

const STEPS = 40;

/** An expert a = (tanh(s0), -0.5 s1); the state drifts with the executed action (S 2, A 2). */
function expert(): ExpertPolicy {
  return {
    source: 'mpc',
    lastPlanStatus: 'planned',
    act(s, _d, out) {
      out[0] = Math.tanh(s[0]!);
      out[1] = -0.5 * s[1]!;
      return Promise.resolve();
    },
  };
}

/**
 * Episodes of STEPS ticks through whatever policy the loop put in the switch, each transition
 * labelled from the policy's expertLabel() and handed to `observe` (as the control loop does).
 */
function fakeRunner(sw: { current: ActionPolicy | null }, observe: () => DaggerLoop) {
  const rng = new Rng(9);
  const sources: string[] = [];
  const runner = {
    stopped: false,
    async runEpisodes(n: number): Promise<void> {
      for (let e = 0; e < n; e++) {
        const policy = sw.current!;
        const state = Float32Array.of(2 * rng.next() - 1, 2 * rng.next() - 1);
        const action = new Float32Array(2);
        const label = new Float32Array(2);
        for (let t = 0; t < STEPS; t++) {
          await policy.act(state, 1e9, action);
          const has = policy.expertLabel?.(label) ?? false;
          const next = Float32Array.of(state[0]! + 0.1 * action[0]!, state[1]! + 0.1 * action[1]!);
          observe().observe({
            state,
            action,
            nextState: next,
            source: policy.source,
            expertAction: has ? label : null,
          });
          state.set(next);
        }
        sources.push(policy.source);
      }
    },
  };
  return { runner, sources };
}

async function run(imitation: 'dagger' | 'bc', fitsPerRound = 1) {
  const config = policySchema.parse({
    imitation,
    rounds: 3,
    episodes_per_round: 2,
    eval_episodes: 2,
    beta_initial: 0.5,
    epochs: 20,
    batch_size: 32,
    hidden: [16, 16],
    learning_rate: 5e-3,
  });
  const trainer = new PolicyTrainer({
    stateDim: 2,
    actionLow: Float32Array.of(-1, -1),
    actionHigh: Float32Array.of(1, 1),
    hiddenSizes: config.hidden,
    fit: {
      epochs: config.epochs,
      batchSize: config.batch_size,
      learningRate: config.learning_rate,
      seed: 1,
    },
    maxLabels: 10_000,
  });
  const inProcess = new InProcessPolicySource(trainer);
  const sw = { current: null as ActionPolicy | null };
  const slot: PolicySlot = { policy: null };
  let loop: DaggerLoop | null = null;
  const { runner, sources } = fakeRunner(sw, () => loop!);
  loop = new DaggerLoop({
    runner: runner as unknown as EpisodeRunner,
    policy: { use: (p: ActionPolicy) => void (sw.current = p) } as unknown as PolicySwitch,
    expert: expert(),
    source:
      fitsPerRound === 1
        ? inProcess
        : {
            observe: (t) => {
              inProcess.observe(t);
            },
            next: (round) => inProcess.next(round * fitsPerRound),
          },
    gate: new PolicyGate({ stateDim: 2, actionDim: 2, margin: 10, capacity: 500 }),
    config,
    mode: 'dagger',
    actionDim: 2,
    seed: 3,
    logger: silentLogger(),
    seedSlot: slot,
  });
  const report = await loop.run();
  const seeded = slot.policy;
  await loop.close();
  await trainer.close();
  return { report: report!, sources, seeded, slotAfter: slot.policy };
}

describe('learning/DaggerLoop', () => {
  it('dagger vs bc side by side: the same label count, bc only ever lets the expert act in the rounds, both report the imitation error on the states the policy visited itself', async () => {
    const dagger = await run('dagger');
    const bc = await run('bc');
    assert.deepEqual(bc.sources, ['mpc', 'mpc', 'mpc', 'mpc', 'mpc', 'mpc', 'policy', 'policy']);
    assert.deepEqual(dagger.sources.slice(2), [
      'mixed',
      'mixed',
      'mixed',
      'mixed',
      'policy',
      'policy',
    ]);
    for (const r of [dagger.report, bc.report]) {
      // 3 rounds x 2 episodes of labelled ticks: the fit of round 3 saw all of them
      assert.equal(r.labels, 6 * STEPS);
      assert.equal(r.own_state_labels, 2 * STEPS, 'every evaluation tick was labelled');
      assert.ok(r.imitation_error_own_states !== null && r.imitation_error_own_states >= 0);
    }
    assert.equal(dagger.report.imitation, 'dagger');
    assert.equal(bc.report.imitation, 'bc');
    // in bc the learner acted only in the evaluation episodes
    assert.equal(bc.report.dagger.learner_acted, 2 * STEPS);
    assert.ok(dagger.report.dagger.learner_acted > 2 * STEPS);
    assert.equal(dagger.report.round, 3, 'the policy accepted after the last round serves');
    // the accepted policy seeded MPC's planners while it served; the slot is empty after
    assert.ok(dagger.seeded !== null);
    assert.equal(dagger.slotAfter, null);
  });

  it("reports the DAgger round, not the trainer's own fit count in the artifact", async () => {
    // a trainer process fits (and numbers its artifacts) after every episode: 2 per round here
    const { report } = await run('dagger', 2);
    assert.equal(report.round, 3);
  });
});
