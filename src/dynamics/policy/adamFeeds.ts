import * as ort from '../onnx/ortRuntime.js';

/** Adam's state for the policy's parameters: values, first and second moments (specs order). */
export interface AdamState {
  readonly p: Float32Array[];
  readonly m: Float32Array[];
  readonly v: Float32Array[];
}

type Specs = readonly { readonly name: string; readonly shape: readonly number[] }[];

/**
 * The feeds of Adam step `t` (1-based) of a graph built with appendAdamStep (src/dynamics/onnx/
 * adamStep.ts; beta1 0.9, beta2 0.999): the step size lr / (1 - 0.9^t), the second-moment
 * correction 1 / (1 - 0.999^t), and p_/m_/v_<name> per parameter, over `state`'s arrays.
 */
export function adamFeeds(
  specs: Specs,
  state: AdamState,
  t: number,
  learningRate: number,
  names: { readonly stepSize: string; readonly secondMomentCorrection: string },
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    [names.stepSize]: new ort.Tensor(
      'float32',
      Float32Array.of(learningRate / (1 - 0.9 ** t)),
      [1],
    ),
    [names.secondMomentCorrection]: new ort.Tensor(
      'float32',
      Float32Array.of(1 / (1 - 0.999 ** t)),
      [1],
    ),
  };
  specs.forEach((s, i) => {
    feeds[`p_${s.name}`] = new ort.Tensor('float32', state.p[i]!, s.shape);
    feeds[`m_${s.name}`] = new ort.Tensor('float32', state.m[i]!, s.shape);
    feeds[`v_${s.name}`] = new ort.Tensor('float32', state.v[i]!, s.shape);
  });
  return feeds;
}

/** Adam's state after a step: the graph's p_/m_/v_<name>_out. */
export function adamOutputs(specs: Specs, out: ort.InferenceSession.OnnxValueMapType): AdamState {
  const take = (prefix: string): Float32Array[] =>
    specs.map((s) => out[`${prefix}_${s.name}_out`]!.data as Float32Array);
  return { p: take('p'), m: take('m'), v: take('v') };
}
