import type { HeadingFrame } from '../dynamics/policy/headingFrame.js';
import { OnnxPolicyNet } from '../dynamics/policy/OnnxPolicyNet.js';
import { initPolicyWeights, makePolicyArchitecture } from '../dynamics/policy/PolicyNetwork.js';
import { Rng } from '../util/rng.js';

/** Inference latency of the distilled policy (one state in, one action out), microseconds. */
export interface PolicyFigures {
  readonly hidden: readonly number[];
  readonly calls: number;
  /** The control path act() took: plain JS for a small policy, the native session for a large one. */
  readonly path: 'js' | 'native' | 'onnx';
  /** The control path's act() (synchronous: actNow). */
  readonly p50_us: number;
  readonly p99_us: number;
  readonly max_us: number;
  /** The same calls through one ONNX Runtime run each (the reference path). */
  readonly onnx_p50_us: number;
  readonly onnx_p99_us: number;
  readonly onnx_max_us: number;
}

/**
 * Times `calls` single-state act() calls of a freshly initialised policy of the given shape (after
 * 200 warm-up calls), as the controller makes them: the control path (plain JS, PolicyForward, or
 * for a large policy ONNX Runtime's native session run synchronously) and, for reference, one
 * asynchronous ONNX Runtime run per call over cached tensors.
 */
export async function benchPolicy(o: {
  stateDim: number;
  actionDim: number;
  hidden: readonly number[];
  calls: number;
  /** policy.frame heading: each input is turned into the heading frame first, as on the tick. */
  headingFrame?: HeadingFrame;
}): Promise<PolicyFigures> {
  const arch = makePolicyArchitecture({
    inputDim: o.stateDim,
    actionDim: o.actionDim,
    hiddenSizes: o.hidden,
    ...(o.headingFrame !== undefined ? { headingFrame: o.headingFrame } : {}),
  });
  const snap = {
    version: 1,
    round: 0,
    architecture: arch,
    inputMean: new Float32Array(o.stateDim),
    inputStd: new Float32Array(o.stateDim).fill(1),
    actionLow: new Float32Array(o.actionDim).fill(-1),
    actionHigh: new Float32Array(o.actionDim).fill(1),
    weights: initPolicyWeights(arch, 1),
    imitationLoss: Number.NaN,
    labelled: 0,
  };
  const controlPath = await OnnxPolicyNet.create(snap);
  const path = controlPath.actPath;
  const js = await timeCalls(controlPath, o);
  const onnx = await timeCalls(await OnnxPolicyNet.create(snap, { act: 'onnx' }), o);
  return {
    hidden: [...o.hidden],
    calls: o.calls,
    path,
    ...js,
    onnx_p50_us: onnx.p50_us,
    onnx_p99_us: onnx.p99_us,
    onnx_max_us: onnx.max_us,
  };
}

async function timeCalls(
  net: OnnxPolicyNet,
  o: { stateDim: number; actionDim: number; calls: number },
): Promise<{ p50_us: number; p99_us: number; max_us: number }> {
  const rng = new Rng(3);
  const state = new Float32Array(o.stateDim);
  const action = new Float32Array(o.actionDim);
  const us = new Float64Array(o.calls);
  try {
    // as the controller calls it: synchronously where the net can (the JS path), else awaited
    for (let i = 0; i < 200; i++) if (!net.actNow(state, action)) await net.act(state, action);
    for (let i = 0; i < o.calls; i++) {
      for (let k = 0; k < o.stateDim; k++) state[k] = rng.normal();
      const t0 = performance.now();
      if (!net.actNow(state, action)) await net.act(state, action);
      us[i] = (performance.now() - t0) * 1000;
    }
  } finally {
    await net.close();
  }
  us.sort();
  const at = (q: number): number =>
    Math.round(us[Math.min(o.calls - 1, Math.floor(q * o.calls))]! * 10) / 10;
  return { p50_us: at(0.5), p99_us: at(0.99), max_us: at(1) };
}
