import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeArchitecture, initWeights } from '../../../src/dynamics/architecture.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import { identityNormalisers } from '../../../src/dynamics/Normaliser.js';
import { loadConfig } from '../../../src/config/index.js';
import { Dataset } from '../../../src/trainer/Dataset.js';
import { episodeFromBatch, type Episode } from '../../../src/trainer/EpisodeAssembler.js';
import { EpisodeStore } from '../../../src/trainer/EpisodeStore.js';
import type { RetentionLimits } from '../../../src/trainer/StoreRetention.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';
import { A, S, linearEpisode } from './transitionFixtures.js';

const STEPS = 10;

function piece(episode: number, source: 'random' | 'mpc'): Episode {
  return episodeFromBatch(
    linearEpisode({ episode, firstSeq: episode * STEPS, steps: STEPS, source }),
    0,
  );
}

function model(version: number): ModelVersion {
  const architecture = makeArchitecture({
    stateDim: S,
    actionDim: A,
    ensembleSize: 2,
    hiddenSizes: [8],
  });
  return {
    version,
    snapshot: {
      architecture,
      normalisers: identityNormalisers(S, A),
      weights: initWeights(architecture, version),
    },
    metrics: {
      train_loss: 0.5,
      val_loss: 0.6,
      h_step_error: 0.7,
      h_step_baseline: 1,
      h_step_error_previous: Number.NaN,
      train_transitions: 100,
      rand_transitions: 60,
      rl_transitions: 40,
      epochs: 3,
      train_seconds: 0.1,
      sample_passes_per_s: 1000,
      backend: 'onnx',
    },
  };
}

const limits = (o: Partial<RetentionLimits>): RetentionLimits => ({
  maxTransitions: 0,
  maxBytes: 0,
  keepModels: 5,
  ...o,
});

describe('trainer/EpisodeStore retention', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.cleanup();
  });

  const files = (store: EpisodeStore): string[] =>
    readdirSync(join(store.robotDir('robot0'), 'episodes')).sort();
  const episodesOf = (es: readonly Episode[]): string[] => es.map((e) => `${e.source}${e.episode}`);

  async function store(e: Episode, s: EpisodeStore): Promise<Episode[]> {
    await s.saveEpisode(e);
    return s.retain(e.robotId);
  }

  it('over max_transitions drops the oldest D_rl first, keeps D_rand, and a restart loads only the kept ones', async () => {
    const s = new EpisodeStore({
      dataDir: tmp.dir,
      retention: limits({ maxTransitions: 4 * STEPS }),
    });
    assert.deepEqual(await store(piece(0, 'random'), s), []);
    assert.deepEqual(await store(piece(1, 'random'), s), []);
    assert.deepEqual(await store(piece(2, 'mpc'), s), []);
    assert.deepEqual(await store(piece(3, 'mpc'), s), []);
    assert.deepEqual(episodesOf(await store(piece(4, 'mpc'), s)), ['mpc2']);
    assert.deepEqual(episodesOf(await store(piece(5, 'mpc'), s)), ['mpc3']);
    assert.deepEqual(files(s), [
      '000000001-random-00000007-0-0.batch',
      '000000002-random-00000007-1-0.batch',
      '000000005-mpc-00000007-4-0.batch',
      '000000006-mpc-00000007-5-0.batch',
    ]);
    assert.equal(s.retention.retention_episodes_dropped, 2);
    assert.equal(s.retention.retention_transitions_dropped, 2 * STEPS);
    assert.ok(s.retention.retention_bytes_dropped > 2 * STEPS * 8);

    const again = new EpisodeStore({
      dataDir: tmp.dir,
      retention: limits({ maxTransitions: 4 * STEPS }),
    });
    const [r] = await again.load();
    assert.deepEqual(episodesOf(r?.episodes ?? []), ['random0', 'random1', 'mpc4', 'mpc5']);
    assert.equal(again.retention.retention_episodes_dropped, 0);
    // numbering goes on after the kept files
    await again.saveEpisode(piece(6, 'mpc'));
    assert.ok(files(again).includes('000000007-mpc-00000007-6-0.batch'));
  });

  it('applies a lowered limit at load, and never deletes D_rand (it warns and keeps the newest piece)', async () => {
    const s = new EpisodeStore({ dataDir: tmp.dir });
    for (const [i, src] of [
      [0, 'random'],
      [1, 'mpc'],
      [2, 'random'],
      [3, 'mpc'],
    ] as const)
      await store(piece(i, src), s);
    assert.equal(files(s).length, 4, 'no limits: everything kept');

    const warnings: string[] = [];
    const log = {
      child: () => log,
      warn: (_o: unknown, m: string) => warnings.push(m),
      info: () => undefined,
      debug: () => undefined,
      error: () => undefined,
    };
    const again = new EpisodeStore({
      dataDir: tmp.dir,
      retention: limits({ maxTransitions: 2 * STEPS }),
      logger: log as never,
    });
    const [r] = await again.load();
    // mpc1 goes (oldest D_rl); mpc3 is the newest piece; the two D_rand episodes stay over the limit
    assert.deepEqual(episodesOf(r?.episodes ?? []), ['random0', 'random2', 'mpc3']);
    assert.equal(again.retention.retention_episodes_dropped, 1);
    assert.equal(warnings.filter((w) => w.includes('D_rand alone exceeds')).length, 1);
    assert.deepEqual(episodesOf(await store(piece(4, 'random'), again)), ['mpc3']);
    assert.deepEqual(await store(piece(5, 'random'), again), []);
    assert.equal(warnings.filter((w) => w.includes('D_rand alone exceeds')).length, 1, 'once');
    assert.deepEqual(files(again), [
      '000000001-random-00000007-0-0.batch',
      '000000003-random-00000007-2-0.batch',
      '000000005-random-00000007-4-0.batch',
      '000000006-random-00000007-5-0.batch',
    ]);
  });

  it('max_bytes counts the episode files on disk', async () => {
    const probe = new EpisodeStore({ dataDir: join(tmp.dir, 'probe') });
    await probe.saveEpisode(piece(0, 'mpc'));
    const [name] = readdirSync(join(probe.robotDir('robot0'), 'episodes'));
    const { size } = await import('node:fs/promises').then((f) =>
      f.stat(join(probe.robotDir('robot0'), 'episodes', name!)),
    );
    const s = new EpisodeStore({ dataDir: tmp.dir, retention: limits({ maxBytes: 3 * size }) });
    for (let i = 0; i < 3; i++) assert.deepEqual(await store(piece(i, 'mpc'), s), []);
    assert.deepEqual(episodesOf(await store(piece(3, 'mpc'), s)), ['mpc0']);
    assert.equal(s.retention.retention_bytes_dropped, size);
    assert.equal(files(s).length, 3);
  });

  it('keeps the newest keep_models version folders, and removes a folder without a manifest at load', async () => {
    const s = new EpisodeStore({ dataDir: tmp.dir, retention: limits({ keepModels: 2 }) });
    for (let v = 1; v <= 4; v++)
      await s.saveModel('robot0', model(v), { rand_episodes: 1, rl_episodes: 0 });
    const models = (): string[] => readdirSync(join(s.robotDir('robot0'), 'models')).sort();
    assert.deepEqual(models(), ['v3', 'v4']);
    assert.equal(s.retention.retention_models_dropped, 2);
    // v5 cut short: weights written, manifest not
    mkdirSync(s.modelDir('robot0', 5));
    writeFileSync(join(s.modelDir('robot0', 5), 'weights.bin'), Buffer.alloc(16));
    const again = new EpisodeStore({ dataDir: tmp.dir, retention: limits({ keepModels: 2 }) });
    const [r] = await again.load();
    assert.ok(r !== undefined);
    assert.equal(r.latest?.model.version, 4);
    assert.equal(r.lastVersion, 5, 'its number stays reserved for this run');
    assert.equal(existsSync(s.modelDir('robot0', 5)), false);
    assert.deepEqual(models(), ['v3', 'v4']);
  });
});

describe('trainer/Dataset remove', () => {
  it('takes out every segment of a trajectory, so the next mix no longer holds it', () => {
    const d = new Dataset({ stateDim: S, actionDim: A, segmentSteps: 4, seed: 1 });
    const a = piece(0, 'mpc').trajectory;
    const b = piece(1, 'mpc').trajectory;
    d.add(a, 'rl');
    d.add(b, 'rl');
    assert.equal(d.count('rl'), 2 * STEPS);
    assert.equal(d.remove(a), true);
    assert.equal(d.remove(a), false);
    assert.equal(d.count('rl'), STEPS);
    const { data, rl } = d.mix(0.5);
    assert.equal(rl, STEPS);
    assert.ok(data.every((t) => t.states.buffer === b.states.buffer));
  });
});

describe('config trainer.retention', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
  });
  after(() => {
    tmp.cleanup();
  });

  function load(set: string[]): unknown {
    const file = tmp.write('c.yaml', 'robot:\n  model: x.xml\nrun:\n  steps_per_episode: 200\n');
    try {
      loadConfig(file, { overrides: set });
      return undefined;
    } catch (err) {
      return err;
    }
  }

  it('defaults on, and refuses a limit below one episode, naming the key and what was expected', () => {
    const c = loadConfig(tmp.write('d.yaml', 'robot:\n  model: x.xml\n')).config.trainer.retention;
    assert.deepEqual(c, { max_transitions: 1_000_000, max_bytes: 2 * 1024 ** 3, keep_models: 5 });
    assert.equal(
      load(['trainer.retention.max_transitions=200', 'trainer.retention.max_bytes=0']),
      undefined,
    );

    const e = load(['trainer.retention.max_transitions=199']);
    assert.ok(isStriderError(e, 'CONFIG_INVALID'), String(e));
    assert.match(
      e.message,
      /trainer\.retention\.max_transitions: holds less than one episode: expected 0 \(no limit\) or at least run\.steps_per_episode \(200\) transitions \(got 199\)/,
    );
    const b = load(['trainer.retention.max_bytes=1000']);
    assert.ok(isStriderError(b, 'CONFIG_INVALID'), String(b));
    assert.match(
      b.message,
      /trainer\.retention\.max_bytes: holds less than one episode: expected 0 \(no limit\) or at least 5800 bytes/,
    );
  });
});
