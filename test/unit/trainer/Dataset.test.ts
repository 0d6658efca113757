import assert from 'node:assert/strict';
import { Dataset } from '../../../src/trainer/Dataset.js';

const S = 2;
const A = 1;

/** A trajectory of T steps whose state values encode (id, t) so segments can be traced. */
function traj(id: number, T: number) {
  const states = new Float32Array((T + 1) * S);
  const actions = new Float32Array(T * A);
  for (let t = 0; t <= T; t++) {
    states[t * S] = id;
    states[t * S + 1] = t;
  }
  for (let t = 0; t < T; t++) actions[t] = id + t / 1000;
  return { states, actions };
}

describe('trainer/Dataset', () => {
  it('cuts episodes into segments whose states and actions line up (views, not copies)', () => {
    const d = new Dataset({ stateDim: S, actionDim: A, segmentSteps: 4, seed: 1 });
    const t = traj(7, 10);
    d.add(t, 'rand');
    assert.equal(d.count('rand'), 10);
    const { data } = d.mix(1);
    assert.deepEqual(
      data.map((x) => x.actions.length),
      [4, 4, 2],
    );
    const second = data[1]!;
    assert.equal(second.states.length, 5 * S);
    assert.equal(second.states[1], 4); // first state of the second segment is s_4
    assert.equal(second.states[4 * S + 1], 8); // last is s_8
    assert.equal(second.states.buffer, t.states.buffer);
  });

  it('drops a one-step tail, which can carry no multi-step check', () => {
    const d = new Dataset({ stateDim: S, actionDim: A, segmentSteps: 4, seed: 1 });
    d.add(traj(1, 9), 'rl');
    assert.equal(d.count('rl'), 8);
  });

  it('uses all of D_rand while D_rl is empty, and everything with rand_fraction 1', () => {
    const d = new Dataset({ stateDim: S, actionDim: A, segmentSteps: 10, seed: 1 });
    for (let i = 0; i < 5; i++) d.add(traj(i, 10), 'rand');
    assert.equal(d.mix(0.2).rand, 50);
    d.add(traj(100, 10), 'rl');
    const all = d.mix(1);
    assert.equal(all.rand, 50);
    assert.equal(all.rl, 10);
    assert.equal(all.data.length, 6);
  });

  it('caps D_rand at rand_fraction of the refit with a seeded random subset', () => {
    const make = (seed: number) => {
      const d = new Dataset({ stateDim: S, actionDim: A, segmentSteps: 10, seed });
      for (let i = 0; i < 10; i++) d.add(traj(i, 10), 'rand');
      d.add(traj(100, 10), 'rl');
      d.add(traj(101, 10), 'rl');
      return d;
    };
    const m = make(3).mix(0.5); // D_rand share <= 0.5: 20 rand transitions for 20 rl
    assert.equal(m.rl, 20);
    assert.equal(m.rand, 20);
    const ids = m.data.map((t) => t.states[0]);
    assert.ok(ids.includes(100) && ids.includes(101), 'all of D_rl is kept');
    assert.deepEqual(
      make(3)
        .mix(0.5)
        .data.map((t) => t.states[0]),
      ids,
      'same seed, same subset',
    );
    const other = make(4)
      .mix(0.5)
      .data.map((t) => t.states[0]);
    assert.equal(other.length, ids.length);
  });
});
