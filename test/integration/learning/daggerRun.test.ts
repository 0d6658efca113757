import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BagReader } from '../../../src/bags/BagReader.js';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { tempDir } from '../../helpers/tmp.js';
import { TINY_DAGGER_RUN } from '../../helpers/tinyRuns.js';

const BIN = resolve('bin/strider.js');

describe('strider run control.policy dagger (planar runner, lockstep)', function () {
  this.timeout(300_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('strider-dagger-');
  });
  after(() => {
    tmp.cleanup();
  });

  for (const mode of ['in_process', 'child'] as const) {
    it(`trainer.mode ${mode}: ends with a distilled policy (version >= 1) in the report and episodes of the policy alone`, async () => {
      const out = join(tmp.dir, mode);
      const set = [
        `trainer.mode=${mode}`,
        ...TINY_DAGGER_RUN,
        // the bag carries the expert's labels beside the states and commands
        ...(mode === 'in_process' ? ['run.record_bag=true'] : []),
      ].flatMap((s) => ['--set', s]);
      const r = spawnSync(process.execPath, [BIN, 'run', '--out', out, ...set], {
        encoding: 'utf8',
        timeout: 280_000,
        env: { ...process.env, STRIDER_LOG_LEVEL: 'warn' },
      });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
      // 1 random + 1 MPC + 2 DAgger rounds + 1 evaluation episode
      assert.deepEqual(
        report.episodes.map((e) => e.source).slice(0, 2),
        ['random', 'mpc'],
        JSON.stringify(report.swaps),
      );
      assert.equal(report.episodes.length, 5);
      const p = report.policy;
      assert.ok(p !== null, 'report.policy is filled');
      assert.ok(p.version >= 1, `policy version ${p.version}`);
      assert.ok(p.round >= 1 && p.round <= 2, `round ${p.round}`);
      assert.ok(Number.isFinite(p.imitation_loss) && p.imitation_loss >= 0);
      assert.ok(p.decisions.some((d) => d.decision === 'accepted'));
      assert.ok(p.dagger.labelled > 0, 'the expert labelled the visited states');
      assert.ok(p.dagger.learner_acted > 0, 'the policy acted');
      // round 1 has no learner yet: the expert acts (source mpc); the evaluation episode is the policy's
      assert.equal(report.episodes[2]!.source, 'mpc');
      assert.equal(report.episodes[3]!.source, 'mixed');
      assert.equal(report.episodes[4]!.source, 'policy');
      assert.match(r.stdout, /policy v\d+ \(DAgger round \d\): imitation loss/);
      // the planner's promise against what its episodes got
      const pl = report.planner!;
      assert.ok(
        pl.predicted_reward_per_step !== null && Number.isFinite(pl.predicted_reward_per_step),
      );
      assert.ok(
        pl.predicted_reward_per_step_median !== null &&
          Number.isFinite(pl.predicted_reward_per_step_median),
      );
      const mpcEpisodes = report.episodes.filter((e) => e.source === 'mpc');
      const achieved =
        mpcEpisodes.reduce((a, e) => a + e.return, 0) /
        mpcEpisodes.reduce((a, e) => a + e.steps, 0);
      assert.ok(Math.abs(pl.achieved_reward_per_step! - achieved) < 1e-9);
      assert.match(
        r.stdout,
        /planner: [\d.]+ iterations per plan; reward per step predicted -?[\d.]+ \(median; mean -?[\d.]+\), achieved -?[\d.]+/,
      );
      if (mode === 'in_process') {
        const bag = await BagReader.open(join(out, 'bag'));
        const expert = bag.topics.get('/strider/expert_action');
        assert.ok(expert !== undefined, 'the expert labels are in the bag');
        assert.equal(expert.type, 'std_msgs/msg/Float64MultiArray');
        const planned = report.episodes
          .filter((e) => e.source !== 'random')
          .reduce((n, e) => n + e.steps, 0);
        // one label per recorded transition whose state MPC planned for in budget; none from the
        // random episode
        assert.ok(expert.count >= p.dagger.labelled, `${expert.count} labels in the bag`);
        assert.ok(expert.count <= planned, `${expert.count} labels, ${planned} planned steps`);
      }
    });
  }

  it('policy.return_weight > 0: each fit ends with the return term through the serving model, tilt cost and all', () => {
    const out = join(tmp.dir, 'return');
    const set = [
      'trainer.mode=in_process',
      ...TINY_DAGGER_RUN,
      'policy.return_weight=1',
      'policy.return_steps=5',
      'policy.return_horizon=3',
      'policy.return_starts=4',
      'planner.tilt_cost=5',
    ].flatMap((s) => ['--set', s]);
    const r = spawnSync(process.execPath, [BIN, 'run', '--out', out, ...set], {
      encoding: 'utf8',
      timeout: 280_000,
      env: { ...process.env, STRIDER_LOG_LEVEL: 'info' },
    });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    assert.ok(report.policy !== null && report.policy.version >= 1);
    const last = report.policy.return_term;
    assert.ok(last !== undefined && last.steps >= 1 && last.steps <= 5, JSON.stringify(last));
    assert.ok(Number.isFinite(last.reward_per_step_before));
    assert.match(
      r.stdout,
      /policy return term \(last fit\): the model's predicted reward per step -?[\d.]+ -> -?[\d.]+ in \d steps/,
    );
    const terms = readFileSync(join(out, 'strider.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('policy return term'))
      .map((l) => JSON.parse(l) as { round: number; steps: number; rewardPerStepBefore: number });
    assert.ok(terms.length >= 1, 'the return term ran after a fit');
    for (const t of terms) {
      assert.ok(t.round >= 1);
      assert.ok(t.steps >= 1 && t.steps <= 5, `steps ${t.steps}`);
      assert.ok(Number.isFinite(t.rewardPerStepBefore));
    }
  });
});
