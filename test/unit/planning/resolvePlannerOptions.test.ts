import * as assert from 'node:assert/strict';
import {
  PLANNER_DEFAULTS,
  resolvePlannerOptions,
} from '../../../src/planning/resolvePlannerOptions.js';

const dims = { stateDim: 3, actionDim: 2, ensembleSize: 5, maxBatchPerMember: 1000 };
const bounds = { actionLow: [-1, -2], actionHigh: [1, 2] };

describe('resolvePlannerOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolvePlannerOptions(
      { optimizer: 'cem', horizon: 15, population: 400, ...bounds },
      dims,
    );
    assert.equal(o.particles, 5); // one particle per member
    assert.equal(o.batchPerMember, 400);
    assert.equal(o.discount, 1);
    assert.equal(o.maxIterations, PLANNER_DEFAULTS.maxIterations.cem);
    assert.equal(o.nominal, 'zero');
    assert.equal(o.noiseBeta, 0);
    assert.equal(o.timeMarginMs, 0);
    assert.deepEqual(o.cem, {
      elites: 40,
      alpha: 0.1,
      initStdFraction: 0.25,
      minStdFraction: 0.01,
      keptElites: 0,
    });
    assert.deepEqual(o.mppi, { temperature: 1, noiseStdFraction: 0.25 });
    assert.deepEqual(Array.from(o.actionHigh), [1, 2]);
  });

  it('defaults iterations per optimiser and clamps elites for tiny populations', () => {
    const random = resolvePlannerOptions(
      { optimizer: 'random', horizon: 5, population: 10, particles: 1, ...bounds },
      { ...dims, ensembleSize: 1 },
    );
    assert.equal(random.maxIterations, 1);
    assert.equal(random.cem.elites, 2);
    const mppi = resolvePlannerOptions(
      { optimizer: 'mppi', horizon: 5, population: 2, particles: 5, ...bounds },
      dims,
    );
    assert.equal(mppi.maxIterations, 3);
    assert.equal(mppi.cem.elites, 2);
  });

  it('keeps at most elites and K - 1 sequences across iterations', () => {
    const o = resolvePlannerOptions(
      {
        optimizer: 'cem',
        horizon: 5,
        population: 10,
        particles: 1,
        cem: { elites: 10, keepEliteFraction: 1 },
        ...bounds,
      },
      { ...dims, ensembleSize: 1 },
    );
    assert.equal(o.cem.keptElites, 9);
  });
});
