import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeArchitecture, initWeights } from '../../../src/dynamics/architecture.js';
import { identityNormalisers } from '../../../src/dynamics/Normaliser.js';
import { episodeFromBatch } from '../../../src/trainer/EpisodeAssembler.js';
import { EpisodeStore, robotDirName } from '../../../src/trainer/EpisodeStore.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import { tempDir } from '../../helpers/tmp.js';
import { A, S, linearEpisode } from './transitionFixtures.js';

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

describe('trainer/EpisodeStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.cleanup();
  });

  it('round-trips episodes, models and pending pieces, and continues numbering after a restart', async () => {
    const store = new EpisodeStore({ dataDir: tmp.dir });
    assert.deepEqual(await store.load(), []);
    const e0 = episodeFromBatch(linearEpisode({ episode: 0, firstSeq: 0, steps: 5 }), 0);
    const e1 = episodeFromBatch(
      linearEpisode({ episode: 1, firstSeq: 5, steps: 7, source: 'mpc' }),
      0,
    );
    const other = episodeFromBatch(
      linearEpisode({ robotId: '..', episode: 0, firstSeq: 0, steps: 3 }),
      0,
    );
    await store.saveEpisode(e0);
    await store.saveEpisode(e1);
    await store.saveEpisode(other);
    await store.saveModel('robot0', model(1), { rand_episodes: 1, rl_episodes: 0 });
    await store.saveModel('robot0', model(2), { rand_episodes: 1, rl_episodes: 1 });
    const open = linearEpisode({ episode: 2, firstSeq: 12, steps: 4, done: false, source: 'mpc' });
    await store.savePending([open]);
    // a write cut short leaves a temporary file: ignored and removed
    writeFileSync(
      join(store.robotDir('robot0'), 'episodes', '000000009-random-00000007-9-0.batch.tmp'),
      'x',
    );

    const again = new EpisodeStore({ dataDir: tmp.dir });
    const robots = await again.load();
    const r = robots.find((x) => x.robotId === 'robot0');
    assert.ok(r !== undefined);
    assert.equal(robots.length, 2);
    assert.equal(robots.find((x) => x.robotId === '..')?.episodes.length, 1);
    assert.deepEqual(
      r.episodes.map((e) => [e.episode, e.source, e.steps]),
      [
        [0, 'random', 5],
        [1, 'mpc', 7],
      ],
    );
    assert.deepEqual(r.episodes[1]!.trajectory.states, e1.trajectory.states);
    assert.deepEqual(r.episodes[1]!.trajectory.actions, e1.trajectory.actions);
    assert.equal(r.lastVersion, 2);
    assert.ok(r.latest !== undefined);
    assert.equal(r.latest.model.version, 2);
    assert.deepEqual(r.latest.training, { rand_episodes: 1, rl_episodes: 1 });
    assert.deepEqual(r.latest.model.snapshot.weights, model(2).snapshot.weights);
    assert.equal(r.pending.length, 1);
    assert.deepEqual(r.pending[0]!.states, open.states);
    assert.equal(again.skippedFiles, 0);
    assert.ok(
      !readdirSync(join(again.robotDir('robot0'), 'episodes')).some((n) => n.endsWith('.tmp')),
    );

    // numbering continues: the next episode file sorts after the restored ones
    const path = await again.saveEpisode(
      episodeFromBatch(linearEpisode({ episode: 3, firstSeq: 20, steps: 2 }), 0),
    );
    assert.match(path, /000000003-random-00000007-3-0\.batch$/);
    // pending is replaced, not appended
    await again.savePending([]);
    const third = await new EpisodeStore({ dataDir: tmp.dir }).load();
    assert.equal(third.find((x) => x.robotId === 'robot0')?.pending.length, 0);
    assert.equal(third.find((x) => x.robotId === 'robot0')?.episodes.length, 3);
  });

  it('skips corrupt files with a count, and falls back to the newest valid model', async () => {
    const store = new EpisodeStore({ dataDir: tmp.dir });
    await store.saveEpisode(
      episodeFromBatch(linearEpisode({ episode: 0, firstSeq: 0, steps: 5 }), 0),
    );
    await store.saveModel('robot0', model(1), { rand_episodes: 1, rl_episodes: 0 });
    await store.saveModel('robot0', model(2), { rand_episodes: 1, rl_episodes: 0 });
    writeFileSync(join(store.modelDir('robot0', 2), 'weights.bin'), Buffer.alloc(8));
    writeFileSync(
      join(store.robotDir('robot0'), 'episodes', '000000002-random-00000007-1-0.batch'),
      'garbage',
    );
    const again = new EpisodeStore({ dataDir: tmp.dir });
    const [r] = await again.load();
    assert.ok(r !== undefined);
    assert.equal(r.episodes.length, 1);
    assert.equal(r.lastVersion, 2, 'a broken v2 still reserves its number');
    assert.equal(r.latest?.model.version, 1);
    assert.equal(again.skippedFiles, 2);
  });

  it('keeps odd robot ids inside the data folder', () => {
    assert.equal(robotDirName('..'), '%2E%2E');
    assert.equal(robotDirName('robot 1'), 'robot%201');
    assert.equal(robotDirName('r\\x'), 'r%5Cx');
  });
});
