import { paramSpecs } from '../architecture.js';
import type { EnsembleSnapshot } from '../EnsembleSnapshot.js';
import { policyParamSpecs, type PolicyArchitecture } from '../policy/PolicyNetwork.js';
import { appendAdamStep, type AdamConstants } from './adamStep.js';
import { OnnxGraphBuilder } from './OnnxGraphBuilder.js';
import { takeColumns } from './buildInferenceGraph.js';
import { addActivationBackward, addMlpForward } from './mlpGraph.js';
import { rewardGraph, type DifferentiableReward } from './rewardGraph.js';

export type { DifferentiableReward } from './rewardGraph.js';

/** Graph input/output names of the policy-return graph. */
export const POLICY_RETURN_IO = {
  /** B1 x I normalised inputs of the behaviour-cloning minibatch. */
  x: 'x',
  /** B1 x A expert actions in [-1, 1]. */
  y: 'y',
  /** [1]: 1 / (B1 * A), the cloning term's mean. */
  bcScale: 'bc_scale',
  /**
   * E x B2 x I raw start rows of the model rollouts (one batch per ensemble member): the state,
   * then the task's command when the policy takes one.
   */
  starts: 'starts',
  /** [1]: return weight / (E * B2 * H): the return term's mean per step, weighted. */
  returnScale: 'return_scale',
  /** [1]: lr / (1 - beta1^t) (adam mode). */
  stepSize: 'step_size',
  /** [1]: 1 / (1 - beta2^t) (adam mode). */
  secondMomentCorrection: 'v_corr',
  /** Scalar: cloning MSE - returnScale * (sum of predicted rewards), before the update. */
  loss: 'loss',
  /** Scalar: the sum of predicted rewards over all rollouts and steps, before the update. */
  returnSum: 'return_sum',
} as const;

/** What the graph is built around: the policy's shape and input statistics, the model, the reward. */
export interface PolicyReturnSetup {
  readonly policy: PolicyArchitecture;
  /** I: the policy's input normalisation (its snapshot's). */
  readonly inputMean: Float32Array;
  readonly inputStd: Float32Array;
  /** A: the bounds tanh's [-1, 1] maps onto. */
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  /** The dynamics ensemble the rollouts step through (its mean prediction, TS-inf per member). */
  readonly model: EnsembleSnapshot;
  readonly reward: DifferentiableReward;
  /** H, rollout steps. */
  readonly horizon: number;
}

/**
 * One step of the policy's fit on behaviour cloning plus the model's predicted return (a
 * value-gradient step through the learned dynamics: Deisenroth & Rasmussen's PILCO, Heess et al.'s
 * SVG, Hafner et al.'s Dreamer back-propagate the same way).
 *
 * Loss = bcScale * sum (pi(x) - y)^2 - returnScale * sum_{e,b,t} r(s_t, a_t, s_{t+1}), with
 * a_t = pi(s_t, command) and s_{t+1} = s_t + denorm(mu_e(norm(s_t, a_t))), member e rolling its
 * own batch of starts for H steps (each start's command held). The model and reward are
 * constants; only the policy moves. The reward and its partials are rewardGraph's.
 *
 * Backward through time, by hand: with R_t = -returnScale dr_{t-1}/ds_t (step t-1's own reward),
 * D_H = R_H; for t = H-1..0 the model's input gradient (dz W^T per layer, swish' or relu'
 * between) splits into ds and da; da gains -returnScale (dr_t/da_t + dr_{t+1}/da_t, the action
 * rate's) and goes through the policy (tanh) to its weights and its input (its state columns);
 * D_t = R_t + D_{t+1} + ds(model) + ds(policy).
 *
 * Modes: `gradients` outputs g_<name> per policy parameter (tests), `adam` applies one Adam step
 * (the outputs of appendAdamStep). Both output loss and return_sum.
 */
export function buildPolicyReturnGraph(
  setup: PolicyReturnSetup,
  mode: 'gradients' | 'adam',
  adam: AdamConstants = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
): Uint8Array {
  const a = setup.policy;
  const m = setup.model;
  const ma = m.architecture;
  const S = ma.stateDim;
  const A = a.actionDim;
  const E = ma.ensembleSize;
  const H = setup.horizon;
  const g = new OnnxGraphBuilder(`strider_policy_return_${mode}`);
  const IO = POLICY_RETURN_IO;
  const x = g.input(IO.x, ['B1', a.inputDim]);
  const y = g.input(IO.y, ['B1', A]);
  const bcScale = g.input(IO.bcScale, [1]);
  const I = a.inputDim;
  const starts = g.input(IO.starts, [E, 'B2', I]);
  const returnScale = g.input(IO.returnScale, [1]);
  const specs = policyParamSpecs(a);
  const p = specs.map((s) => g.input(`p_${s.name}`, s.shape));
  const layers = specs.length / 2;
  const pT = p.filter((_, i) => i % 2 === 0).map((w) => g.op('Transpose', [w], { perm: [1, 0] }));
  const one = g.scalar(1);
  const tanhDeriv = (v: string): string => g.op('Sub', [one, g.op('Mul', [v, v])]);
  const flat = (v: string, width: number): string => g.op('Reshape', [v, g.ints([-1, width])]);

  // the policy: forward keeps every layer's input and output (tanh throughout)
  const policyForward = (input: string): string[] => {
    const h = [input];
    for (let l = 0; l < layers; l++) {
      h.push(g.op('Tanh', [g.op('Add', [g.op('MatMul', [h[l]!, p[2 * l]!]), p[2 * l + 1]!])]));
    }
    return h;
  };
  const grads: string[][] = specs.map(() => []);
  /** Back from dL/du through the policy; adds to grads; returns dL/d(normalised input). */
  const policyBackward = (h: string[], gU: string): string => {
    let dz = g.op('Mul', [gU, tanhDeriv(h[layers]!)]);
    for (let l = layers - 1; ; l--) {
      const width = l === layers - 1 ? A : a.hiddenSizes[l]!;
      const inWidth = l === 0 ? a.inputDim : a.hiddenSizes[l - 1]!;
      const dz2 = flat(dz, width);
      const h2 = flat(h[l]!, inWidth);
      grads[2 * l]!.push(g.op('MatMul', [g.op('Transpose', [h2], { perm: [1, 0] }), dz2]));
      grads[2 * l + 1]!.push(g.op('ReduceSum', [dz2, g.ints([0])], { keepdims: 1 }));
      const dh = g.op('MatMul', [dz, pT[l]!]);
      if (l === 0) return dh;
      dz = g.op('Mul', [dh, tanhDeriv(h[l]!)]);
    }
  };

  // behaviour cloning on the minibatch
  const hBc = policyForward(x);
  const d = g.op('Sub', [hBc[layers]!, y]);
  const scalarOf = (v: string): string => g.op('ReduceSum', [v], { keepdims: 0 });
  const bcLoss = g.op('Mul', [
    g.op('ReduceSum', [g.op('Mul', [d, d])], { keepdims: 0 }),
    scalarOf(bcScale),
  ]);
  policyBackward(hBc, g.op('Mul', [d, g.op('Mul', [bcScale, g.scalar(2)])]));

  // constants: the policy's normalisation and action mapping, the model, the reward
  const c = (name: string, dims: readonly number[], data: Float32Array): string =>
    g.initializer(name, dims, data);
  const pMean = c('policy_in_mean', [a.inputDim], setup.inputMean);
  const pStdInv = c(
    'policy_in_std_inv',
    [a.inputDim],
    Float32Array.from(setup.inputStd, (s) => 1 / s),
  );
  const half = c(
    'half_range',
    [A],
    Float32Array.from(setup.actionHigh, (h, i) => (h - setup.actionLow[i]!) / 2),
  );
  const mid = c(
    'mid',
    [A],
    Float32Array.from(setup.actionHigh, (h, i) => (h + setup.actionLow[i]!) / 2),
  );
  const n = m.normalisers;
  const mMean = c('model_in_mean', [S + A], n.inputMean);
  const mStdInv = c(
    'model_in_std_inv',
    [S + A],
    Float32Array.from(n.inputStd, (s) => 1 / s),
  );
  const dStd = c('delta_std', [S], n.deltaStd);
  const dMean = c('delta_mean', [S], n.deltaMean);
  const mw = modelMeanWeights(m);
  const mp = mw.map((t, i) => c(`model_${i}`, t.dims, t.data));
  const mT = mw
    .filter((_, i) => i % 2 === 0)
    .map((t, i) => c(`model_t${i}`, [t.dims[0], t.dims[2], t.dims[1]], transposeLast(t)));
  const nModel = ma.hiddenSizes.length + 1;
  const reward = rewardGraph(g, setup.reward, S);
  const negScale = g.op('Neg', [returnScale]);
  const C = I - S;
  /** Columns [from, to) of an E x B2 x W tensor. */
  const columns = (v: string, from: number, to: number): string =>
    g.op('Slice', [v, g.ints([from]), g.ints([to]), g.ints([2])]);
  const command = C > 0 ? columns(starts, S, I) : null;

  // the rollouts (the command, when the policy takes one, stays that of the start)
  const steps: {
    h: string[];
    act: string;
    fwd: ReturnType<typeof addMlpForward>;
    r: ReturnType<typeof reward>;
  }[] = [];
  let s = C > 0 ? columns(starts, 0, S) : starts;
  let rewardSum = '';
  for (let t = 0; t < H; t++) {
    const input = command === null ? s : g.op('Concat', [s, command], { axis: 2 });
    const h = policyForward(g.op('Mul', [g.op('Sub', [input, pMean]), pStdInv]));
    const act = g.op('Add', [g.op('Mul', [h[layers]!, half]), mid]);
    const xm = g.op('Mul', [g.op('Sub', [g.op('Concat', [s, act], { axis: 2 }), mMean]), mStdInv]);
    const fwd = addMlpForward(g, ma, xm, mp);
    const next = g.op('Add', [s, g.op('Add', [g.op('Mul', [fwd.out, dStd]), dMean])]);
    const r = reward(next, act, t > 0 ? steps[t - 1]!.act : null, command);
    rewardSum = t === 0 ? r.sum : g.op('Add', [rewardSum, r.sum]);
    steps.push({ h, act, fwd, r });
    s = next;
  }
  g.op('Identity', [rewardSum], {}, IO.returnSum);
  g.output(IO.returnSum, []);
  g.op('Sub', [bcLoss, g.op('Mul', [rewardSum, scalarOf(returnScale)])], {}, IO.loss);
  g.output(IO.loss, []);

  // back through time: the loss is -returnScale x reward, so each reward partial enters x negScale
  let D = g.op('Mul', [steps[H - 1]!.r.dNext, negScale]); // D_H, E x B2 x S
  for (let t = H - 1; t >= 0; t--) {
    const st = steps[t]!;
    let dz = g.op('Mul', [D, dStd]);
    let gX = '';
    for (let l = nModel - 1; l >= 0; l--) {
      const dh = g.op('MatMul', [dz, mT[l]!]);
      if (l === 0) {
        gX = g.op('Mul', [dh, mStdInv]);
        break;
      }
      dz = addActivationBackward(g, ma, st.fwd, l - 1, dh);
    }
    const gSm = g.fresh('g_s_model');
    const gAm = g.fresh('g_a_model');
    g.node('Split', [gX, g.ints([S, A])], [gSm, gAm], { axis: 2 });
    const later = steps[t + 1]?.r.dPrev ?? null;
    const dr = later === null ? st.r.dAct : g.op('Add', [st.r.dAct, later]);
    const gA = g.op('Add', [gAm, g.op('Mul', [dr, negScale])]);
    const gIn = policyBackward(st.h, g.op('Mul', [gA, half]));
    if (t === 0) break;
    let gSp = g.op('Mul', [gIn, pStdInv]);
    if (C > 0) gSp = columns(gSp, 0, S);
    const own = g.op('Mul', [steps[t - 1]!.r.dNext, negScale]);
    D = g.op('Add', [g.op('Add', [g.op('Add', [D, gSm]), gSp]), own]);
  }

  const total = grads.map((list) => list.reduce((acc, v) => g.op('Add', [acc, v])));
  if (mode === 'gradients') {
    specs.forEach((spec, i) => {
      g.op('Identity', [total[i]!], {}, `g_${spec.name}`);
      g.output(`g_${spec.name}`, spec.shape);
    });
    return g.toModel();
  }
  appendAdamStep(g, specs, p, total, adam, IO);
  return g.toModel();
}

/** A tensor of the model: E x rows x cols. */
interface ModelTensor {
  readonly dims: readonly [number, number, number];
  readonly data: Float32Array;
}

/** The model's weights in layer order with the output layer cut to its S mean columns. */
function modelMeanWeights(m: EnsembleSnapshot): ModelTensor[] {
  const a = m.architecture;
  const S = a.stateDim;
  const specs = paramSpecs(a);
  const out: ModelTensor[] = [];
  const layerSpecs = specs.filter((s) => s.kind !== 'logvarBound');
  const last = layerSpecs.length - 2;
  layerSpecs.forEach((spec, i) => {
    const data = m.weights[specs.indexOf(spec)]!;
    const [e, rows, cols] = [spec.shape[0]!, spec.shape[1]!, spec.shape[2]!];
    if (a.output === 'gaussian' && i >= last) {
      out.push({ dims: [e, rows, S], data: takeColumns(data, e * rows, cols, S) });
    } else {
      out.push({ dims: [e, rows, cols], data });
    }
  });
  return out;
}

/** E x rows x cols -> E x cols x rows. */
function transposeLast(t: ModelTensor): Float32Array {
  const [e, rows, cols] = t.dims;
  const out = new Float32Array(t.data.length);
  for (let k = 0; k < e; k++)
    for (let r = 0; r < rows; r++)
      for (let q = 0; q < cols; q++)
        out[k * rows * cols + q * rows + r] = t.data[k * rows * cols + r * cols + q]!;
  return out;
}
