import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import {
  ContinuousLoop,
  HotSwap,
  InProcessModelSource,
  LearningLoop,
} from '../../../src/learning/index.js';
import { ModelTrainer, type DataSource, type Trainer } from '../../../src/trainer/index.js';
import { emptyMpcPolicyStats, type MpcPolicyStats } from '../../../src/planning/MpcPolicy.js';
import type { Trajectory } from '../../../src/dynamics/Trajectory.js';
import { silentLogger } from '../../../src/util/logger.js';

/** Records what reaches the real trainer, so the test can check aggregation. */
class RecordingTrainer implements Trainer {
  readonly added: Array<{ source: DataSource; steps: number }> = [];
  constructor(readonly inner: ModelTrainer) {}
  addTrajectory(t: Trajectory, source: DataSource): void {
    this.added.push({ source, steps: t.actions.length / 6 });
    this.inner.addTrajectory(t, source);
  }
  train(): Promise<ModelVersion> {
    return this.inner.train();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('learning/LearningLoop on the planar runner (MuJoCo, ONNX Runtime)', function () {
  this.timeout(120_000);

  it('collects D_rand, fits, runs MPC episodes with each new version, and aggregates D_rl', async () => {
    const { config } = loadConfig(join('config', 'planar_runner.yaml'), {
      overrides: [
        'run.steps_per_episode=30',
        'model.ensemble_size=2',
        'model.hidden=[32, 32]',
        'model.epochs_first=3',
        'model.epochs_per_round=2',
        'model.h_step_horizon=5',
        'planner.population=20',
        'planner.horizon=5',
        'planner.iterations=2',
      ],
    });
    const logger = silentLogger();
    const session = new RunSession({ config, logger });
    const parts = await session.open();
    const trainer = new RecordingTrainer(
      await ModelTrainer.create({
        stateDim: parts.assembler.layout.dim,
        actionDim: parts.actuators.length,
        model: config.model,
        randFraction: 1,
        seed: 0,
        logger,
      }),
    );
    const served: number[] = [];
    const stats: MpcPolicyStats = emptyMpcPolicyStats();
    const plannerMs: number[] = [];
    const swap = new HotSwap({
      policy: parts.policy,
      makeMpcPolicy: session.mpcPolicyFactory(stats),
      config: { ...config.hotswap, h_step_margin: 100, max_disagreement: 1e6 },
      budgetMs: session.budgetMs,
      recent: () => null,
      nowMs: () => session.clock.nowMs(),
      logger,
      // the budget rule is tested with fixed figures (test/unit/learning/HotSwap.test.ts); here the
      // planner's wall-clock time on a loaded machine must not decide which versions serve
      timePlanner: (p) => {
        plannerMs.push(p.iterationMsEstimate);
        return 0;
      },
    });
    const seenDuringRun: number[][] = [];
    try {
      const loop: LearningLoop = new LearningLoop({
        runner: parts.runner,
        policy: parts.policy,
        random: parts.random,
        models: new InProcessModelSource(trainer),
        swap,
        randomEpisodes: 2,
        iterations: 2,
        episodesPerIteration: 1,
        logger,
        onModel: (m, d) => {
          if (d.decision === 'accepted') served.push(m.version);
          // what the periodic report reads while the run goes on
          seenDuringRun.push(loop.models.map((x) => x.version));
        },
      });
      const summary = await loop.run();
      assert.deepEqual(seenDuringRun, [[1], [1, 2]]);

      assert.deepEqual(
        parts.runner.records.map((r) => r.source),
        ['random', 'random', 'mpc', 'mpc'],
      );
      assert.deepEqual(
        summary.models.map((m) => m.version),
        [1, 2],
      );
      assert.deepEqual(served, [1, 2]);
      assert.deepEqual(
        trainer.added.map((a) => a.source),
        ['rand', 'rand', 'rl', 'rl'],
      );
      assert.ok(trainer.added.every((a) => a.steps === 30));
      // version 2 was fitted on D_rand and the first MPC episode
      assert.equal(summary.models[0]!.metrics.rl_transitions, 0);
      assert.equal(summary.models[1]!.metrics.rl_transitions, 30);
      for (const m of summary.models) {
        assert.ok(Number.isFinite(m.metrics.val_loss) && Number.isFinite(m.metrics.h_step_error));
      }
      assert.equal(stats.plans, 60, 'one plan per MPC tick');
      assert.deepEqual(
        swap.decisions.map((d) => d.decision),
        ['accepted', 'accepted'],
      );
      assert.equal(swap.serving?.version, 2);
      assert.equal(
        plannerMs.length,
        2,
        'each candidate\u2019s planner was built and timed (the first warmed up)',
      );
      assert.ok(
        plannerMs.every((ms) => Number.isFinite(ms) && ms > 0),
        plannerMs.join(', '),
      );
      // both versions ran on one kept session; the second took the first's calibration
      assert.equal(session.ensembleSessions.size, 1);
      assert.equal(plannerMs[1], plannerMs[0], 'version 2 was timed again');
      for (const r of parts.runner.records) assert.ok(Number.isFinite(r.return));
    } finally {
      parts.policy.use(parts.random);
      await swap.close();
      await trainer.close();
      await session.close();
    }
  });

  it('in continuous mode hands each finished episode to the trainer, then keeps only its summary (memory stays bounded)', async () => {
    const { config } = loadConfig(join('config', 'planar_runner.yaml'), {
      overrides: [
        'run.mode=continuous',
        'run.steps_per_episode=30',
        'model.ensemble_size=2',
        'model.hidden=[16, 16]',
        'model.epochs_first=1',
        'model.epochs_per_round=1',
        'model.h_step_horizon=5',
        'planner.population=10',
        'planner.horizon=5',
        'planner.iterations=1',
      ],
    });
    const logger = silentLogger();
    const EPISODES = 8;
    let runner: { stop(): void } | null = null;
    const session = new RunSession({
      config,
      logger,
      onEpisode: (r) => {
        if (r.index + 1 >= EPISODES) runner?.stop();
      },
    });
    const parts = await session.open();
    runner = parts.runner;
    const trainer = new RecordingTrainer(
      await ModelTrainer.create({
        stateDim: parts.assembler.layout.dim,
        actionDim: parts.actuators.length,
        model: config.model,
        randFraction: 1,
        seed: 0,
        logger,
      }),
    );
    const stats: MpcPolicyStats = emptyMpcPolicyStats();
    const swap = new HotSwap({
      policy: parts.policy,
      makeMpcPolicy: session.mpcPolicyFactory(stats),
      config: { ...config.hotswap, h_step_margin: 100, max_disagreement: 1e6 },
      budgetMs: session.budgetMs,
      recent: () => null,
      nowMs: () => session.clock.nowMs(),
      logger,
      timePlanner: () => 0,
    });
    try {
      const summary = await new ContinuousLoop({
        runner: parts.runner,
        policy: parts.policy,
        random: parts.random,
        models: new InProcessModelSource(trainer),
        swap,
        refit: { transitions: 60, seconds: 1e6 },
        pollMs: 1,
        nowMs: () => session.clock.nowMs(),
        logger,
      }).run();
      const records = parts.runner.records;
      assert.ok(records.length >= EPISODES, `episodes: ${records.length}`);
      const released = records.filter((r) => r.states.length === 0);
      assert.ok(released.length >= 2, `trajectories released: ${released.length}`);
      // only what the trainer already had is released, and it had each episode whole
      assert.ok(trainer.added.length >= released.length);
      assert.ok(trainer.added.every((a) => a.steps === 30));
      for (const r of released) {
        assert.equal(r.actions.length, 0);
        assert.equal(r.steps, 30, 'the summary stays');
        assert.ok(Number.isFinite(r.return));
        assert.ok(r.velocity !== null && Number.isFinite(r.velocity.x));
      }
      const last = records[records.length - 1]!;
      assert.equal(last.states.length, (last.steps + 1) * parts.assembler.layout.dim);
      assert.ok(summary.models.length >= 1, 'the trainer was asked on its schedule');
      assert.ok(
        summary.models.every((m) => !('snapshot' in m)),
        'no weights kept per version',
      );
    } finally {
      parts.policy.use(parts.random);
      await swap.close();
      await trainer.close();
      await session.close();
    }
  });
});
