import { Rng } from '../../util/rng.js';
import { StriderError } from '../../util/StriderError.js';
import type { HeadingFrame } from './headingFrame.js';

/** The task command a policy can take after the state: vx (m/s), vy (m/s), yaw rate (rad/s). */
export const POLICY_COMMAND = ['vx', 'vy', 'yaw_rate'] as const;

/**
 * Shape of the distilled policy (Nagabandi et al. 2017, sec. V-A: 2 x 64 tanh). Input is the
 * normalised state, then the task's command when it has one (POLICY_COMMAND, commandDim 3);
 * output is an action in [-1, 1] per actuator (tanh), mapped onto the action bounds:
 * a = low + (u + 1) / 2 (high - low).
 */
export interface PolicyArchitecture {
  /** I = S + C, network input width: the state dimension S, then the command's C values. */
  readonly inputDim: number;
  /** C: command values after the state, 0 (none) or 3 (POLICY_COMMAND). Absent: 0. */
  readonly commandDim?: number;
  /** A, commanded actuators. */
  readonly actionDim: number;
  /** Hidden layer widths, e.g. [64, 64]. */
  readonly hiddenSizes: readonly number[];
  /**
   * Where the state's orientation and world-frame velocity sit when every input is turned into
   * the robot's heading frame before normalisation (policy.frame heading; toHeadingFrame).
   * Absent: the state is taken as it is.
   */
  readonly headingFrame?: HeadingFrame;
}

/** One parameter tensor: `w{l}` in x out, `b{l}` 1 x out, row-major. */
export interface PolicyParamSpec {
  readonly name: string;
  readonly shape: readonly [number, number];
}

/** Checks positive integer sizes (CONFIG_INVALID otherwise). */
export function makePolicyArchitecture(a: PolicyArchitecture): PolicyArchitecture {
  const sizes: [string, number][] = [
    ['inputDim', a.inputDim],
    ['actionDim', a.actionDim],
    ...a.hiddenSizes.map((h, i): [string, number] => [`hidden[${i}]`, h]),
  ];
  for (const [name, v] of sizes) {
    if (!Number.isInteger(v) || v < 1) {
      throw new StriderError(
        'CONFIG_INVALID',
        `policy ${name} must be a positive integer, got ${v}`,
      );
    }
  }
  if (a.hiddenSizes.length === 0) {
    throw new StriderError('CONFIG_INVALID', 'policy hidden must name at least one layer');
  }
  const commandDim = a.commandDim ?? 0;
  if (commandDim !== 0 && commandDim !== POLICY_COMMAND.length) {
    throw new StriderError(
      'CONFIG_INVALID',
      `policy commandDim must be 0 or ${POLICY_COMMAND.length}, got ${commandDim}`,
    );
  }
  if (commandDim >= a.inputDim) {
    throw new StriderError(
      'CONFIG_INVALID',
      `policy inputDim ${a.inputDim} leaves no state before the ${commandDim} command values`,
    );
  }
  const f = a.headingFrame;
  if (f !== undefined) {
    const S = a.inputDim - commandDim;
    const fits = (i: number | null, n: number): boolean =>
      i === null || (Number.isInteger(i) && i >= 0 && i + n <= S);
    if (!fits(f.quatW, 4) || !fits(f.linvelX, 3)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `policy heading frame: quat at ${f.quatW} (4 values) and linvel at ${String(f.linvelX)} (3 values) must lie within the ${S} state inputs`,
      );
    }
  }
  return {
    inputDim: a.inputDim,
    ...(commandDim > 0 ? { commandDim } : {}),
    actionDim: a.actionDim,
    hiddenSizes: [...a.hiddenSizes],
    ...(f !== undefined ? { headingFrame: { quatW: f.quatW, linvelX: f.linvelX } } : {}),
  };
}

/** S: the state values of a policy's input (inputDim less the command). */
export function policyStateDim(a: PolicyArchitecture): number {
  return a.inputDim - (a.commandDim ?? 0);
}

/** Parameters in order: for each layer (hidden, then output) w{l} then b{l}. */
export function policyParamSpecs(a: PolicyArchitecture): PolicyParamSpec[] {
  const widths = [a.inputDim, ...a.hiddenSizes, a.actionDim];
  const specs: PolicyParamSpec[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    specs.push({ name: `w${l}`, shape: [widths[l]!, widths[l + 1]!] });
    specs.push({ name: `b${l}`, shape: [1, widths[l + 1]!] });
  }
  return specs;
}

/** Fresh weights: Glorot-uniform (the tanh default), zero biases. Deterministic per seed. */
export function initPolicyWeights(a: PolicyArchitecture, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return policyParamSpecs(a).map((spec) => {
    const [fanIn, fanOut] = spec.shape;
    const data = new Float32Array(fanIn * fanOut);
    if (spec.name.startsWith('w')) {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * limit;
    }
    return data;
  });
}

/**
 * A trained policy as it moves between trainer and controller (plain arrays). Normalisation:
 * x = (input - inputMean) / inputStd, over the whole input (state, then command).
 */
export interface PolicySnapshot {
  /** Increasing per robot, from 1. */
  readonly version: number;
  /** DAgger round whose labelled set it was fitted on (0: behaviour cloning on MPC-only data). */
  readonly round: number;
  readonly architecture: PolicyArchitecture;
  readonly inputMean: Float32Array;
  readonly inputStd: Float32Array;
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  /** In {@link policyParamSpecs} order. */
  readonly weights: readonly Float32Array[];
  /**
   * Mean squared error in [-1, 1] action units on the labelled set it was fitted on (with
   * policy.ensemble, its members' mean: the served policy itself fits their answers).
   */
  readonly imitationLoss: number;
  /** Labelled transitions it was fitted on. */
  readonly labelled: number;
}

/**
 * Returns the first problem of a snapshot: shapes against its architecture, finiteness of
 * weights and normalisers, positive std, low < high. undefined when valid.
 */
export function policySnapshotProblem(
  s: PolicySnapshot,
): { code: 'MODEL_SHAPE_MISMATCH' | 'NON_FINITE'; reason: string } | undefined {
  const a = s.architecture;
  const vectors: [string, Float32Array, number][] = [
    ['inputMean', s.inputMean, a.inputDim],
    ['inputStd', s.inputStd, a.inputDim],
    ['actionLow', s.actionLow, a.actionDim],
    ['actionHigh', s.actionHigh, a.actionDim],
  ];
  for (const [name, v, n] of vectors) {
    if (v.length !== n) {
      return { code: 'MODEL_SHAPE_MISMATCH', reason: `${name}: ${v.length} values, expected ${n}` };
    }
  }
  const specs = policyParamSpecs(a);
  if (s.weights.length !== specs.length) {
    return {
      code: 'MODEL_SHAPE_MISMATCH',
      reason: `weights: ${s.weights.length} tensors, expected ${specs.length}`,
    };
  }
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const w = s.weights[i]!;
    const n = spec.shape[0] * spec.shape[1];
    if (w.length !== n) {
      return {
        code: 'MODEL_SHAPE_MISMATCH',
        reason: `${spec.name}: ${w.length} values, expected ${spec.shape.join('x')}`,
      };
    }
    const bad = firstNonFinite(w);
    if (bad >= 0) return { code: 'NON_FINITE', reason: `${spec.name}[${bad}] is not finite` };
  }
  for (const [name, v] of vectors) {
    const bad = firstNonFinite(v);
    if (bad >= 0) return { code: 'NON_FINITE', reason: `${name}[${bad}] is not finite` };
  }
  for (let i = 0; i < a.inputDim; i++) {
    if (!(s.inputStd[i]! > 0)) {
      return { code: 'NON_FINITE', reason: `inputStd[${i}] is ${s.inputStd[i]}, must be > 0` };
    }
  }
  for (let i = 0; i < a.actionDim; i++) {
    if (!(s.actionLow[i]! < s.actionHigh[i]!)) {
      return {
        code: 'MODEL_SHAPE_MISMATCH',
        reason: `actionLow[${i}] must be below actionHigh[${i}]`,
      };
    }
  }
  return undefined;
}

function firstNonFinite(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return i;
  return -1;
}
