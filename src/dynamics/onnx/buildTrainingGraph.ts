import { paramSpecs, inputDim, type EnsembleArchitecture } from '../architecture.js';
import { appendAdamStep } from './adamStep.js';
import { OnnxGraphBuilder } from './OnnxGraphBuilder.js';
import {
  addActivationBackward,
  addLogvarBounds,
  addMlpForward,
  addSplitOutput,
  paramInputNames,
} from './mlpGraph.js';

/**
 * What the training graph computes:
 * - adam: one Adam step (forward, hand-derived backward, update) -> new params and moments;
 * - gradients: forward and backward only -> gradients (used to test against tfjs autodiff);
 * - forward: normalised mean (and log-variance) predictions, for validation.
 */
export type TrainingGraphMode = 'adam' | 'gradients' | 'forward';

/** Loss and optimiser constants baked into the training graph. */
export interface TrainingGraphOptions {
  readonly mode: TrainingGraphMode;
  /** Coefficient of sum(maxLogvar) - sum(minLogvar) in the loss (PETS: 0.01). */
  readonly logvarBoundPenalty: number;
  /** Coupled L2 on weights (not biases): loss += weightDecay / 2 * sum(W^2). */
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * Graph input/output names. Per parameter p (see {@link paramSpecs}): input `p_<name>`, and for
 * adam inputs `m_<name>`, `v_<name>`, outputs `p_<name>_out`, `m_<name>_out`, `v_<name>_out`;
 * for gradients outputs `g_<name>`.
 */
export const TRAIN_IO = {
  /** E x B x (S + A), normalised inputs. */
  x: 'x',
  /** E x B x S, normalised target deltas. */
  y: 'y',
  /** [1]: 1 / (B * S), the mean's scale (B is dynamic). */
  scale: 'scale',
  /** [1]: lr / (1 - beta1^t). */
  stepSize: 'step_size',
  /** [1]: 1 / (1 - beta2^t). */
  secondMomentCorrection: 'v_corr',
  /** E: per-member mean loss (NLL or MSE, without penalties) on the batch. */
  loss: 'loss',
  /** E x B x S, normalised mean prediction (forward mode). */
  mean: 'mean_out',
  /** E x B x S, bounded log-variance (forward mode, gaussian). */
  logvar: 'logvar_out',
} as const;

/**
 * Builds the training-step graph for the stacked ensemble. Parameters are graph inputs (not
 * initializers) so one session serves every step; the caller double-buffers parameter and moment
 * arrays between runs.
 *
 * Backward pass (per member, N = B * S; gaussian):
 *   d = mu - y, inv = exp(-lv), per-element loss = d^2 inv + lv (PETS NLL up to constants)
 *   dL/dmu = 2 d inv / N, dL/dlv = (1 - d^2 inv) / N
 *   lv = minlv + softplus(a2), a2 = lv1 - minlv, lv1 = maxlv - softplus(a1), a1 = maxlv - raw
 *   dL/dlv1 = dL/dlv sigmoid(a2), dL/draw = dL/dlv1 sigmoid(a1)
 *   dL/dminlv = sum_b dL/dlv (1 - sigmoid(a2)) - c, dL/dmaxlv = sum_b dL/dlv1 (1 - sigmoid(a1)) + c
 * then through the MLP: dW = h^T dz, db = sum_b dz, dh = dz W^T, dz = dh act'(z).
 */
export function buildTrainingGraph(
  arch: EnsembleArchitecture,
  options: TrainingGraphOptions,
): Uint8Array {
  const E = arch.ensembleSize;
  const S = arch.stateDim;
  const g = new OnnxGraphBuilder(`strider_ensemble_${options.mode}`);
  const specs = paramSpecs(arch);
  const pNames = paramInputNames(arch);
  const x = g.input(TRAIN_IO.x, [E, 'B', inputDim(arch)]);
  specs.forEach((spec, i) => g.input(pNames[i] ?? '', spec.shape));
  const nLayers = arch.hiddenSizes.length + 1;
  const fwd = addMlpForward(g, arch, x, pNames);
  const gaussian = arch.output === 'gaussian';
  const maxLv = pNames[2 * nLayers] ?? '';
  const minLv = pNames[2 * nLayers + 1] ?? '';

  if (options.mode === 'forward') {
    if (gaussian) {
      const { mean, raw } = addSplitOutput(g, fwd.out, S);
      g.op('Identity', [mean], {}, TRAIN_IO.mean);
      g.op('Identity', [addLogvarBounds(g, raw, maxLv, minLv).logvar], {}, TRAIN_IO.logvar);
      g.output(TRAIN_IO.logvar, [E, 'B', S]);
    } else {
      g.op('Identity', [fwd.out], {}, TRAIN_IO.mean);
    }
    g.output(TRAIN_IO.mean, [E, 'B', S]);
    return g.toModel();
  }

  const y = g.input(TRAIN_IO.y, [E, 'B', S]);
  const scale = g.input(TRAIN_IO.scale, [1]);
  // opset 17: ReduceMean takes axes as an attribute, ReduceSum as an input.
  const axisB = g.ints([1]);
  const grads: string[] = new Array<string>(specs.length).fill('');

  // Loss and the gradient w.r.t. the output layer's result.
  let dOut: string;
  if (gaussian) {
    const { mean, raw } = addSplitOutput(g, fwd.out, S);
    const { logvar, a1, a2 } = addLogvarBounds(g, raw, maxLv, minLv);
    const d = g.op('Sub', [mean, y]);
    const inv = g.op('Exp', [g.op('Neg', [logvar])]);
    const dInv = g.op('Mul', [d, inv]);
    const d2Inv = g.op('Mul', [dInv, d]);
    const perElem = g.op('Add', [d2Inv, logvar]);
    g.op('ReduceMean', [perElem], { axes: [1, 2], keepdims: 0 }, TRAIN_IO.loss);
    const gMu = g.op('Mul', [dInv, g.op('Mul', [scale, g.scalar(2)])]);
    const gLv = g.op('Mul', [g.op('Sub', [g.scalar(1), d2Inv]), scale]);
    const gLv1 = g.op('Mul', [gLv, g.op('Sigmoid', [a2])]);
    const gRaw = g.op('Mul', [gLv1, g.op('Sigmoid', [a1])]);
    const c = g.scalar(options.logvarBoundPenalty);
    grads[2 * nLayers + 1] = g.op('Sub', [
      g.op('ReduceSum', [g.op('Sub', [gLv, gLv1]), axisB], { keepdims: 1 }),
      c,
    ]);
    grads[2 * nLayers] = g.op('Add', [
      g.op('ReduceSum', [g.op('Sub', [gLv1, gRaw]), axisB], { keepdims: 1 }),
      c,
    ]);
    dOut = g.op('Concat', [gMu, gRaw], { axis: 2 });
  } else {
    const d = g.op('Sub', [fwd.out, y]);
    g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: [1, 2], keepdims: 0 }, TRAIN_IO.loss);
    dOut = g.op('Mul', [d, g.op('Mul', [scale, g.scalar(2)])]);
  }
  g.output(TRAIN_IO.loss, [E]);

  // Back through the layers.
  let dz = dOut;
  for (let l = nLayers - 1; l >= 0; l--) {
    const w = pNames[2 * l] ?? '';
    const hPrev = fwd.h[l] ?? '';
    let gW = g.op('MatMul', [g.op('Transpose', [hPrev], { perm: [0, 2, 1] }), dz]);
    if (options.weightDecay > 0) {
      gW = g.op('Add', [gW, g.op('Mul', [w, g.scalar(options.weightDecay)])]);
    }
    grads[2 * l] = gW;
    grads[2 * l + 1] = g.op('ReduceSum', [dz, axisB], { keepdims: 1 });
    if (l === 0) break;
    const dh = g.op('MatMul', [dz, g.op('Transpose', [w], { perm: [0, 2, 1] })]);
    dz = addActivationBackward(g, arch, fwd, l - 1, dh);
  }

  if (options.mode === 'gradients') {
    specs.forEach((spec, i) => {
      g.op('Identity', [grads[i] ?? ''], {}, `g_${spec.name}`);
      g.output(`g_${spec.name}`, spec.shape);
    });
    return g.toModel();
  }

  // Adam (as tfjs / Kingma & Ba): m' = b1 m + (1-b1) g; v' = b2 v + (1-b2) g^2;
  // p' = p - lr/(1-b1^t) * m' / (sqrt(v'/(1-b2^t)) + eps).
  appendAdamStep(g, specs, pNames, grads, options, TRAIN_IO);
  return g.toModel();
}
