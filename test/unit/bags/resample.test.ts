import assert from 'node:assert/strict';
import { interleavedSplit } from '../../../src/bags/replayBag.js';
import { resample, type TimeSeries } from '../../../src/bags/resample.js';

function series(times: number[], rows: number[][]): TimeSeries {
  const dim = rows[0]?.length ?? 0;
  return { timesSec: Float64Array.from(times), values: Float32Array.from(rows.flat()), dim };
}

const BASE = {
  periodSec: 0.1,
  maxGapSec: 0.5,
  actionTimeoutSec: 0,
  episodeSec: 100,
  minEpisodeSteps: 2,
  quatOffset: -1,
};

describe('bags/resample', () => {
  it('interpolates states linearly on the grid and holds the last command', () => {
    // x = 10 t sampled every 0.25 s; commands at 0 and 0.33 s
    const times = [0, 0.25, 0.5, 0.75, 1.0];
    const state = series(
      times,
      times.map((t) => [10 * t]),
    );
    const action = series([0, 0.33], [[1], [2]]);
    const r = resample(state, action, BASE);
    assert.equal(r.episodes.length, 1);
    const e = r.episodes[0]!;
    assert.deepEqual(
      Array.from(e.states).map((v) => Math.round(v * 1e4) / 1e4),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(Array.from(e.actions), [1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    assert.equal(r.validSteps, 11);
    assert.equal(r.gaps, 0);
  });

  it('starts at the first command and splits episodes at a state gap longer than max_gap_s', () => {
    // samples every 0.1 s on [0, 1], none in (1, 2), then every 0.1 s on [2, 3]
    const times = [
      ...Array.from({ length: 11 }, (_, k) => k / 10),
      ...Array.from({ length: 11 }, (_, k) => 2 + k / 10),
    ];
    const state = series(
      times,
      times.map((t) => [t]),
    );
    const action = series([0.3], [[5]]);
    const r = resample(state, action, BASE);
    assert.equal(r.gaps, 1);
    assert.equal(r.episodes.length, 2);
    assert.equal(r.episodes[0]!.states[0]!.toFixed(3), '0.300');
    assert.equal(r.episodes[0]!.actions.length, 7); // 0.3 .. 1.0
    assert.equal(r.episodes[1]!.states[0]!.toFixed(3), '2.000'); // 2.0 on the 0.1 s grid from 0.3
    assert.ok(r.gapSteps >= 9);
  });

  it('treats a command older than action.timeout_s as missing, cuts long runs into episodes, drops short ones', () => {
    const times = Array.from({ length: 41 }, (_, k) => k / 10);
    const state = series(
      times,
      times.map((t) => [t]),
    );
    const action = series([0, 2.55], [[1], [0]]);
    const r = resample(state, action, {
      ...BASE,
      actionTimeoutSec: 1,
      episodeSec: 0.5,
      minEpisodeSteps: 5,
    });
    // commands cover [0, 1] and [2.55, 3.55] (grid 2.6 .. 3.5): runs of 11 and 10 points, each
    // ended by a missing command
    assert.equal(r.gaps, 2);
    assert.deepEqual(
      r.episodes.map((e) => e.actions.length),
      [5, 5, 5],
    );
    assert.equal(r.droppedEpisodes, 1); // the 4-transition tail of the second run
  });

  it('interpolates a quaternion as a unit quaternion, sign-aligned', () => {
    // yaw 0 -> yaw pi/2, the second sample stored as -q
    const h = Math.SQRT1_2;
    const state = series(
      [0, 1],
      [
        [1, 0, 0, 0],
        [-h, 0, 0, -h],
      ],
    );
    const action = series([0], [[0]]);
    const r = resample(state, action, { ...BASE, periodSec: 0.5, maxGapSec: 2, quatOffset: 0 });
    const q = Array.from(r.episodes[0]!.states.subarray(4, 8));
    assert.ok(Math.abs(Math.hypot(...q) - 1) < 1e-6);
    assert.ok(q[0]! > 0.9 && q[3]! > 0.3, `mid-way rotation: ${q.join(',')}`);
  });

  it('interleavedSplit holds out every k-th episode in time order, never all', () => {
    const eps = Array.from({ length: 9 }, (_, k) => ({
      states: Float32Array.of(k, k),
      actions: Float32Array.of(k),
    }));
    const s = interleavedSplit(eps, 0.25);
    assert.deepEqual(
      s.holdout.map((e) => e.actions[0]),
      [3, 7],
    );
    assert.equal(s.train.length, 7);
    const two = interleavedSplit(eps.slice(0, 2), 0.25);
    assert.deepEqual([two.train.length, two.holdout.length], [1, 1]);
  });
});
