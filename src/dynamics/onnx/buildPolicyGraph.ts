import {
  policyParamSpecs,
  type PolicyArchitecture,
  type PolicySnapshot,
} from '../policy/PolicyNetwork.js';
import { appendAdamStep } from './adamStep.js';
import { OnnxGraphBuilder } from './OnnxGraphBuilder.js';

/** Graph input/output names of the policy graphs. */
export const POLICY_IO = {
  /** B x S raw states (inference) or B x I normalised inputs (training). */
  x: 'x',
  /** B x A actions in command units (inference). */
  action: 'action',
  /** B x A targets in [-1, 1] (training). */
  y: 'y',
  /** [1]: 1 / (B * A). */
  scale: 'scale',
  /** [1]: lr / (1 - beta1^t). */
  stepSize: 'step_size',
  /** [1]: 1 / (1 - beta2^t). */
  secondMomentCorrection: 'v_corr',
  /** Scalar: mean squared error on the batch before the update. */
  loss: 'loss',
  /** B x I normalised inputs of the states each row's transition led to (temporal term). */
  xNext: 'x_next',
  /** [1]: 2 lambda / (B * A), the temporal term's gradient factor. */
  smooth: 'smooth',
} as const;

/** Adam constants baked into the training graph. */
export interface PolicyAdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** tanh MLP forward: returns the layer inputs h[l] (h[0] = x) and the squashed output. */
function addForward(
  g: OnnxGraphBuilder,
  layers: number,
  x: string,
  params: readonly string[],
): { h: string[]; out: string } {
  const h: string[] = [x];
  let cur = x;
  for (let l = 0; l < layers; l++) {
    cur = g.op('Tanh', [g.op('Add', [g.op('MatMul', [cur, params[2 * l]!]), params[2 * l + 1]!])]);
    if (l < layers - 1) h.push(cur);
  }
  return { h, out: cur };
}

/**
 * The control-path policy: normalisation, the MLP (weights as initializers) and the mapping of
 * tanh's [-1, 1] onto the action bounds, in one graph. x B x S raw state -> action B x A.
 */
export function buildPolicyInferenceGraph(snap: PolicySnapshot): Uint8Array {
  const a = snap.architecture;
  const g = new OnnxGraphBuilder('strider_policy');
  const x = g.input(POLICY_IO.x, ['B', a.inputDim]);
  const stdInv = Float32Array.from(snap.inputStd, (s) => 1 / s);
  const xn = g.op('Mul', [
    g.op('Sub', [x, g.initializer('in_mean', [a.inputDim], snap.inputMean)]),
    g.initializer('in_std_inv', [a.inputDim], stdInv),
  ]);
  const specs = policyParamSpecs(a);
  const params = specs.map((s, i) => g.initializer(`w_${s.name}`, s.shape, snap.weights[i]!));
  const u = addForward(g, specs.length / 2, xn, params).out;
  const half = Float32Array.from(snap.actionHigh, (h, i) => (h - snap.actionLow[i]!) / 2);
  const mid = Float32Array.from(snap.actionHigh, (h, i) => (h + snap.actionLow[i]!) / 2);
  g.op(
    'Add',
    [
      g.op('Mul', [u, g.initializer('half_range', [a.actionDim], half)]),
      g.initializer('mid', [a.actionDim], mid),
    ],
    {},
    POLICY_IO.action,
  );
  g.output(POLICY_IO.action, ['B', a.actionDim]);
  return g.toModel();
}

/**
 * One Adam step of behaviour cloning: forward, MSE against targets in [-1, 1], hand-derived
 * backward, update. Parameters and moments are graph inputs `p_/m_/v_<name>`, new values outputs
 * `<..>_out`, as the ensemble's training graph.
 *
 * Backward (N = B * A): u = tanh(z_L), dL/du = 2 (u - y) / N, dz_L = dL/du (1 - u^2);
 * per layer dW = h^T dz, db = sum_b dz, dh = dz W^T, dz_{l-1} = dh (1 - h^2).
 * With `temporal` (policy.temporal_smoothness): inputs x_next (B x I) and smooth, and the
 * gradient of lambda mean ||u - u(x_next)||^2 added (the loss output stays the cloning MSE).
 */
export function buildPolicyTrainingGraph(
  a: PolicyArchitecture,
  adam: PolicyAdamOptions,
  options: { readonly temporal?: boolean } = {},
): Uint8Array {
  const g = new OnnxGraphBuilder('strider_policy_adam');
  const specs = policyParamSpecs(a);
  const layers = specs.length / 2;
  const x = g.input(POLICY_IO.x, ['B', a.inputDim]);
  const y = g.input(POLICY_IO.y, ['B', a.actionDim]);
  const scale = g.input(POLICY_IO.scale, [1]);
  const p = specs.map((s) => g.input(`p_${s.name}`, s.shape));
  const fwd = addForward(g, layers, x, p);
  const d = g.op('Sub', [fwd.out, y]);
  g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: [0, 1], keepdims: 0 }, POLICY_IO.loss);
  g.output(POLICY_IO.loss, []);
  const one = g.scalar(1);
  const tanhDeriv = (v: string): string => g.op('Sub', [one, g.op('Mul', [v, v])]);
  const dOut = g.op('Mul', [d, g.op('Mul', [scale, g.scalar(2)])]);
  let grads: string[];
  if (options.temporal === true) {
    // CAPS's temporal term lambda * mean ||u - u'||^2, u' the policy at the next state (a second
    // pass, same weights): its gradient 2 lambda (u - u') / (B A) on u, the negative on u'
    const next = addForward(g, layers, g.input(POLICY_IO.xNext, ['B', a.inputDim]), p);
    const pull = g.op('Mul', [g.op('Sub', [fwd.out, next.out]), g.input(POLICY_IO.smooth, [1])]);
    const own = addBackward(g, fwd, p, g.op('Add', [dOut, pull]), tanhDeriv);
    const nextGrads = addBackward(g, next, p, g.op('Neg', [pull]), tanhDeriv);
    grads = own.map((gr, i) => g.op('Add', [gr, nextGrads[i]!]));
  } else {
    grads = addBackward(g, fwd, p, dOut, tanhDeriv);
  }
  appendAdamStep(g, specs, p, grads, adam, POLICY_IO);
  return g.toModel();
}

/**
 * The parameter gradients of one forward pass given dL/du (B x A): dz_L = dL/du (1 - u^2); per
 * layer dW = h^T dz, db = sum_b dz, dh = dz W^T, dz_{l-1} = dh (1 - h^2).
 */
function addBackward(
  g: OnnxGraphBuilder,
  fwd: { h: string[]; out: string },
  p: readonly string[],
  dOut: string,
  tanhDeriv: (v: string) => string,
): string[] {
  const layers = p.length / 2;
  let dz = g.op('Mul', [dOut, tanhDeriv(fwd.out)]);
  const grads: string[] = new Array<string>(p.length).fill('');
  const axis0 = g.ints([0]);
  for (let l = layers - 1; l >= 0; l--) {
    const hPrev = fwd.h[l]!;
    grads[2 * l] = g.op('MatMul', [g.op('Transpose', [hPrev], { perm: [1, 0] }), dz]);
    grads[2 * l + 1] = g.op('ReduceSum', [dz, axis0], { keepdims: 1 });
    if (l === 0) break;
    const dh = g.op('MatMul', [dz, g.op('Transpose', [p[2 * l]!], { perm: [1, 0] })]);
    dz = g.op('Mul', [dh, tanhDeriv(hPrev)]);
  }
  return grads;
}
