import * as assert from 'node:assert/strict';
import type { EnsembleStepper } from '../../../src/dynamics/types.js';
import { TsInfRollout } from '../../../src/planning/TsInfRollout.js';
import type { BatchReward, Propagation } from '../../../src/planning/types.js';
import { Rng } from '../../../src/util/rng.js';
import { isStriderError } from '../../../src/util/StriderError.js';

const E = 5;
const H = 4;

/** State dim E: member e adds 1 to dimension e, so a state counts the steps each member made. */
class MemberCountStepper implements EnsembleStepper {
  readonly stateDim = E;
  readonly actionDim = 1;
  readonly ensembleSize = E;
  readonly maxBatchPerMember = 1000;
  readonly batches: number[] = [];

  step(states: Float32Array, _actions: Float32Array, B: number, out: Float32Array): Promise<void> {
    this.batches.push(B);
    for (let e = 0; e < E; e++) {
      for (let b = 0; b < B; b++) {
        const r = (e * B + b) * E;
        for (let i = 0; i < E; i++) out[r + i] = states[r + i]! + (i === e ? 1 : 0);
      }
    }
    return Promise.resolve();
  }
}

/** r = sum_i s'_i^2: largest when one member made every step (H^2 at the last step). */
const squares: BatchReward = {
  evaluate(_s, _a, next, count, out) {
    for (let r = 0; r < count; r++) {
      let acc = 0;
      for (let i = 0; i < E; i++) acc += next[r * E + i]! ** 2;
      out[r] = acc;
    }
  },
};

/** sum over t = 1..H of t^2: a particle that kept its member. */
const KEPT = 1 + 4 + 9 + 16;

async function returnsOf(
  propagation: Propagation,
  K: number,
  P: number,
  count = K,
): Promise<Float64Array> {
  const stepper = new MemberCountStepper();
  const rollout = new TsInfRollout(
    stepper,
    squares,
    { horizon: H, population: K, particles: P, discount: 1, propagation },
    new Rng(3),
  );
  const returns = new Float64Array(K);
  const population = new Float32Array(K * H);
  assert.equal(
    await rollout.evaluate(new Float32Array(E), population, returns, undefined, count),
    true,
  );
  return returns;
}

describe('planning/TsInfRollout propagation', () => {
  it('TS-inf: every particle keeps its member for the whole horizon', async () => {
    const returns = await returnsOf('ts_inf', 50, 1);
    for (const r of returns) assert.equal(r, KEPT);
  });

  it('TS1: members are reassigned per step, so most particles visit several members', async () => {
    const returns = await returnsOf('ts1', 50, 1);
    let mixed = 0;
    for (const r of returns) {
      assert.ok(r >= 4 && r <= KEPT, `return ${r}`); // 4: a new member every step
      if (r < KEPT) mixed++;
    }
    // keeping one member for 3 reassignments has probability (1/5)^3
    assert.ok(mixed >= 45, `${mixed} of 50 particles changed member`);
  });

  it('TS1 draws a new assignment every call (the permutations do not repeat)', async () => {
    const stepper = new MemberCountStepper();
    const rollout = new TsInfRollout(
      stepper,
      squares,
      { horizon: H, population: 20, particles: 5, discount: 1, propagation: 'ts1' },
      new Rng(5),
    );
    const a = new Float64Array(20);
    const b = new Float64Array(20);
    const population = new Float32Array(20 * H);
    await rollout.evaluate(new Float32Array(E), population, a);
    await rollout.evaluate(new Float32Array(E), population, b);
    assert.notDeepEqual(Array.from(a), Array.from(b));
  });

  it('TS1 without an rng is refused', () => {
    assert.throws(
      () =>
        new TsInfRollout(new MemberCountStepper(), squares, {
          horizon: H,
          population: 5,
          particles: 1,
          discount: 1,
          propagation: 'ts1',
        }),
      (e: unknown) => isStriderError(e, 'PLANNER_INVALID'),
    );
  });

  it('evaluates only the first `count` sequences, with B = count * P / E per call', async () => {
    const stepper = new MemberCountStepper();
    const rollout = new TsInfRollout(stepper, squares, {
      horizon: H,
      population: 50,
      particles: 1,
      discount: 1,
    });
    const returns = new Float64Array(50).fill(-7);
    await rollout.evaluate(new Float32Array(E), new Float32Array(50 * H), returns, undefined, 20);
    assert.deepEqual(stepper.batches, [4, 4, 4, 4]);
    for (let k = 0; k < 20; k++) assert.equal(returns[k], KEPT);
    for (let k = 20; k < 50; k++) assert.equal(returns[k], -7);
  });
});
