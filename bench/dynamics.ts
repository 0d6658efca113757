/**
 * Dynamics benchmark: training sample-passes/s (one sample through one member's forward +
 * backward) by engine, and the ONNX inference forward GFLOP/s, for the default shapes
 * (E=5, S=29, A=8 -> 37 -> 200 x3 -> 58, gaussian, swish).
 *
 *   node --import tsx bench/dynamics.ts [--batch 256] [--threads 2] [--seconds 3] [--skip-tfjs]
 *
 * Prints one JSON object on stdout; the training field maps to the bench JSON's
 * training.sample_passes_per_s.
 */
import { parseArgs } from 'node:util';
import {
  forwardMacsPerSample,
  initWeights,
  inputDim,
  makeArchitecture,
  identityNormalisers,
  OnnxEnsemble,
  OnnxTrainingBackend,
  TfjsTrainingBackend,
  type TrainingBackend,
} from '../src/dynamics/index.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '3' },
    'skip-tfjs': { type: 'boolean', default: false },
  },
});
const B = Number(values.batch);
const threads = Number(values.threads);
const seconds = Number(values.seconds);
const arch = makeArchitecture({ stateDim: 29, actionDim: 8 });
const E = arch.ensembleSize;
const rng = new Rng(1);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

async function trainRate(
  backend: TrainingBackend,
  batch: number,
  budgetSec: number,
): Promise<number> {
  const x = rand(E * batch * inputDim(arch));
  const y = rand(E * batch * arch.stateDim);
  const loss = new Float32Array(E);
  for (let i = 0; i < 2; i++) await backend.trainStep(x, y, batch, loss);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetSec * 1000) {
    await backend.trainStep(x, y, batch, loss);
    steps += 1;
  }
  return (steps * E * batch) / ((performance.now() - t0) / 1000);
}

const weights = initWeights(arch, 1);
const result: Record<string, unknown> = {
  shapes: { E, S: 29, A: 8, hidden: arch.hiddenSizes, batchPerMember: B },
  threads,
};

const onnx = await OnnxTrainingBackend.create({
  architecture: arch,
  initialWeights: weights,
  maxBatchPerMember: B,
  intraOpNumThreads: threads,
});
result['training_onnx_sample_passes_per_s'] = Math.round(await trainRate(onnx, B, seconds));
await onnx.dispose();

if (!values['skip-tfjs']) {
  const tfjs = await TfjsTrainingBackend.create({ architecture: arch, initialWeights: weights });
  result['training_tfjs_engine'] = tfjs.engine;
  result['training_tfjs_sample_passes_per_s'] = Math.round(await trainRate(tfjs, B, seconds));
  await tfjs.dispose();
}

// Inference: E5 x B400, 37 -> 200x3 -> 29 (the control path computes only the mean head).
const Bi = 400;
const ens = await OnnxEnsemble.create(
  { architecture: arch, normalisers: identityNormalisers(29, 8), weights },
  { maxBatchPerMember: Bi, intraOpNumThreads: threads },
);
const s = rand(E * Bi * 29);
const a = rand(E * Bi * 8);
const out = new Float32Array(E * Bi * 29);
for (let i = 0; i < 5; i++) await ens.step(s, a, Bi, out);
let runs = 0;
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  await ens.step(s, a, Bi, out);
  runs += 1;
}
const sec = (performance.now() - t0) / 1000 / runs;
const macsMeanHead = forwardMacsPerSample(arch) - 200 * 29; // output layer computes 29 of 58 columns
await ens.close();
result['inference'] = {
  batchPerMember: Bi,
  ms_per_step: Number((sec * 1000).toFixed(3)),
  gflops_mean_head: Number(((2 * E * Bi * macsMeanHead) / sec / 1e9).toFixed(1)),
  gflops_full_58_equiv: Number(((2 * E * Bi * forwardMacsPerSample(arch)) / sec / 1e9).toFixed(1)),
  model_steps_per_s: Math.round((E * Bi) / sec),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
