import * as assert from 'node:assert/strict';
import { ColouredNoise } from '../../../src/planning/ColouredNoise.js';
import { MpcPlanner } from '../../../src/planning/MpcPlanner.js';
import { Icem } from '../../../src/planning/optimisers/Icem.js';
import { resolvePlannerOptions } from '../../../src/planning/resolvePlannerOptions.js';
import type { PlannerOptions } from '../../../src/planning/types.js';
import { Rng } from '../../../src/util/rng.js';
import {
  LinearStepper,
  lqOptimum,
  ManualClock,
  QuadraticReward,
  simulateReturn,
} from './fixtures.js';

const H = 4;
const DT = 0.5;
const C = 0.1;
const START = [0, 0.2];
const TARGET = [0.5, -0.3];

function setup(options: Partial<PlannerOptions>, ensembleSize = 1) {
  const stepper = new LinearStepper({ stateDim: 2, actionDim: 2, ensembleSize, dtSec: DT });
  const reward = new QuadraticReward({ target: TARGET, controlCost: C, stateDim: 2, actionDim: 2 });
  const planner = new MpcPlanner(
    { stepper, reward, clock: new ManualClock(), rng: new Rng(7) },
    {
      optimizer: 'icem',
      population: 200,
      horizon: H,
      actionLow: [-1, -1],
      actionHigh: [1, 1],
      ...options,
    },
  );
  return { stepper, planner };
}

describe('planning/optimisers/Icem', () => {
  it('shrinks the population by the decay per iteration, in steps that keep K_i * P divisible by E, down to twice the elites', () => {
    const dims = { stateDim: 2, actionDim: 2, ensembleSize: 5, maxBatchPerMember: 1000 };
    const o = resolvePlannerOptions(
      {
        optimizer: 'icem',
        population: 100,
        particles: 1,
        horizon: H,
        actionLow: [-1, -1],
        actionHigh: [1, 1],
        cem: { elites: 10 },
      },
      dims,
    );
    const icem = new Icem(o, new Rng(1), new ColouredNoise({ horizon: H, beta: 2 }));
    // 100, 80, 64, 51.2 -> 50, 40.96 -> 40, 32.8 -> 30, then the floor 2 x 10 elites
    assert.equal(icem.populationAt(0), 100);
    assert.equal(icem.populationAt(1), 80);
    assert.equal(icem.populationAt(2), 60); // 64 rounded down to a multiple of E = 5
    assert.equal(icem.populationAt(3), 50);
    assert.equal(icem.populationAt(20), 20);
    for (let i = 0; i < 20; i++) {
      assert.ok(icem.populationAt(i + 1) <= icem.populationAt(i));
      assert.equal(icem.populationAt(i) % 5, 0);
    }
  });

  it('the planner scores only K_i candidates per iteration: the model calls shrink', async () => {
    const { stepper, planner } = setup(
      { maxIterations: 4, icem: { populationDecay: 2 }, cem: { elites: 10 } },
      1,
    );
    stepper.record = true;
    await planner.plan(START, 1e12);
    const batches = stepper.recorded.map((c) => c.batchPerMember);
    // H calls per iteration: 200, 100, 50, 25 sequences x 1 particle on 1 member
    assert.deepEqual(batches, [
      ...new Array<number>(H).fill(200),
      ...new Array<number>(H).fill(100),
      ...new Array<number>(H).fill(50),
      ...new Array<number>(H).fill(25),
    ]);
  });

  it('finds the closed-form optimal first action of a linear-quadratic problem', async () => {
    const { planner } = setup({
      maxIterations: 15,
      noiseBeta: 0,
      cem: { elites: 20, minStdFraction: 0.001, keepEliteFraction: 0.3 },
    });
    const r = await planner.plan(START, 1e12);
    const opt = [0, 1].map((i) =>
      lqOptimum({
        horizon: H,
        dtSec: DT,
        controlCost: C,
        start: START[i]!,
        target: TARGET[i]!,
        discount: 1,
      }),
    );
    const optPlan: number[] = [];
    for (let t = 0; t < H; t++) optPlan.push(opt[0]![t]!, opt[1]![t]!);
    const best = simulateReturn({
      plan: optPlan,
      horizon: H,
      actionDim: 2,
      start: START,
      target: TARGET,
      dtSec: DT,
      controlCost: C,
      offset: 0,
      discount: 1,
    });
    for (const i of [0, 1])
      assert.ok(
        Math.abs(r.action[i]! - opt[i]![0]!) < 0.1,
        `a${i} ${r.action[i]} vs ${opt[i]![0]}`,
      );
    // like CEM with coloured noise (MpcPlanner.test.ts): the smaller late populations settle a little short
    assert.ok(best - r.predictedReturn < 0.01, `${r.predictedReturn} vs optimum ${best}`);
  });

  it('reuses the best elites in the next iteration and, shifted with the nominal tail, in the next tick', () => {
    const A = 2;
    const HA = H * A;
    const o = resolvePlannerOptions(
      {
        optimizer: 'icem',
        population: 20,
        particles: 1,
        horizon: H,
        actionLow: [-1, -1],
        actionHigh: [1, 1],
        cem: { elites: 4, keepEliteFraction: 0.5 },
      },
      { stateDim: 2, actionDim: A, ensembleSize: 1, maxBatchPerMember: 1000 },
    );
    const icem = new Icem(o, new Rng(1), new ColouredNoise({ horizon: H, beta: 2 }));
    const population = new Float32Array(20 * HA);
    const returns = new Float64Array(20);
    icem.begin(new Float32Array(HA));
    const count = icem.sample(population);
    for (let k = 0; k < count; k++) returns[k] = k === 7 ? 10 : k === 3 ? 5 : -k;
    const best = population.slice(7 * HA, 8 * HA);
    const second = population.slice(3 * HA, 4 * HA);
    icem.update(population, returns);
    // next iteration: row 0 the mean, rows 1-2 the two kept elites, best first
    icem.sample(population);
    assert.deepEqual(population.slice(HA, 2 * HA), best);
    assert.deepEqual(population.slice(2 * HA, 3 * HA), second);
    icem.update(population, returns.fill(0).fill(1, 1, 2));
    // next tick: the kept best (row 1 above) shifted one step, the warm start's last row as tail
    const warm = new Float32Array(HA).fill(0.25);
    icem.begin(warm);
    icem.sample(population);
    assert.deepEqual(population.slice(HA, HA + HA - A), best.slice(A));
    assert.deepEqual(population.slice(2 * HA - A, 2 * HA), Float32Array.of(0.25, 0.25));
  });
});
