import { paramSpecs, type EnsembleArchitecture } from '../architecture.js';
import type { Normalisers } from '../Normaliser.js';
import { OnnxGraphBuilder } from './OnnxGraphBuilder.js';
import { addLogvarBounds, addMlpForward, addSplitOutput } from './mlpGraph.js';

/** Graph input/output names of the inference model. */
export const INFERENCE_IO = {
  states: 'states',
  actions: 'actions',
  noise: 'noise',
  next: 'next_states',
} as const;

/**
 * What the graph predicts: `mean`, the mean delta (TS-inf over the members only); `sample`, a draw
 * from each member's predicted Gaussian, mean + exp(logvar / 2) * noise with the standard-normal
 * noise (E x B x S) a graph input (PETS: the particles sample the aleatoric distribution). A
 * deterministic model has no variance: `sample` gives its mean (the noise input is still there).
 */
export type InferenceOutput = 'mean' | 'sample';

/**
 * Where the weights and normalisers live: `initializers`, constants of the graph (one session per
 * model version); `inputs`, graph inputs fed on every run (one session per architecture for the
 * life of the process: a new version is new feeds, no new session).
 */
export type WeightPlacement = 'initializers' | 'inputs';

/** A graph built by {@link buildInferenceGraph}. */
export interface InferenceGraph {
  readonly model: Uint8Array;
  /** With placement `inputs`: the feeds that carry this snapshot's weights, by input name. */
  readonly weightFeeds: ReadonlyArray<{
    readonly name: string;
    readonly dims: readonly number[];
    readonly data: Float32Array;
  }>;
}

/**
 * The control-path model: the whole ensemble in one graph, weights and normalisers as
 * initializers.
 *
 * inputs  states E x B x S, actions E x B x A (raw units; B is a dynamic dimension)
 * with `output` 'sample' also noise E x B x S (standard normal)
 * output  next_states E x B x S = s + denormalise(mean delta), or of the sampled delta
 */
export function buildInferenceGraph(
  arch: EnsembleArchitecture,
  normalisers: Normalisers,
  weights: readonly Float32Array[],
  output: InferenceOutput = 'mean',
  placement: WeightPlacement = 'initializers',
): InferenceGraph {
  const E = arch.ensembleSize;
  const S = arch.stateDim;
  const A = arch.actionDim;
  const g = new OnnxGraphBuilder('strider_ensemble_step');
  const weightFeeds: { name: string; dims: readonly number[]; data: Float32Array }[] = [];
  const param = (name: string, dims: readonly number[], data: Float32Array): string => {
    if (placement === 'initializers') return g.initializer(name, dims, data);
    weightFeeds.push({ name, dims, data });
    return g.input(name, dims);
  };
  const states = g.input(INFERENCE_IO.states, [E, 'B', S]);
  const actions = g.input(INFERENCE_IO.actions, [E, 'B', A]);

  const inStdInv = Float32Array.from(normalisers.inputStd, (s) => 1 / s);
  const xRaw = g.op('Concat', [states, actions], { axis: 2 });
  const x = g.op('Mul', [
    g.op('Sub', [xRaw, param('in_mean', [S + A], normalisers.inputMean)]),
    param('in_std_inv', [S + A], inStdInv),
  ]);
  const sample = output === 'sample';
  const noise = sample ? g.input(INFERENCE_IO.noise, [E, 'B', S]) : '';
  const all = paramSpecs(arch);
  // For the mean alone the log-variance head is not needed: keep only the mean columns of the
  // output layer (halves its MatMul) and drop the log-variance bounds.
  const variance = sample && arch.output === 'gaussian';
  const specs = all.filter((s) => s.kind !== 'logvarBound');
  const last = specs.length - 2;
  const params = specs.map((spec, i) => {
    const data = weights[i] ?? new Float32Array(0);
    if (arch.output === 'gaussian' && !variance && i >= last) {
      const [e, rows, cols] = [spec.shape[0] ?? 0, spec.shape[1] ?? 0, spec.shape[2] ?? 0];
      return param(`w_${spec.name}`, [e, rows, S], takeColumns(data, e * rows, cols, S));
    }
    return param(`w_${spec.name}`, spec.shape, data);
  });
  const out = addMlpForward(g, arch, x, params).out;
  let mean = out;
  if (variance) {
    const split = addSplitOutput(g, out, S);
    const bound = (name: string): string => {
      const i = all.findIndex((s) => s.name === name);
      return param(`w_${name}`, all[i]!.shape, weights[i] ?? new Float32Array(0));
    };
    const { logvar } = addLogvarBounds(g, split.raw, bound('maxLogvar'), bound('minLogvar'));
    const std = g.op('Exp', [
      g.op('Mul', [logvar, g.initializer('half', [1], Float32Array.of(0.5))]),
    ]);
    mean = g.op('Add', [split.mean, g.op('Mul', [std, noise])]);
  } else if (sample) {
    // a deterministic model: the noise input is accepted and unused (ORT needs it consumed)
    mean = g.op('Add', [out, g.op('Mul', [noise, g.initializer('zero', [1], Float32Array.of(0))])]);
  }
  const delta = g.op('Add', [
    g.op('Mul', [mean, param('delta_std', [S], normalisers.deltaStd)]),
    param('delta_mean', [S], normalisers.deltaMean),
  ]);
  g.op('Add', [states, delta], {}, INFERENCE_IO.next);
  g.output(INFERENCE_IO.next, [E, 'B', S]);
  return { model: g.toModel(), weightFeeds };
}

/** The first `keep` columns of a rows x cols row-major matrix. */
export function takeColumns(
  data: Float32Array,
  rows: number,
  cols: number,
  keep: number,
): Float32Array {
  const out = new Float32Array(rows * keep);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols, r * cols + keep), r * keep);
  return out;
}
