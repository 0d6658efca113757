import { paramSpecs, type EnsembleArchitecture } from '../architecture.js';
import type { OnnxGraphBuilder } from './OnnxGraphBuilder.js';

/** Names of the values the forward pass produced, kept for the hand-derived backward pass. */
export interface ForwardValues {
  /** Layer inputs: h[0] = x, h[l] = act(z[l-1]). */
  readonly h: readonly string[];
  /** Hidden pre-activations z[l] = h[l] W_l + b_l (hidden layers only). */
  readonly z: readonly string[];
  /** sigmoid(z[l]) for swish, kept for the derivative; empty for relu. */
  readonly sig: readonly string[];
  /** Output layer result, E x B x outDim. */
  readonly out: string;
}

/**
 * Adds the ensemble MLP forward pass to `g`: x (E x B x in) -> hidden layers -> output, with
 * batched MatMul [E,B,in] x [E,in,out] so the whole ensemble is one node per layer.
 * `params` are value names in {@link paramSpecs} order (initializers or graph inputs).
 */
export function addMlpForward(
  g: OnnxGraphBuilder,
  arch: EnsembleArchitecture,
  x: string,
  params: readonly string[],
): ForwardValues {
  const nLayers = arch.hiddenSizes.length + 1;
  const h: string[] = [x];
  const z: string[] = [];
  const sig: string[] = [];
  let cur = x;
  for (let l = 0; l < nLayers; l++) {
    const w = params[2 * l] ?? '';
    const b = params[2 * l + 1] ?? '';
    const pre = g.op('Add', [g.op('MatMul', [cur, w]), b]);
    if (l === nLayers - 1) {
      cur = pre;
      break;
    }
    z.push(pre);
    if (arch.activation === 'swish') {
      const s = g.op('Sigmoid', [pre]);
      sig.push(s);
      cur = g.op('Mul', [pre, s]);
    } else {
      cur = g.op('Relu', [pre]);
    }
    h.push(cur);
  }
  return { h, z, sig, out: cur };
}

/**
 * dL/dz of hidden layer l from dL/dh = `dh`, h = act(z): swish' = s (1 + z (1 - s)) with the
 * forward pass's sigmoid s, or relu's mask.
 */
export function addActivationBackward(
  g: OnnxGraphBuilder,
  arch: EnsembleArchitecture,
  fwd: ForwardValues,
  l: number,
  dh: string,
): string {
  const z = fwd.z[l] ?? '';
  if (arch.activation === 'swish') {
    const s = fwd.sig[l] ?? '';
    const one = g.scalar(1);
    const deriv = g.op('Mul', [s, g.op('Add', [one, g.op('Mul', [z, g.op('Sub', [one, s])])])]);
    return g.op('Mul', [dh, deriv]);
  }
  const zero = g.scalar(0);
  return g.op('Where', [g.op('Greater', [z, zero]), dh, zero]);
}

/**
 * Adds the PETS soft log-variance bounds: lv = maxlv - softplus(maxlv - raw);
 * lv = minlv + softplus(lv - minlv). Returns the intermediate names the backward pass needs.
 */
export function addLogvarBounds(
  g: OnnxGraphBuilder,
  raw: string,
  maxLogvar: string,
  minLogvar: string,
): { readonly logvar: string; readonly a1: string; readonly a2: string } {
  const a1 = g.op('Sub', [maxLogvar, raw]);
  const lv1 = g.op('Sub', [maxLogvar, g.op('Softplus', [a1])]);
  const a2 = g.op('Sub', [lv1, minLogvar]);
  const logvar = g.op('Add', [minLogvar, g.op('Softplus', [a2])]);
  return { logvar, a1, a2 };
}

/** Splits the output layer E x B x 2S into mean and raw log-variance (E x B x S each). */
export function addSplitOutput(
  g: OnnxGraphBuilder,
  out: string,
  stateDim: number,
): { readonly mean: string; readonly raw: string } {
  const mean = g.fresh('mean');
  const raw = g.fresh('raw');
  g.node('Split', [out, g.ints([stateDim, stateDim])], [mean, raw], { axis: 2 });
  return { mean, raw };
}

/** Param names for graph inputs: p_<name>. */
export function paramInputNames(arch: EnsembleArchitecture): string[] {
  return paramSpecs(arch).map((s) => `p_${s.name}`);
}
