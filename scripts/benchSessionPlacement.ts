/**
 * One ensemble step on ONNX Runtime with the weights as initializers (a session per model version)
 * against the weights fed as inputs (one kept session for every version, EnsembleSessions), in
 * alternating blocks in one process: `npx tsx scripts/benchSessionPlacement.ts [B [mean|sample]]`.
 * Defaults: the planar runner's shapes (S 23, A 6, E 5, 3 x 200 swish, gaussian) and its planner's
 * batch per member (population 100 / E 5 = 20), predicting the mean.
 */
import { loadavg } from 'node:os';
import * as ort from '../src/dynamics/onnx/ortRuntime.js';
import { initWeights, makeArchitecture } from '../src/dynamics/architecture.js';
import { createEnsembleSession } from '../src/dynamics/EnsembleSessions.js';
import { identityNormalisers } from '../src/dynamics/Normaliser.js';
import {
  buildInferenceGraph,
  INFERENCE_IO,
  type InferenceOutput,
  type WeightPlacement,
} from '../src/dynamics/onnx/buildInferenceGraph.js';

const B = Number(process.argv[2] ?? 20);
const prediction = (process.argv[3] ?? 'mean') as InferenceOutput;
const [S, A, E] = [23, 6, 5];
const arch = makeArchitecture({ stateDim: S, actionDim: A, ensembleSize: E });
const weights = initWeights(arch, 1);
const normalisers = identityNormalisers(S, A);

async function runner(placement: WeightPlacement): Promise<() => Promise<void>> {
  const graph = buildInferenceGraph(arch, normalisers, weights, prediction, placement);
  const session = await createEnsembleSession(graph.model, 2, true);
  const t = (n: number) =>
    new ort.Tensor('float32', new Float32Array(E * B * n).fill(0.1), [E, B, n]);
  const feeds: Record<string, ort.Tensor> = {
    [INFERENCE_IO.states]: t(S),
    [INFERENCE_IO.actions]: t(A),
    ...(prediction === 'sample' ? { [INFERENCE_IO.noise]: t(S) } : {}),
  };
  for (const f of graph.weightFeeds) feeds[f.name] = new ort.Tensor('float32', f.data, [...f.dims]);
  const fetches = { [INFERENCE_IO.next]: t(S) };
  return async () => {
    await session.run(feeds, fetches);
  };
}

/** Mean microseconds per run over `n` runs. */
async function block(run: () => Promise<void>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await run();
  return ((performance.now() - t0) * 1000) / n;
}

const init = await runner('initializers');
const inputs = await runner('inputs');
await block(init, 200);
await block(inputs, 200);
const a: number[] = [];
const b: number[] = [];
for (let k = 0; k < 8; k++) {
  a.push(await block(init, 500));
  b.push(await block(inputs, 500));
}
const median = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
const fmt = (x: number[]): string => x.map((v) => v.toFixed(0)).join(' ');
process.stdout.write(
  `E ${E} B ${B} S ${S} A ${A} 3x200 ${prediction}, us per run, 8 blocks of 500:\n` +
    `  initializers ${fmt(a)} (median ${median(a).toFixed(0)})\n` +
    `  inputs       ${fmt(b)} (median ${median(b).toFixed(0)})\n` +
    `  inputs / initializers, medians: ${(median(b) / median(a)).toFixed(3)}\n` +
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
);
