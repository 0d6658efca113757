import * as assert from 'node:assert/strict';
import { MpcPlanner } from '../../../src/planning/MpcPlanner.js';
import { Rng } from '../../../src/util/rng.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { LinearStepper, ManualClock, QuadraticReward } from './fixtures.js';

/** A planner over two actions in [-1, 1] x [0, 2] with the given nominal action. */
function planner(nominalAction?: number[]) {
  const stepper = new LinearStepper({ stateDim: 2, actionDim: 2, ensembleSize: 1, dtSec: 0.5 });
  const reward = new QuadraticReward({
    target: [0, 0],
    controlCost: 0.1,
    stateDim: 2,
    actionDim: 2,
  });
  return new MpcPlanner(
    { stepper, reward, clock: new ManualClock(), rng: new Rng(1) },
    {
      optimizer: 'random',
      population: 8,
      horizon: 3,
      actionLow: [-1, 0],
      actionHigh: [1, 2],
      ...(nominalAction === undefined ? {} : { nominalAction }),
    },
  );
}

describe('planning/MpcPlanner nominal action (the stance of a position action space)', () => {
  it('the plan at reset is the nominal action, clipped to the bounds', () => {
    assert.deepEqual(Array.from(planner([0.5, 1.5]).result.plan), [0.5, 1.5, 0.5, 1.5, 0.5, 1.5]);
    assert.deepEqual(Array.from(planner([3, 1]).result.plan), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(
      Array.from(planner().result.plan),
      [0, 0, 0, 0, 0, 0],
      'default: zero clipped',
    );
  });

  it('the warm start shifts the plan and fills its tail with the nominal action', async () => {
    const p = planner([0.5, 1.5]);
    await p.plan([0.3, -0.2], 2000); // runs: a random plan within the bounds
    const before = Array.from(p.result.plan);
    const missed = await p.plan([0.3, -0.2], 0); // deadline passed: the shifted warm start
    assert.equal(missed.status, 'missed');
    const after = Array.from(missed.plan);
    assert.deepEqual(after.slice(0, 4), before.slice(2, 6));
    assert.deepEqual(after.slice(4), [0.5, 1.5]);
  });

  it('a nominal action of the wrong length is PLANNER_INVALID', () => {
    assert.throws(
      () => planner([0.5]),
      (e: unknown) => isStriderError(e, 'PLANNER_INVALID') && /nominalAction/.test(e.message),
    );
  });
});
