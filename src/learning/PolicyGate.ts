/**
 * The controller's acceptance of a distilled policy payload (the policy topic's receiver): the
 * artifact checks (header, manifest, checksum, shapes, finiteness), the input layout (a command
 * input the task cannot feed, or a state-only policy on a task with a command: it would ignore
 * the target; a heading frame at other places than this state's quaternion and velocity: all
 * MODEL_SHAPE_MISMATCH), an ONNX Runtime session, then the imitation error on
 * recent expert-labelled states against the serving policy's. A rejected payload leaves the
 * serving policy in place and comes back with its code and reason.
 */

import type { HeadingFrame } from '../dynamics/policy/headingFrame.js';
import { OnnxPolicyNet } from '../dynamics/policy/OnnxPolicyNet.js';
import { decodePolicyArtifact } from '../transport/PolicyArtifactCodec.js';
import { isStriderError } from '../util/StriderError.js';

export interface PolicyGateOptions {
  readonly stateDim: number;
  /** C: the command values the controller feeds after the state (0: the task has none). */
  readonly commandDim?: number;
  readonly actionDim: number;
  /**
   * Where this robot's state has base.quat and base.linvel (headingFrameOf its layout; null:
   * no quaternion): a policy that turns its input into the heading frame must name the same.
   */
  readonly headingFrame?: HeadingFrame | null;
  /** Accept when candidate error <= serving error x (1 + margin) (+1e-6 for exact ties). */
  readonly margin: number;
  /** Recent labelled states kept for the check. */
  readonly capacity: number;
}

/** A rejection's code: a decode/load failure code, or 'imitation_worse' (the comparison). */
export type PolicyDecision =
  | { readonly accepted: true; readonly policy: OnnxPolicyNet; readonly imitationError: number }
  | { readonly accepted: false; readonly code: string; readonly reason: string };

export class PolicyGate {
  readonly #o: PolicyGateOptions;
  /** I = S + C: one held input. */
  readonly #inputDim: number;
  readonly #states: Float32Array;
  readonly #labels: Float32Array;
  #count = 0;
  #head = 0;
  #serving: OnnxPolicyNet | null = null;

  constructor(options: PolicyGateOptions) {
    this.#o = options;
    this.#inputDim = options.stateDim + (options.commandDim ?? 0);
    this.#states = new Float32Array(options.capacity * this.#inputDim);
    this.#labels = new Float32Array(options.capacity * options.actionDim);
  }

  get serving(): OnnxPolicyNet | null {
    return this.#serving;
  }

  /**
   * Keeps a labelled state with the task's command when it has one (copied; called from the
   * transition stream, O(S + C + A)).
   */
  observe(state: Float32Array, expert: Float32Array, command?: ArrayLike<number>): void {
    const { stateDim: S, actionDim: A, capacity } = this.#o;
    const I = this.#inputDim;
    const row = this.#head;
    for (let k = 0; k < S; k++) this.#states[row * I + k] = state[k]!;
    for (let k = S; k < I; k++) this.#states[row * I + k] = command?.[k - S] ?? 0;
    this.#labels.set(expert.subarray(0, A), this.#head * A);
    this.#head = (this.#head + 1) % capacity;
    this.#count = Math.min(this.#count + 1, capacity);
  }

  /**
   * Mean squared error of `net` against the expert on the labelled states held (NaN if none, or
   * if the net's input is not this gate's layout: state, then the command when the task has one).
   */
  async imitationError(net: OnnxPolicyNet): Promise<number> {
    const N = this.#count;
    if (N === 0 || net.inputDim !== this.#inputDim) return Number.NaN;
    const A = this.#o.actionDim;
    const out = new Float32Array(N * A);
    // consider() admits only policies whose input is this layout: state (++ command)
    await net.actBatch(this.#states, N, out);
    let sum = 0;
    for (let i = 0; i < N * A; i++) sum += (out[i]! - this.#labels[i]!) ** 2;
    return sum / (N * A);
  }

  /**
   * Decodes, checks and compares a payload. On acceptance the candidate becomes the serving
   * policy (the caller hands it to DaggerPolicy.setLearner and closes the replaced one).
   */
  async consider(payload: Uint8Array): Promise<PolicyDecision> {
    const decoded = decodePolicyArtifact(payload, {
      stateDim: this.#o.stateDim,
      actionDim: this.#o.actionDim,
      commandDim: this.#o.commandDim ?? 0,
      ...(this.#o.headingFrame !== undefined ? { headingFrame: this.#o.headingFrame } : {}),
    });
    if (!decoded.ok) return { accepted: false, code: decoded.code, reason: decoded.reason };
    const snap = decoded.value;
    const C = this.#o.commandDim ?? 0;
    if (C > 0 && (snap.architecture.commandDim ?? 0) === 0) {
      return {
        accepted: false,
        code: 'MODEL_SHAPE_MISMATCH',
        reason: `input_layout: the policy takes the state only, this task has a ${C}-value command (vx, vy, yaw_rate) it would ignore`,
      };
    }
    if (this.#serving !== null && snap.version <= this.#serving.version) {
      return {
        accepted: false,
        code: 'PAYLOAD_INVALID',
        reason: `version ${snap.version} is not newer than the serving ${this.#serving.version}`,
      };
    }
    let net: OnnxPolicyNet;
    try {
      net = await OnnxPolicyNet.create(snap, { maxBatch: 256 });
    } catch (err) {
      if (!isStriderError(err)) throw err;
      return { accepted: false, code: err.code, reason: err.message };
    }
    const error = await this.imitationError(net);
    if (this.#serving !== null && Number.isFinite(error)) {
      const serving = await this.imitationError(this.#serving);
      if (error > serving * (1 + this.#o.margin) + 1e-6) {
        await net.close();
        return {
          accepted: false,
          code: 'imitation_worse',
          reason: `imitation error ${error.toPrecision(3)} on ${this.#count} recent labelled states exceeds the serving policy's ${serving.toPrecision(3)} by more than ${this.#o.margin * 100}%`,
        };
      }
    }
    this.#serving = net;
    return { accepted: true, policy: net, imitationError: error };
  }
}
