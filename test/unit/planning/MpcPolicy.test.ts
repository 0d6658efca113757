import * as assert from 'node:assert/strict';
import type { MpcPlanner } from '../../../src/planning/MpcPlanner.js';
import { MpcPolicy } from '../../../src/planning/MpcPolicy.js';
import type { PlanResult } from '../../../src/planning/types.js';

/** A planner answering the given results in turn (horizon 3, discount 0.5: weights sum 1.75). */
function scriptedPlanner(results: Omit<PlanResult, 'action' | 'plan'>[]): MpcPlanner {
  let i = 0;
  return {
    options: { horizon: 3, discount: 0.5 },
    plan: () =>
      Promise.resolve({
        ...results[i++]!,
        action: Float32Array.of(0.5),
        plan: Float32Array.of(0.5),
      }),
  } as unknown as MpcPlanner;
}

describe('planning/MpcPolicy', () => {
  it('counts plans and sums the predicted reward per horizon step of the plans that have one', async () => {
    const policy = new MpcPolicy(
      scriptedPlanner([
        { iterations: 2, status: 'ok', predictedReturn: 3.5, elapsedMs: 1 },
        { iterations: 0, status: 'missed', predictedReturn: Number.NaN, elapsedMs: 1 },
        { iterations: 1, status: 'overrun', predictedReturn: -1.75, elapsedMs: 9 },
      ]),
      1,
      () => Promise.resolve(),
    );
    const out = new Float32Array(1);
    for (let k = 0; k < 3; k++) await policy.act(Float32Array.of(0), 100, out);
    const s = policy.stats;
    assert.deepEqual(
      { plans: s.plans, missed: s.missed, overrun: s.overrun, iterations: s.iterations },
      { plans: 3, missed: 1, overrun: 1, iterations: 3 },
    );
    assert.equal(s.predictedPlans, 2, 'the missed plan has no prediction');
    // 3.5 / 1.75 + (-1.75) / 1.75
    assert.ok(Math.abs(s.predictedReward - 1) < 1e-12, `predictedReward ${s.predictedReward}`);
    // the median of 2 and -1 per step
    assert.ok(Math.abs(s.predictedRewardMedian.value() - 0.5) < 1e-12);
    assert.equal(s.predictedRewardMedian.count, 2);
    assert.deepEqual(out, Float32Array.of(0.5));
  });
});
