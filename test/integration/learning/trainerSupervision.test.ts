import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { RemoteTraining } from '../../../src/learning/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/tmp.js';

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/**
 * A real `strider train` child over the embedded broker, killed with SIGKILL after its first
 * model: the controller does not wait for a model while it is away (model_timeout_s is 300), the
 * supervisor restarts it, and the restarted trainer fits the next version warm from v1.
 */
describe('child trainer supervision (kill -9, restart, no wait on an absent trainer)', function () {
  this.timeout(180_000); // only to catch a hang: a wait of model_timeout_s would be 300 s

  it('restarts a SIGKILLed trainer, skips the wait while it is away, and gets v2 warm-started from v1', async () => {
    const tmp = tempDir('strider-supervise-');
    const overrides = [
      'run.steps_per_episode=30',
      'model.ensemble_size=2',
      'model.hidden=[16, 16]',
      'model.epochs_first=3',
      'model.epochs_per_round=2',
      'model.h_step_horizon=5',
      'learning.random_episodes=2',
      'learning.episodes_per_iteration=1',
      'trainer.mode=child',
      'trainer.model_timeout_s=300',
      'trainer.restart_attempts=3',
      'trainer.restart_backoff_s=0.5',
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
    const events: string[] = [];
    try {
      remote = await RemoteTraining.start({
        config,
        configPath,
        overrides,
        outDir: tmp.dir,
        stateDim: parts.assembler.layout.dim,
        actionDim: parts.actuators.length,
        onTrainerState: (state) => events.push(`trainer ${state}`),
        logger,
      });
      const r = remote;
      await parts.runner.runEpisodes(2);
      const v1 = await r.models.next();
      assert.equal(v1?.version, 1);
      assert.equal(v1.metrics.epochs, 3, 'the first model is fitted from fresh weights');
      events.push('model v1');

      const firstPid = r.trainerPid;
      assert.ok(firstPid !== null);
      process.kill(firstPid, 'SIGKILL');
      await until('the trainer to be seen down', () => r.trainer?.state !== 'ready');
      // the trainer is away: no wait of model_timeout_s, the serving model goes on
      const none = await r.models.next();
      events.push(`next ${none === null ? 'none' : `v${none.version}`}`);
      await parts.runner.runEpisodes(1); // streamed while the trainer is away: the broker keeps it

      await until('the restarted trainer', () => r.trainer?.state === 'ready');
      const v2 = await r.models.next();
      events.push(`model v${v2?.version ?? 'none'}`);
      assert.deepEqual(events, [
        'trainer ready',
        'model v1',
        'trainer down',
        'next none',
        'trainer starting',
        'trainer ready',
        'model v2',
      ]);
      assert.equal(v2?.metrics.epochs, 2, 'warm-started from the stored v1 (epochs_per_round)');
      assert.equal(v2.metrics.rand_transitions, 3 * 30, 'the restarted trainer has every episode');
      assert.notEqual(r.trainerPid, firstPid);
      assert.deepEqual(r.models.counters, { waits: 2, timeouts: 0, skipped: 1 });
      const report = r.report();
      assert.equal(report.trainer_restarts, 1);
      assert.equal(report.trainer_exit, 'SIGKILL');
      assert.equal(report.outbox['dropped'], 0);
    } finally {
      await remote?.close();
      await session.close();
      tmp.cleanup();
    }
    assert.equal(remote.report().trainer_state, 'stopped');
  });
});
