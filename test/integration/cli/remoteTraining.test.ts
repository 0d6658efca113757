import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import {
  HotSwap,
  LearningLoop,
  RemoteTraining,
  type ModelSource,
} from '../../../src/learning/index.js';
import { trainerCpus } from '../../../src/learning/trainerCpus.js';
import { emptyMpcPolicyStats, type MpcPolicyStats } from '../../../src/planning/MpcPolicy.js';
import { encodeModelArtifact } from '../../../src/transport/ModelArtifactCodec.js';
import { Topics } from '../../../src/transport/topics.js';
import { Transport } from '../../../src/transport/Transport.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The controller with a real `strider train` child over the embedded broker. After the first model
 * is served, the trainer is SIGKILLed and corrupt and NaN model payloads are published: the
 * controller keeps controlling with v1 and rejects both.
 */
describe('strider run with a child trainer over MQTT (embedded aedes)', function () {
  this.timeout(180_000);

  it('survives SIGKILL of the trainer and rejects corrupt, truncated and NaN models; v1 keeps serving', async () => {
    const tmp = tempDir('strider-remote-');
    const overrides = [
      'run.steps_per_episode=30',
      'model.ensemble_size=2',
      'model.hidden=[16, 16]',
      'model.epochs_first=3',
      'model.epochs_per_round=2',
      'model.h_step_horizon=5',
      'planner.population=20',
      'planner.horizon=5',
      'planner.iterations=2',
      'learning.random_episodes=2',
      'learning.iterations=3',
      'trainer.mode=child',
      // how long each wait for the next model lasts; v1's wait is repeated until it comes (below)
      'trainer.model_timeout_s=1',
      'trainer.restart_attempts=0', // this test keeps v1 serving after the trainer died
      'hotswap.max_disagreement=1000000',
    ];
    const configPath = join('config', 'planar_runner.yaml');
    const { config } = loadConfig(configPath, { overrides });
    const logger = silentLogger();
    let remote: RemoteTraining | null = null;
    const session = new RunSession({
      config,
      logger,
      onRecorded: (t, reward, episode, done) => remote?.push(t, reward, episode, done),
    });
    const parts = await session.open();
    const S = parts.assembler.layout.dim;
    const A = parts.actuators.length;
    const stats: MpcPolicyStats = emptyMpcPolicyStats();
    const plannerMs: number[] = [];
    const swap = new HotSwap({
      policy: parts.policy,
      makeMpcPolicy: session.mpcPolicyFactory(stats),
      config: config.hotswap,
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
    let intruder: Transport | null = null;
    try {
      remote = await RemoteTraining.start({
        config,
        configPath,
        overrides,
        outDir: tmp.dir,
        stateDim: S,
        actionDim: A,
        logger,
      });
      const r = remote;
      const attack = async (model: ModelVersion): Promise<void> => {
        // trainer.cpus auto: pinned off the controller's CPU 0 (all of them on a 1-CPU machine)
        const allowed = (pid: number | 'self'): string =>
          /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
        assert.equal(
          allowed(r.trainerPid!),
          trainerCpus('auto', logger) ?? allowed('self'),
          'the trainer process runs on the CPUs trainer.cpus gives',
        );
        process.kill(r.trainerPid!, 'SIGKILL');
        intruder = new Transport({
          url: r.brokerUrl,
          clientId: 'intruder',
          protocolVersion: 4,
          session: 'clean',
        });
        intruder.start();
        await intruder.waitConnected({ timeoutMs: 5000 });
        const topic = new Topics(config.transport.prefix).topic(config.transport.robot_id, 'model');
        const good = encodeModelArtifact({ ...model, version: 50 });
        const truncated = good.subarray(0, good.length - 7);
        const corrupt = Buffer.from(good);
        corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff; // checksum mismatch
        const weights = model.snapshot.weights.map((w) => w.slice());
        weights[0]![0] = Number.NaN;
        const nan = encodeModelArtifact({
          ...model,
          version: 51,
          snapshot: { ...model.snapshot, weights },
        });
        for (const payload of [truncated, corrupt, nan, Buffer.from('not a model')]) {
          await intruder.publishAsync(topic, payload, { qos: 1, retain: false });
        }
      };
      // The child trainer's start and first fit take seconds, more on a loaded machine: wait for v1
      // as long as it takes (mocha's timeout bounds a hang). After it the trainer is killed, so
      // each later wait ends empty after model_timeout_s, whatever the load.
      let first = true;
      const models: ModelSource = {
        episodesDone: () => {
          r.models.episodesDone(); // transitions were streamed as they happened
        },
        next: async () => {
          let m = await r.models.next();
          while (first && m === null) m = await r.models.next();
          first = false;
          return m;
        },
      };
      const accepted: number[] = [];
      let attacked: Promise<void> | null = null;
      await new LearningLoop({
        runner: parts.runner,
        policy: parts.policy,
        random: parts.random,
        models,
        swap,
        randomEpisodes: config.learning.random_episodes,
        iterations: config.learning.iterations,
        episodesPerIteration: config.learning.episodes_per_iteration,
        logger,
        onModel: (m, d) => {
          if (d.decision === 'accepted') accepted.push(m.version);
          if (m.version === 1) attacked = attack(m);
        },
      }).run();
      await (attacked as Promise<void> | null);
      // the attack ran once v1 was accepted, before the MPC episodes
      assert.deepEqual(accepted, [1]);
      const sources = parts.runner.records.map((x) => x.source);
      assert.deepEqual(
        sources,
        ['random', 'random', 'mpc', 'mpc', 'mpc'],
        'control continued with v1 after the trainer died',
      );
      assert.ok(parts.runner.records.every((x) => x.steps === 30));
      assert.equal(swap.serving?.version, 1);
      const report = r.report();
      assert.ok((report.models['rejected'] ?? 0) >= 4, `rejected ${JSON.stringify(report.models)}`);
      assert.equal(report.outbox['dropped'], 0);
      assert.equal(stats.plans, 90);
      assert.equal(plannerMs.length, 1, 'v1\u2019s planner was built, warmed up and timed');
      assert.ok(Number.isFinite(plannerMs[0]) && plannerMs[0]! > 0, plannerMs.join(', '));
    } finally {
      parts.policy.use(parts.random);
      await swap.close();
      await (intruder as Transport | null)?.close();
      await remote?.close();
      const trainerExit = remote?.report().trainer_exit;
      await session.close();
      tmp.cleanup();
      assert.equal(trainerExit, 'SIGKILL');
    }
  });
});
