import * as assert from 'node:assert/strict';
import { MpcPlanner } from '../../../src/planning/MpcPlanner.js';
import { PolicySeeds, type SeedPolicy } from '../../../src/planning/PolicySeeds.js';
import type { SeedSource } from '../../../src/planning/types.js';
import { Rng } from '../../../src/util/rng.js';
import { LinearStepper, ManualClock, QuadraticReward } from './fixtures.js';

const H = 4;
const A = 2;
/** A sequence no Gaussian sample hits exactly (H x A). */
const SEED = Float32Array.of(0.125, -0.375, 0.25, -0.25, 0.375, -0.125, 0.5, 0);

/** A seed source handing out SEED, counting its calls. */
function spySeeds(): SeedSource & { calls: number } {
  const s = {
    calls: 0,
    fill(_state: Float32Array, out: Float32Array, max: number): Promise<number> {
      s.calls++;
      if (max < 1) return Promise.resolve(0);
      out.set(SEED);
      return Promise.resolve(1);
    },
  };
  return s;
}

/** Step calls' candidate rows whose H actions are exactly SEED (E = 1, one particle each). */
function seedRows(stepper: LinearStepper, K: number, iterations: number): number[] {
  const found: number[] = [];
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < K; k++) {
      let all = true;
      for (let t = 0; t < H && all; t++) {
        const acts = stepper.recordedActions[it * H + t]!;
        for (let j = 0; j < A; j++) if (acts[k * A + j] !== SEED[t * A + j]) all = false;
      }
      if (all) found.push(it * K + k);
    }
  }
  return found;
}

function planner(seeds: SeedSource | undefined, seedShare: number) {
  const stepper = new LinearStepper({ stateDim: 2, actionDim: A, ensembleSize: 1 });
  stepper.record = true;
  const reward = new QuadraticReward({
    target: [0.5, -0.3],
    controlCost: 0.1,
    stateDim: 2,
    actionDim: A,
  });
  const clock = new ManualClock();
  const p = new MpcPlanner(
    { stepper, reward, clock, rng: new Rng(5), ...(seeds ? { seeds } : {}) },
    {
      optimizer: 'cem',
      population: 16,
      particles: 1,
      horizon: H,
      maxIterations: 3,
      actionLow: [-1, -1],
      actionHigh: [1, 1],
      seedShare,
    },
  );
  return { stepper, planner: p, clock };
}

describe('planning/PolicySeeds', () => {
  it("policy seeds appear in the planner's population, in every iteration", async () => {
    const seeds = spySeeds();
    const { stepper, planner: p } = planner(seeds, 0.1);
    const r = await p.plan([0, 0.2], 1e9);
    assert.equal(r.iterations, 3);
    assert.equal(seeds.calls, 1, 'the source is asked once per plan() call');
    assert.equal(stepper.recordedActions.length, 3 * H);
    // one seed (floor(0.1 x 16) = 1) in the last row of each iteration
    assert.deepEqual(seedRows(stepper, 16, 3), [15, 31, 47]);
  });

  it('without a seed share (or a source) the sequence is not in the population', async () => {
    const seeds = spySeeds();
    const off = planner(seeds, 0);
    await off.planner.plan([0, 0.2], 1e9);
    assert.deepEqual(seedRows(off.stepper, 16, 3), []);
    assert.equal(seeds.calls, 0);
    const none = planner(undefined, 0.25);
    await none.planner.plan([0, 0.2], 1e9);
    assert.deepEqual(seedRows(none.stepper, 16, 3), []);
  });

  it('a budget that fits an iteration but not the seeds too plans without them', async () => {
    const seeds = spySeeds();
    const {
      stepper,
      planner: p,
      clock,
    } = planner(
      {
        fill: (state, out, max) => {
          clock.now += 10; // the seeds take 10 ms
          return seeds.fill(state, out, max);
        },
      },
      0.1,
    );
    stepper.onStep = () => {
      clock.now += 1; // an iteration takes H = 4 ms
    };
    const first = await p.plan([0, 0.2], clock.now + 1000);
    assert.equal(first.iterations, 3);
    assert.equal(seeds.calls, 1);
    // 12 ms: two 4 ms iterations fit with headroom, 10 ms of seeds and one iteration do not
    const tight = await p.plan([0, 0.2], clock.now + 12);
    assert.ok(tight.iterations >= 1, `${tight.iterations} iterations`);
    assert.equal(seeds.calls, 1, 'no seeds this time');
    await p.plan([0, 0.2], clock.now + 1000);
    assert.equal(seeds.calls, 2, 'with time, seeds again');
  });

  it("rolls the policy through each member's prediction (state, then the task's command)", async () => {
    // s' = s + 0.5 a + offset_e on both dimensions; the policy answers -s + command.vx
    const stepper = new LinearStepper({
      stateDim: 2,
      actionDim: 2,
      ensembleSize: 2,
      memberOffsets: [0, 1],
    });
    const command = { linearX: 0.5, linearY: 0, angularZ: 0 };
    const seen: number[][] = [];
    const policy: SeedPolicy = {
      inputDim: 5,
      act(input, out) {
        seen.push(Array.from(input));
        out[0] = -input[0]! + input[2]!;
        out[1] = -input[1]! + input[2]!;
        return Promise.resolve();
      },
    };
    const seeds = new PolicySeeds({ stepper, horizon: 3, command });
    const out = new Float32Array(2 * 3 * 2);
    assert.equal(await seeds.fill(Float32Array.of(1, 0), out, 4), 0, 'no policy: no seeds');
    seeds.policy = policy;
    assert.equal(await seeds.fill(Float32Array.of(1, 0), out, 4), 2, 'one sequence per member');
    assert.deepEqual(seen[0], [1, 0, 0.5, 0, 0]);
    // member 0: s = (1, 0) -> a = (-0.5, 0.5) -> s = (0.75, 0.25) -> a = (-0.25, 0.25) -> ...
    assert.deepEqual(Array.from(out.subarray(0, 4)), [-0.5, 0.5, -0.25, 0.25]);
    // member 1 adds 1 per step: s = (1.75, 1.25) -> a = (-1.25, -0.75)
    assert.deepEqual(Array.from(out.subarray(6, 10)), [-0.5, 0.5, -1.25, -0.75]);
    command.linearX = 0;
    await seeds.fill(Float32Array.of(1, 0), out, 1);
    assert.deepEqual(Array.from(out.subarray(0, 2)), [-1, 0], 'the live command is read');
    seeds.policy = { ...policy, inputDim: 7 };
    assert.equal(await seeds.fill(Float32Array.of(1, 0), out, 1), 0, 'an input of the wrong width');
  });
});
