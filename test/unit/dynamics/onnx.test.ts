import * as assert from 'node:assert/strict';
import {
  initWeights,
  inputDim,
  makeArchitecture,
  OnnxEnsemble,
  OnnxTrainingBackend,
  paramSpecs,
  TfjsTrainingBackend,
  type EnsembleArchitecture,
  type Normalisers,
} from '../../../src/dynamics/index.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { Rng } from '../../../src/util/rng.js';
import { maxAbsDiff, randomArray } from './fixtures.js';

function normalisers(S: number, A: number, rng: Rng): Normalisers {
  return {
    inputMean: randomArray(S + A, rng, -2, 2),
    inputStd: randomArray(S + A, rng, 0.2, 3),
    deltaMean: randomArray(S, rng, -0.1, 0.1),
    deltaStd: randomArray(S, rng, 0.01, 0.5),
  };
}

/** Raw-unit next states from the tfjs reference: normalise, predict, denormalise, add. */
async function tfjsNextStates(
  arch: EnsembleArchitecture,
  weights: Float32Array[],
  n: Normalisers,
  states: Float32Array,
  actions: Float32Array,
  B: number,
): Promise<Float32Array> {
  const { stateDim: S, actionDim: A, ensembleSize: E } = arch;
  const D = S + A;
  const x = new Float32Array(E * B * D);
  for (let r = 0; r < E * B; r++) {
    for (let j = 0; j < D; j++) {
      const raw = j < S ? states[r * S + j]! : actions[r * A + j - S]!;
      x[r * D + j] = (raw - n.inputMean[j]!) / n.inputStd[j]!;
    }
  }
  const tfjs = await TfjsTrainingBackend.create({ architecture: arch, initialWeights: weights });
  const mean = new Float32Array(E * B * S);
  await tfjs.predict(x, B, mean, null);
  await tfjs.dispose();
  return mean.map((m, i) => states[i]! + m * n.deltaStd[i % S]! + n.deltaMean[i % S]!);
}

describe('dynamics/OnnxEnsemble', function () {
  this.timeout(30000);

  for (const variant of [
    { activation: 'swish', output: 'gaussian', hiddenSizes: [200, 200, 200] },
    { activation: 'relu', output: 'deterministic', hiddenSizes: [64, 64] },
  ] as const) {
    it(`equals the tfjs prediction within 1e-4 (${variant.activation}, ${variant.output}), for B = max and B < max`, async () => {
      const arch = makeArchitecture({ stateDim: 7, actionDim: 3, ensembleSize: 5, ...variant });
      const rng = new Rng(11);
      const weights = initWeights(arch, 5);
      const n = normalisers(7, 3, rng);
      const maxB = 40;
      const ens = await OnnxEnsemble.create(
        { architecture: arch, normalisers: n, weights },
        { maxBatchPerMember: maxB },
      );
      try {
        for (const B of [maxB, 13, maxB]) {
          const states = randomArray(5 * B * 7, rng, -3, 3);
          const actions = randomArray(5 * B * 3, rng);
          const out = new Float32Array(5 * B * 7);
          await ens.step(states, actions, B, out);
          const ref = await tfjsNextStates(arch, weights, n, states, actions, B);
          assert.ok(maxAbsDiff(out, ref) < 1e-4, `B=${B}: max diff ${maxAbsDiff(out, ref)}`);
        }
      } finally {
        await ens.close();
      }
    });
  }

  it('rejects a bad batch size or short buffers with MODEL_SHAPE_MISMATCH, and use after close with LOOP_STATE', async () => {
    const arch = makeArchitecture({ stateDim: 3, actionDim: 1, ensembleSize: 2, hiddenSizes: [8] });
    const n = normalisers(3, 1, new Rng(1));
    const ens = await OnnxEnsemble.create(
      { architecture: arch, normalisers: n, weights: initWeights(arch, 1) },
      { maxBatchPerMember: 4 },
    );
    const s = new Float32Array(2 * 4 * 3);
    const a = new Float32Array(2 * 4);
    const out = new Float32Array(2 * 4 * 3);
    await assert.rejects(ens.step(s, a, 5, out), (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH'));
    await assert.rejects(ens.step(s, a.subarray(0, 3), 4, out), (e) =>
      isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
    await ens.step(s, a, 4, out);
    await ens.close();
    await assert.rejects(ens.step(s, a, 4, out), (e) => isStriderError(e, 'LOOP_STATE'));
  });
});

describe('dynamics/OnnxTrainingBackend (hand-derived backward pass)', function () {
  this.timeout(30000);

  for (const variant of [
    { activation: 'swish', output: 'gaussian' },
    { activation: 'relu', output: 'deterministic' },
  ] as const) {
    it(`gives the tfjs autodiff gradients and Adam updates (${variant.activation}, ${variant.output})`, async () => {
      const arch = makeArchitecture({
        stateDim: 5,
        actionDim: 2,
        ensembleSize: 3,
        hiddenSizes: [24, 16],
        ...variant,
      });
      const rng = new Rng(4);
      const weights = initWeights(arch, 9);
      const B = 32;
      const x = randomArray(3 * B * inputDim(arch), rng, -2, 2);
      const y = randomArray(3 * B * 5, rng, -2, 2);
      const optimiser = { weightDecay: 1e-3, learningRate: 3e-3 };
      const onnx = await OnnxTrainingBackend.create({
        architecture: arch,
        initialWeights: weights,
        maxBatchPerMember: B,
        optimiser,
      });
      const tfjs = await TfjsTrainingBackend.create({
        architecture: arch,
        initialWeights: weights,
        optimiser,
      });
      try {
        const g1 = await onnx.gradients(x, y, B);
        const g2 = await tfjs.gradients(x, y, B);
        paramSpecs(arch).forEach((spec, i) => {
          const ref = g2[i]!;
          const scale = Math.max(1e-3, ...ref.map(Math.abs));
          assert.ok(
            maxAbsDiff(g1[i]!, ref) / scale < 1e-4,
            `${spec.name}: ${maxAbsDiff(g1[i]!, ref)} (scale ${scale})`,
          );
        });
        const l1 = new Float32Array(3);
        const l2 = new Float32Array(3);
        for (let k = 0; k < 5; k++) {
          await onnx.trainStep(x, y, B, l1);
          await tfjs.trainStep(x, y, B, l2);
          assert.ok(maxAbsDiff(l1, l2) < 1e-4, `step ${k} losses ${l1.join()} vs ${l2.join()}`);
        }
        const w1 = onnx.getWeights();
        const w2 = tfjs.getWeights();
        w1.forEach((w, i) => {
          assert.ok(maxAbsDiff(w, w2[i]!) < 1e-5, `param ${i} after 5 Adam steps`);
        });
      } finally {
        await onnx.dispose();
        await tfjs.dispose();
      }
    });
  }
});
