import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainReport } from '../../../src/cli/trainCommand.js';
import { configSchema } from '../../../src/config/schema.js';
import { EpisodeStore, TrainerService, type PublishedModel } from '../../../src/trainer/index.js';
import type { RetentionLimits } from '../../../src/trainer/StoreRetention.js';
import {
  EmbeddedBroker,
  Topics,
  TransitionOutbox,
  Transport,
} from '../../../src/transport/index.js';
import type { TransitionBatch } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/tmp.js';
import { A, S, linearEpisode } from '../../unit/trainer/transitionFixtures.js';

const topics = new Topics('itest');
const STEPS = 40;
const model = configSchema.shape.model.parse({
  ensemble_size: 2,
  hidden: [16],
  epochs_first: 3,
  epochs_per_round: 2,
  batch_size: 32,
  h_step_horizon: 5,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function client(url: string, clientId: string): Transport {
  const t = new Transport({
    url,
    clientId,
    protocolVersion: 4,
    reconnectMinMs: 50,
    connectTimeoutMs: 2000,
  });
  t.start();
  return t;
}

function send(outbox: TransitionOutbox, b: TransitionBatch): void {
  for (let i = 0; i < b.count; i++) {
    outbox.push({
      state: b.states.subarray(i * S, (i + 1) * S),
      action: b.actions.subarray(i * A, (i + 1) * A),
      expertAction: null,
      nextState: b.nextStates.subarray(i * S, (i + 1) * S),
      reward: b.rewards[i] ?? 0,
      done: b.dones[i] === 1,
      episode: b.episode,
      source: b.source,
    });
  }
}

describe('trainer retention and shutdown', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let broker: EmbeddedBroker;
  let trn: Transport;
  let ctl: Transport;
  let outbox: TransitionOutbox;
  let seq = 0;
  let episode = 0;
  const next = (source: 'random' | 'mpc', steps = STEPS): TransitionBatch => {
    const b = linearEpisode({ episode: episode++, firstSeq: seq, steps, source, seed: episode });
    seq += steps;
    return b;
  };

  before(async () => {
    tmp = tempDir();
    broker = await EmbeddedBroker.start();
    trn = client(broker.url, 'trainer-ret');
    ctl = client(broker.url, 'ctl-ret');
    await Promise.all([trn, ctl].map((t) => t.waitConnected({ timeoutMs: 5000 })));
    outbox = new TransitionOutbox({
      transport: ctl,
      topic: topics.topic('robot0', 'transitions'),
      robotId: 'robot0',
      stateDim: S,
      actionDim: A,
      spoolDir: join(tmp.dir, 'spool'),
      batchSize: 16,
      flushIntervalMs: 20,
    });
    outbox.start();
  });

  after(async () => {
    await outbox.close({ graceMs: 200 });
    await Promise.all([trn.close(), ctl.close()]);
    await broker.close();
    tmp.cleanup();
  });

  function open(
    dataDir: string,
    retention: RetentionLimits,
    published: PublishedModel[] = [],
    episodesPerIteration = 2,
  ): TrainerService {
    return new TrainerService({
      transport: trn,
      topics,
      dataDir,
      retention,
      model,
      learning: configSchema.shape.learning.parse({
        random_episodes: 3,
        episodes_per_iteration: episodesPerIteration,
      }),
      statusId: 'trainer-ret',
      seed: 1,
      republishDelayMs: 100,
      episodeIdleMs: 0,
      logger: silentLogger(),
      onModelPublished: (m) => published.push(m),
    });
  }

  it('drops the oldest D_rl episodes from disk and from the fit, keeps D_rand, and restarts on what it kept', async () => {
    const dataDir = join(tmp.dir, 'data');
    const retention = { maxTransitions: 5 * STEPS, maxBytes: 0, keepModels: 2 };
    const published: PublishedModel[] = [];
    const svc = open(dataDir, retention, published);
    await svc.start();
    try {
      for (let i = 0; i < 3; i++) send(outbox, next('random'));
      await until('v1', () => published.length >= 1);
      send(outbox, next('mpc'));
      send(outbox, next('mpc'));
      await until('v2', () => published.length >= 2);
      assert.equal(published[1]?.metrics.rl_transitions, 2 * STEPS);
      // two more rl episodes: 7 episodes of 40 over a limit of 200 transitions
      send(outbox, next('mpc'));
      send(outbox, next('mpc'));
      await until('v3', () => published.length >= 3);
      await svc.idle();
      const v3 = published[2]!;
      assert.equal(v3.metrics.rand_transitions, 3 * STEPS, 'D_rand kept whole');
      assert.equal(v3.metrics.rl_transitions, 2 * STEPS, 'the two oldest rl episodes left the fit');
      const c = svc.snapshotCounters();
      assert.equal(c.episodes_mpc, 4, 'episodes received still count');
      assert.equal(c.retention_episodes_dropped, 2);
      assert.equal(c.retention_transitions_dropped, 2 * STEPS);
      assert.equal(c.retention_models_dropped, 1, 'v1 deleted, v2 and v3 kept');
      const r = svc.robots().get('robot0');
      assert.deepEqual(
        [r?.randEpisodes, r?.rlEpisodes, r?.randTransitions, r?.rlTransitions, r?.lastVersion],
        [3, 2, 3 * STEPS, 2 * STEPS, 3],
      );
    } finally {
      await svc.close({ graceMs: 200 });
    }

    const again = open(dataDir, retention);
    await again.start();
    try {
      const r = again.robots().get('robot0');
      assert.deepEqual(
        [r?.randEpisodes, r?.rlEpisodes, r?.randTransitions, r?.rlTransitions, r?.lastVersion],
        [3, 2, 3 * STEPS, 2 * STEPS, 3],
      );
      await again.idle();
      assert.equal(again.snapshotCounters().models_trained, 0, 'nothing new: no refit due');
      // the next two rl episodes refit as usual, with the oldest kept rl episodes dropped
      send(outbox, next('mpc'));
      send(outbox, next('mpc'));
      await until('v4', () => again.published.length >= 1);
      const v4 = again.published[0];
      assert.ok(v4 !== undefined);
      assert.equal(v4.version, 4);
      assert.equal(v4.metrics.rl_transitions, 2 * STEPS);
    } finally {
      await again.close({ graceMs: 200 });
    }
  });

  it('strider train exits on SIGTERM during a long refit, and its store is consistent on restart', async () => {
    const out = join(tmp.dir, 'trainer-cli');
    const child = spawn(
      process.execPath,
      [
        resolve('bin/strider.js'),
        'train',
        '--out',
        out,
        '--set',
        `transport.broker=${broker.url}`,
        '--set',
        'transport.prefix=itest',
        '--set',
        'transport.robot_id=robot1',
        '--set',
        'model.ensemble_size=2',
        '--set',
        'model.hidden=[16]',
        '--set',
        'model.epochs_first=3',
        // the second fit is long: 10000 epochs of 500 transitions
        '--set',
        'model.epochs_per_round=10000',
        '--set',
        'model.batch_size=32',
        '--set',
        'learning.random_episodes=2',
        '--set',
        'learning.episodes_per_iteration=2',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, STRIDER_LOG_LEVEL: 'info', STRIDER_MQTT_PROTOCOL: '4' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exitCode: number | null | undefined;
    child.on('exit', (code) => {
      exitCode = code;
    });
    const ob = new TransitionOutbox({
      transport: ctl,
      topic: topics.topic('robot1', 'transitions'),
      robotId: 'robot1',
      stateDim: S,
      actionDim: A,
      spoolDir: join(tmp.dir, 'spool1'),
      flushIntervalMs: 20,
    });
    ob.start();
    const fitsStarted = (): number => stderr.split('"fit started"').length - 1;
    try {
      await until('the ready line', () => stdout.includes('strider train: '), 60_000);
      send(ob, next('random', 125));
      send(ob, next('random', 125));
      await until(`model v1 (stderr ${stderr.slice(-2000)})`, () => stdout.includes('model v1'));
      send(ob, next('random', 125));
      send(ob, next('random', 125));
      await until('the second fit', () => fitsStarted() >= 2);
      await sleep(500);
      const t0 = performance.now();
      child.kill('SIGTERM');
      await until('exit after SIGTERM', () => exitCode !== undefined, 60_000);
      // measured, not asserted (tests do not assert wall-clock time)
      process.stdout.write(
        `      strider train exited ${((performance.now() - t0) / 1000).toFixed(2)} s after SIGTERM\n`,
      );
      assert.equal(exitCode, 0, stderr.slice(-3000));
      assert.match(stderr, /fit stopped at shutdown; nothing stored/);
    } finally {
      child.kill('SIGKILL');
      await ob.close({ graceMs: 100 });
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as TrainReport;
    assert.equal(report.counters['episodes_random'], 4);
    assert.equal(report.counters['models_trained'], 1, 'the interrupted fit stored nothing');
    assert.equal(existsSync(join(out, 'robot1', 'models', 'v2')), false);

    const [stored] = await new EpisodeStore({ dataDir: out }).load();
    assert.equal(stored?.episodes.length, 4);
    assert.equal(stored.latest?.model.version, 1);
    const svc = open(out, { maxTransitions: 0, maxBytes: 0, keepModels: 5 }, [], 100);
    await svc.start();
    try {
      const r = svc.robots().get('robot1');
      assert.deepEqual([r?.randEpisodes, r?.randTransitions, r?.lastVersion], [4, 4 * 125, 1]);
    } finally {
      await svc.close({ graceMs: 200 });
    }
  });
});
