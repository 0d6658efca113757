import * as assert from 'node:assert/strict';
import {
  initWeights,
  makeArchitecture,
  OnnxEnsemble,
  type EnsemblePrediction,
  type Normalisers,
} from '../../../src/dynamics/index.js';
import { Rng } from '../../../src/util/rng.js';
import { maxAbsDiff } from './fixtures.js';

const S = 4;
const A = 2;
const E = 2;
const B = 400;

const NORMALISERS: Normalisers = {
  inputMean: new Float32Array(S + A),
  inputStd: new Float32Array(S + A).fill(1),
  deltaMean: new Float32Array(S),
  deltaStd: new Float32Array(S).fill(1),
};

/** Every one of the E x B rows gets the same state and action. */
async function predict(
  output: 'gaussian' | 'deterministic',
  prediction: EnsemblePrediction,
): Promise<Float32Array> {
  const arch = makeArchitecture({
    stateDim: S,
    actionDim: A,
    ensembleSize: E,
    hiddenSizes: [16],
    output,
  });
  const ens = await OnnxEnsemble.create(
    { architecture: arch, normalisers: NORMALISERS, weights: initWeights(arch, 3) },
    { maxBatchPerMember: B, prediction, rng: new Rng(9) },
  );
  try {
    const states = new Float32Array(E * B * S).fill(0.3);
    const actions = new Float32Array(E * B * A).fill(-0.2);
    const out = new Float32Array(E * B * S);
    await ens.step(states, actions, B, out);
    return out;
  } finally {
    await ens.close();
  }
}

const row = (x: Float32Array, r: number): Float32Array => x.subarray(r * S, (r + 1) * S);

describe('dynamics/OnnxEnsemble prediction: mean or sample', function () {
  this.timeout(30000);

  it('mean: particles of one member with the same input are equal', async () => {
    const out = await predict('gaussian', 'mean');
    for (let b = 1; b < B; b++) assert.equal(maxAbsDiff(row(out, b), row(out, 0)), 0);
  });

  it('sample: particles of one member with the same input differ, centred on the mean', async () => {
    const mean = await predict('gaussian', 'mean');
    const out = await predict('gaussian', 'sample');
    for (let b = 1; b < B; b++)
      assert.ok(maxAbsDiff(row(out, b), row(out, 0)) > 0, `row ${b} repeats row 0`);
    for (let e = 0; e < E; e++) {
      for (let j = 0; j < S; j++) {
        let sum = 0;
        let sq = 0;
        for (let b = 0; b < B; b++) {
          const d = out[(e * B + b) * S + j]! - mean[e * B * S + j]!;
          sum += d;
          sq += d * d;
        }
        const sd = Math.sqrt(sq / B);
        assert.ok(sd > 0, 'the samples spread');
        // the sample mean is within 4 standard errors of the predicted mean
        assert.ok(
          Math.abs(sum / B) < (4 * sd) / Math.sqrt(B),
          `member ${e} dim ${j}: bias ${sum / B}, sd ${sd}`,
        );
      }
    }
  });

  it('sample on a deterministic model is its mean', async () => {
    const mean = await predict('deterministic', 'mean');
    const out = await predict('deterministic', 'sample');
    assert.ok(maxAbsDiff(out, mean) < 1e-6);
  });
});
