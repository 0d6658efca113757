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
function fakeRunner(
  sw: { current: ActionPolicy | null },
  observe: () => DaggerLoop,
  score: () => number = () => 0,
) {
  const rng = new Rng(9);
  const sources: string[] = [];
  const runner = {
    stopped: false,
    async runEpisodes(n: number): Promise<{ return: number }[]> {
      const done: { return: number }[] = [];
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
        done.push({ return: score() });
      }
      return done;
    },
  };
  return { runner, sources };
}

async function run(
  imitation: 'dagger' | 'bc',
  fitsPerRound = 1,
  extra: { select?: 'last' | 'best'; rounds?: number; mode?: 'dagger' | 'policy' } = {},
  score?: (servingVersion: number | null) => number,
) {
  const config = policySchema.parse({
    imitation,
    rounds: extra.rounds ?? 3,
    ...(extra.select !== undefined ? { select: extra.select } : {}),
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
  // the version of the policy in the seed slot (the serving one) at each episode's end
  const seen: (number | null)[] = [];
  const { runner, sources } = fakeRunner(
    sw,
    () => loop!,
    () => {
      const v = (slot.policy as { version?: number } | null)?.version ?? null;
      seen.push(v);
      return score?.(v) ?? 0;
    },
  );
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
    mode: extra.mode ?? 'dagger',
    actionDim: 2,
    seed: 3,
    logger: silentLogger(),
    seedSlot: slot,
  });
  const report = await loop.run();
  const evalVersions = seen.slice(-config.eval_episodes);
  const seeded = slot.policy;
  await loop.close();
  await trainer.close();
  return { report: report!, sources, seeded, slotAfter: slot.policy, evalVersions };
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

  it('policy.select best: the evaluation takes the policy whose own rounds scored best (Alg. 3.1), not the last; last keeps the last', async () => {
    // mode policy: the learner acts every tick once one serves; v2 walks, the others do not
    const score = (v: number | null): number => (v === 2 ? 10 : 1);
    const best = await run('dagger', 1, { select: 'best', rounds: 4, mode: 'policy' }, score);
    const r = best.report;
    assert.equal(r.version, 2);
    assert.equal(r.round, 2, 'v2 was accepted after round 2');
    assert.deepEqual(
      r.validation.map((v) => [v.version, v.episodes, v.mean_return, v.selected]),
      [
        [1, 2, 1, false],
        [2, 2, 10, true],
        [3, 2, 1, false],
        [4, 0, null, false], // fitted after the last round: never acted, never validated
      ],
    );
    assert.deepEqual(best.evalVersions, [2, 2], 'the evaluation episodes ran v2');
    const last = await run('dagger', 1, { select: 'last', rounds: 4, mode: 'policy' }, score);
    assert.equal(last.report.version, 4);
    assert.ok(last.report.validation.every((v) => !v.selected));
    // mixed rounds with beta 0.5 and 0.25: the learner acted on too few ticks to validate
    const mixed = await run('dagger', 1, { select: 'best', rounds: 2 }, score);
    assert.ok(mixed.report.validation.every((v) => v.episodes === 0 && !v.selected));
    assert.equal(mixed.report.version, 2);
  });
});
