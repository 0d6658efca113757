import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainReport } from '../../../src/cli/trainCommand.js';
import { configSchema } from '../../../src/config/schema.js';
import { TrainerService, type PublishedModel } from '../../../src/trainer/index.js';
import {
  EmbeddedBroker,
  ModelChannel,
  Topics,
  TransitionOutbox,
  Transport,
  decodeStatus,
  encodeTransitionBatch,
  type ModelEvent,
  type StatusMessage,
} from '../../../src/transport/index.js';
import type { TransitionBatch } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/tmp.js';
import { Mosquitto, hasMosquitto } from '../transport/brokers.js';
import { A, S, linearEpisode } from '../../unit/trainer/transitionFixtures.js';
import { requireInCi } from '../../helpers/requireInCi.js';

const topics = new Topics('itest');
const STEPS = 40;
const model = configSchema.shape.model.parse({
  ensemble_size: 2,
  hidden: [16],
  epochs_first: 4,
  epochs_per_round: 2,
  batch_size: 32,
  h_step_horizon: 5,
});
const learning = configSchema.shape.learning.parse({
  random_episodes: 3,
  episodes_per_iteration: 2,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
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

/** Pushes transitions [from, to) of an episode batch into the outbox. */
function send(outbox: TransitionOutbox, b: TransitionBatch, from = 0, to = b.count): void {
  for (let i = from; i < to; i++) {
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

describe('trainer/TrainerService end to end over the embedded broker', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let broker: EmbeddedBroker;
  let trn: Transport;
  let ctl: Transport;
  let obs: Transport;
  let outbox: TransitionOutbox;
  let service: TrainerService | undefined;

  before(async () => {
    tmp = tempDir();
    broker = await EmbeddedBroker.start();
    trn = client(broker.url, 'trainer-it');
    ctl = client(broker.url, 'ctl-it');
    obs = client(broker.url, 'observer-it');
    await Promise.all([trn, ctl, obs].map((t) => t.waitConnected({ timeoutMs: 5000 })));
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
    await service?.close({ graceMs: 200 });
    await outbox.close({ graceMs: 200 });
    await Promise.all([trn.close(), ctl.close(), obs.close()]);
    await broker.close();
    tmp.cleanup();
  });

  function open(published: PublishedModel[], dataDir = join(tmp.dir, 'data')): TrainerService {
    return new TrainerService({
      transport: trn,
      topics,
      dataDir,
      model,
      learning,
      statusId: 'trainer-it',
      seed: 1,
      statusIntervalMs: 100,
      republishDelayMs: 100,
      episodeIdleMs: 0, // the test closes with an episode open on purpose
      logger: silentLogger(),
      onModelPublished: (m) => published.push(m),
    });
  }

  it('trains v1 on random episodes, v2 after rl episodes, survives garbage, and resumes at v3 after a restart', async () => {
    const models: ModelEvent[] = [];
    const channel = new ModelChannel({ transport: obs, topics });
    await channel.subscribe('robot0', (ev) => models.push(ev));
    let status: StatusMessage | undefined;
    await obs.subscribe(topics.topic('trainer-it', 'status'), 1, (_t, payload) => {
      const r = decodeStatus(payload);
      if (r.ok) status = r.value;
    });
    const accepted = (): Extract<ModelEvent, { type: 'accepted' }>[] =>
      models.filter((m): m is Extract<ModelEvent, { type: 'accepted' }> => m.type === 'accepted');

    const published: PublishedModel[] = [];
    service = open(published);
    await service.start();
    assert.equal(service.filter, 'itest/+/transitions');

    let seq = 0;
    let episode = 0;
    const next = (source: 'random' | 'mpc', steps = STEPS, done = true): TransitionBatch => {
      const b = linearEpisode({
        episode: episode++,
        firstSeq: seq,
        steps,
        source,
        done,
        seed: 100 + episode,
      });
      seq += steps;
      return b;
    };

    // D_rand: two episodes are not enough for the first model
    send(outbox, next('random'));
    send(outbox, next('random'));
    await until('two random episodes', () => service?.robots().get('robot0')?.randEpisodes === 2);
    await service.idle();
    assert.equal(accepted().length, 0);

    // garbage on the topic is rejected and counted; the trainer keeps going
    await ctl.publishAsync(topics.topic('robot0', 'transitions'), Buffer.from('not a batch'), {
      qos: 1,
    });
    const good = encodeTransitionBatch(
      linearEpisode({ episode: 99, firstSeq: 0, steps: 3, runId: 5 }),
    );
    await ctl.publishAsync(
      topics.topic('robot0', 'transitions'),
      good.subarray(0, good.length - 7),
      { qos: 1 },
    );
    const wrongDims = encodeTransitionBatch({
      ...linearEpisode({ episode: 0, firstSeq: 0, steps: 2, runId: 6 }),
      stateDim: 2,
      states: new Float32Array(4),
      nextStates: new Float32Array(4),
    });
    await ctl.publishAsync(topics.topic('robot0', 'transitions'), wrongDims, { qos: 1 });
    await until('three rejections', () => service?.snapshotCounters().rejected === 3);

    send(outbox, next('random'));
    await until('model v1', () => accepted().length >= 1);
    const v1 = accepted()[0]!;
    assert.equal(v1.model.version, 1);
    assert.equal(v1.model.snapshot.architecture.stateDim, S);
    assert.equal(v1.model.snapshot.architecture.actionDim, A);
    assert.equal(v1.model.snapshot.architecture.ensembleSize, 2);
    assert.equal(v1.model.metrics.rand_transitions, 3 * STEPS);
    assert.equal(v1.model.metrics.rl_transitions, 0);
    assert.ok(Number.isFinite(v1.model.metrics.val_loss));

    // D_rl: a refit after every 2 rl episodes
    send(outbox, next('mpc'));
    await until('one rl episode', () => service?.robots().get('robot0')?.rlEpisodes === 1);
    await service.idle();
    assert.equal(accepted().length, 1);
    send(outbox, next('mpc'));
    await until('model v2', () => accepted().length >= 2);
    const v2 = accepted()[1]!;
    assert.equal(v2.model.version, 2);
    assert.equal(v2.model.metrics.rl_transitions, 2 * STEPS);
    assert.equal(v2.model.metrics.rand_transitions, 3 * STEPS);
    await until(
      'status with v2',
      () => status?.modelVersion === 2 && status.counters['models_published'] === 2,
    );
    const online = status;
    assert.equal(online?.role, 'trainer');
    assert.equal(online.state, 'online');

    // an episode still open at shutdown is saved and resumed
    const open5 = next('mpc');
    send(outbox, open5, 0, 10);
    await until(
      'open transitions taken in',
      () => service?.snapshotCounters().transitions === 5 * STEPS + 10,
    );
    const c = service.snapshotCounters();
    assert.equal(c.episodes_random, 3);
    assert.equal(c.episodes_mpc, 2);
    assert.equal(c.models_published, 2);
    assert.ok(c.training_seconds > 0);
    assert.deepEqual(
      published.map((m) => m.version),
      [1, 2],
    );
    await service.close({ graceMs: 1000 });
    await until('offline status', () => status?.state === 'offline');

    // restart on the same data folder: dataset and versions restored
    service = open([]);
    await service.start();
    const r = service.robots().get('robot0');
    assert.deepEqual(
      [r?.randEpisodes, r?.rlEpisodes, r?.randTransitions, r?.rlTransitions, r?.lastVersion],
      [3, 2, 3 * STEPS, 2 * STEPS, 2],
    );
    send(outbox, open5, 10, STEPS);
    send(outbox, next('mpc'));
    await until('model v3', () => accepted().length >= 3);
    const v3 = accepted()[2]!;
    assert.equal(v3.model.version, 3);
    assert.equal(v3.model.metrics.rl_transitions, 4 * STEPS, 'the open episode was resumed whole');
    assert.equal(service.robots().get('robot0')?.rlEpisodes, 4);
    assert.equal(models.filter((m) => m.type === 'rejected').length, 0);
  });

  it('refits after episodes_per_iteration random episodes when the controller stays on random actions (a rejected model)', async () => {
    // a fresh trainer, data folder and robot id: no stored or retained versions to continue from
    await service?.close({ graceMs: 200 });
    const published: PublishedModel[] = [];
    service = open(published, join(tmp.dir, 'data-rejected'));
    await service.start();
    const out = new TransitionOutbox({
      transport: ctl,
      topic: topics.topic('robot1', 'transitions'),
      robotId: 'robot1',
      stateDim: S,
      actionDim: A,
      spoolDir: join(tmp.dir, 'spool-rejected'),
      batchSize: 16,
      flushIntervalMs: 20,
    });
    out.start();
    try {
      const svc = service;
      const randomEpisodes = async (n: number): Promise<void> => {
        const from = svc.robots().get('robot1')?.randEpisodes ?? 0;
        for (let i = 0; i < n; i++) {
          send(
            out,
            linearEpisode({ episode: from + i, firstSeq: 0, steps: STEPS, seed: 200 + from + i }),
          );
        }
        await until(
          `${from + n} random episodes`,
          () => svc.robots().get('robot1')?.randEpisodes === from + n,
        );
        await svc.idle();
      };

      await randomEpisodes(learning.random_episodes);
      assert.deepEqual(
        published.map((m) => m.version),
        [1],
      );

      // the controller rejected v1 and keeps acting randomly: only 'random' episodes come
      await randomEpisodes(learning.episodes_per_iteration - 1);
      assert.deepEqual(
        published.map((m) => m.version),
        [1],
        'not due before episodes_per_iteration new episodes',
      );
      await randomEpisodes(1);
      assert.deepEqual(
        published.map((m) => m.version),
        [1, 2],
        'new random episodes after a model lead to a refit',
      );
      const v2 = published[1]!;
      const rand = learning.random_episodes + learning.episodes_per_iteration;
      assert.equal(v2.metrics.rand_transitions, rand * STEPS);
      assert.equal(v2.metrics.rl_transitions, 0);
      assert.equal(service.robots().get('robot1')?.rlEpisodes, 0);
    } finally {
      await out.close({ graceMs: 200 });
    }
  });

  it('fits the first model on MPC episodes when the controller started on model.initial (no random episodes come)', async () => {
    await service?.close({ graceMs: 200 });
    const published: PublishedModel[] = [];
    service = open(published, join(tmp.dir, 'data-initial'));
    await service.start();
    const out = new TransitionOutbox({
      transport: ctl,
      topic: topics.topic('robot2', 'transitions'),
      robotId: 'robot2',
      stateDim: S,
      actionDim: A,
      spoolDir: join(tmp.dir, 'spool-initial'),
      batchSize: 16,
      flushIntervalMs: 20,
    });
    out.start();
    try {
      const svc = service;
      const mpcEpisodes = async (n: number): Promise<void> => {
        const from = svc.robots().get('robot2')?.rlEpisodes ?? 0;
        for (let i = 0; i < n; i++) {
          const e = from + i;
          send(
            out,
            linearEpisode({ episode: e, firstSeq: 0, steps: STEPS, seed: 300 + e, source: 'mpc' }),
          );
        }
        await until(
          `${from + n} mpc episodes`,
          () => svc.robots().get('robot2')?.rlEpisodes === from + n,
        );
        await svc.idle();
      };
      await mpcEpisodes(learning.random_episodes - 1);
      assert.equal(published.length, 0, 'not due before random_episodes episodes');
      await mpcEpisodes(1);
      assert.deepEqual(
        published.map((m) => m.version),
        [1],
      );
      assert.equal(published[0]!.metrics.rand_transitions, 0);
      assert.equal(published[0]!.metrics.rl_transitions, learning.random_episodes * STEPS);
      await mpcEpisodes(learning.episodes_per_iteration);
      assert.deepEqual(
        published.map((m) => m.version),
        [1, 2],
        'then refits per episodes_per_iteration as usual',
      );
    } finally {
      await out.close({ graceMs: 200 });
    }
  });
});

describe('strider train (CLI) against a broker URL', function () {
  this.timeout(60_000);
  const BIN = resolve('bin/strider.js');
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('strider-train-cli-');
  });
  after(() => {
    tmp.cleanup();
  });

  it('refuses the embedded broker with a clear CONFIG_INVALID, and explains itself in --help', () => {
    const r = spawnSync(process.execPath, [BIN, 'train', '--out', join(tmp.dir, 'x')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /CONFIG_INVALID: strider train needs a broker URL: --set transport.broker=mqtt:\/\/host:1883/,
    );
    const h = spawnSync(process.execPath, [BIN, 'train', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(h.status, 0);
    for (const s of [
      'STRIDER_MQTT_PROTOCOL',
      'STRIDER_MQTT_PASSWORD',
      '$share/G/',
      'learning.random_episodes',
      'SIGINT',
    ]) {
      assert.ok(h.stdout.includes(s), s);
    }
  });

  interface CliCase {
    readonly url: string;
    readonly protocol: 4 | 5;
    readonly set: readonly string[];
    readonly env: Record<string, string>;
    readonly filter: string;
    readonly auth?: { username: string; password: string };
  }

  async function trainAgainst(c: CliCase, tag: string): Promise<TrainReport> {
    const ctl = new Transport({
      url: c.url,
      clientId: `ctl-cli-${tag}`,
      protocolVersion: c.protocol,
      reconnectMinMs: 50,
      connectTimeoutMs: 2000,
      ...(c.auth ?? {}),
    });
    ctl.start();
    const out = join(tmp.dir, `trainer-${tag}`);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'train',
        '--out',
        out,
        '--set',
        `transport.broker=${c.url}`,
        '--set',
        'transport.prefix=itest',
        '--set',
        'model.ensemble_size=2',
        '--set',
        'model.hidden=[16]',
        '--set',
        'model.epochs_first=3',
        '--set',
        'model.batch_size=32',
        '--set',
        'learning.random_episodes=2',
        '--set',
        'trainer.nice=5',
        ...c.set.flatMap((x) => ['--set', x]),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, STRIDER_LOG_LEVEL: 'warn', ...c.env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => {
      child.on('exit', (code) => {
        res(code);
      });
    });
    const outbox = new TransitionOutbox({
      transport: ctl,
      topic: topics.topic('robot0', 'transitions'),
      robotId: 'robot0',
      stateDim: S,
      actionDim: A,
      spoolDir: join(tmp.dir, `spool-${tag}`),
      flushIntervalMs: 20,
    });
    try {
      await ctl.waitConnected({ timeoutMs: 5000 });
      outbox.start();
      await until(
        `the ready line (stderr: ${stderr})`,
        () => stdout.includes(`strider train: ${c.filter}`),
        30_000,
      );
      assert.match(stdout, c.protocol === 5 ? /MQTT 5/ : /MQTT 3\.1\.1/);
      send(outbox, linearEpisode({ episode: 0, firstSeq: 0, steps: 30 }));
      send(outbox, linearEpisode({ episode: 1, firstSeq: 30, steps: 30 }));
      await until(
        'the model line',
        () => /model v1 for robot0: \d+ transitions \(rand 60, rl 0\)/.test(stdout),
        30_000,
      );
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
      await outbox.close({ graceMs: 100 });
      await ctl.close();
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as TrainReport;
    assert.equal(report.protocol_version, c.protocol);
    assert.equal(report.subscription, c.filter);
    assert.equal(report.counters['episodes_random'], 2);
    assert.equal(report.models.length, 1);
    assert.equal(report.robots['robot0']?.model_version, 1);
    assert.equal(report.nice.requested, 5);
    return report;
  }

  it('detects MQTT 3.1.1 on aedes, publishes a model per schedule, and stops cleanly on SIGINT with a report', async () => {
    const broker = await EmbeddedBroker.start();
    try {
      await trainAgainst(
        { url: broker.url, protocol: 4, set: [], env: {}, filter: 'itest/robot0/transitions' },
        'aedes',
      );
    } finally {
      await broker.close();
    }
  });

  it('speaks MQTT 5 to mosquitto with a password from the environment and a shared subscription', async function () {
    requireInCi(this, hasMosquitto, 'mosquitto (/usr/sbin/mosquitto)');
    const auth = { username: 'trainer', password: 's3cret' };
    const mosq = await Mosquitto.start(tmp.dir, auth);
    try {
      const report = await trainAgainst(
        {
          url: mosq.url,
          protocol: 5,
          set: ['transport.username=trainer', 'trainer.share_group=gpu'],
          env: { STRIDER_MQTT_PASSWORD: auth.password },
          filter: '$share/gpu/itest/+/transitions',
          auth,
        },
        'mosquitto',
      );
      assert.equal(report.status_topic, 'itest/trainer-gpu/status');
    } finally {
      await mosq.close();
    }
  });
});
