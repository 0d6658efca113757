import * as ort from '../onnx/ortRuntime.js';
import { Rng } from '../../util/rng.js';
import { StriderError } from '../../util/StriderError.js';
import {
  buildPolicyReturnGraph,
  POLICY_RETURN_IO,
  type PolicyReturnSetup,
} from '../onnx/buildPolicyReturnGraph.js';
import { adamFeeds, adamOutputs, type AdamState } from './adamFeeds.js';
import { policyParamSpecs } from './PolicyNetwork.js';

/** Settings of one return phase (policy.return_* in the config). */
export interface PolicyReturnOptions {
  /** Weight of the predicted return per step against the cloning MSE. */
  readonly weight: number;
  /** Adam steps. */
  readonly steps: number;
  /** B2: start states per ensemble member and step. */
  readonly starts: number;
  readonly learningRate: number;
  /** B1: cloning rows per step. */
  readonly batchSize: number;
  readonly seed: number;
  readonly signal?: AbortSignal;
}

/** The data of a phase: the cloning set (normalised) and the raw states the rollouts start from. */
export interface PolicyReturnData {
  /** N x I normalised inputs. */
  readonly x: Float32Array;
  /** N x A targets in [-1, 1]. */
  readonly y: Float32Array;
  /** N x I raw inputs (the same rows as x, before normalisation: state, then command). */
  readonly states: Float32Array;
  readonly count: number;
}

/** What a phase did: the model's predicted reward per step under the policy, before and after. */
export interface PolicyReturnResult {
  readonly weights: Float32Array[];
  readonly rewardPerStepBefore: number;
  readonly rewardPerStepAfter: number;
  readonly steps: number;
}

/**
 * Sharpens a behaviour-cloned policy on the dynamics model's predicted return: Adam steps on
 * cloning MSE - weight x (mean predicted reward per step over H-step rollouts through the
 * ensemble), the gradient taken through the model (buildPolicyReturnGraph). The cloning term
 * keeps the policy near the expert, whose states the model knows; the return term moves it where
 * the model predicts more reward than the expert's averaged label gets. One session per phase
 * (the model and the policy's normalisation are constants of its graph). Runs in the trainer,
 * never on a tick.
 */
export class PolicyReturnFitter {
  readonly #setup: PolicyReturnSetup;
  readonly #session: ort.InferenceSession;

  private constructor(setup: PolicyReturnSetup, session: ort.InferenceSession) {
    this.#setup = setup;
    this.#session = session;
  }

  static async create(setup: PolicyReturnSetup): Promise<PolicyReturnFitter> {
    const a = setup.policy;
    const C = a.commandDim ?? 0;
    if (a.inputDim !== setup.model.architecture.stateDim + C) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `policy.return_weight needs a policy that takes the model's state (then the command): ` +
          `policy input ${a.inputDim}, model state ${setup.model.architecture.stateDim}, command ${C}`,
      );
    }
    if (C > 0 && setup.reward.tracking === undefined) {
      throw new StriderError(
        'CONFIG_INVALID',
        'policy.return_weight: the policy takes a command but the reward tracks none',
      );
    }
    if (a.actionDim !== setup.model.architecture.actionDim) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `policy actions ${a.actionDim}, model actions ${setup.model.architecture.actionDim}`,
      );
    }
    try {
      const session = await ort.InferenceSession.create(buildPolicyReturnGraph(setup, 'adam'), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      });
      return new PolicyReturnFitter(setup, session);
    } catch (err) {
      throw new StriderError(
        'BACKEND_UNAVAILABLE',
        'onnxruntime-node could not create the policy return session',
        { cause: err },
      );
    }
  }

  /**
   * `o.steps` Adam steps from `weights` (not modified). Returns the new weights; when a step
   * makes the return or a weight non-finite (a rollout diverged), the weights before that step
   * and the steps taken until then.
   */
  async improve(
    weights: readonly Float32Array[],
    data: PolicyReturnData,
    o: PolicyReturnOptions,
  ): Promise<PolicyReturnResult> {
    const a = this.#setup.policy;
    const I = a.inputDim;
    const A = a.actionDim;
    const E = this.#setup.model.architecture.ensembleSize;
    const H = this.#setup.horizon;
    const N = data.count;
    const B1 = Math.min(o.batchSize, N);
    const B2 = o.starts;
    const specs = policyParamSpecs(a);
    const rng = new Rng(o.seed ^ 0x5eed);
    const xb = new Float32Array(B1 * I);
    const yb = new Float32Array(B1 * A);
    const sb = new Float32Array(E * B2 * I);
    const fixed: Record<string, ort.Tensor> = {
      [POLICY_RETURN_IO.x]: new ort.Tensor('float32', xb, [B1, I]),
      [POLICY_RETURN_IO.y]: new ort.Tensor('float32', yb, [B1, A]),
      [POLICY_RETURN_IO.starts]: new ort.Tensor('float32', sb, [E, B2, I]),
      [POLICY_RETURN_IO.bcScale]: new ort.Tensor('float32', Float32Array.of(1 / (B1 * A)), [1]),
      [POLICY_RETURN_IO.returnScale]: new ort.Tensor(
        'float32',
        Float32Array.of(o.weight / (E * B2 * H)),
        [1],
      ),
    };
    let state: AdamState = {
      p: weights.map((w) => w.slice()),
      m: weights.map((w) => new Float32Array(w.length)),
      v: weights.map((w) => new Float32Array(w.length)),
    };
    const perStep = 1 / (E * B2 * H);
    let before = Number.NaN;
    let after = Number.NaN;
    for (let t = 1; t <= o.steps; t++) {
      o.signal?.throwIfAborted();
      for (let r = 0; r < B1; r++) {
        const row = Math.floor(rng.next() * N);
        xb.set(data.x.subarray(row * I, row * I + I), r * I);
        yb.set(data.y.subarray(row * A, row * A + A), r * A);
      }
      for (let r = 0; r < E * B2; r++) {
        const row = Math.floor(rng.next() * N);
        sb.set(data.states.subarray(row * I, row * I + I), r * I);
      }
      const out = await this.#session.run({
        ...fixed,
        ...adamFeeds(specs, state, t, o.learningRate, POLICY_RETURN_IO),
      });
      const ret = (out[POLICY_RETURN_IO.returnSum]!.data as Float32Array)[0]! * perStep;
      const next = adamOutputs(specs, out);
      if (!Number.isFinite(ret) || next.p.some((w) => w.some((x) => !Number.isFinite(x)))) {
        // a rollout left the model's range: stop at the last finite weights
        return {
          weights: state.p,
          rewardPerStepBefore: before,
          rewardPerStepAfter: after,
          steps: t - 1,
        };
      }
      if (t === 1) before = ret;
      after = ret;
      state = next;
    }
    return {
      weights: state.p,
      rewardPerStepBefore: before,
      rewardPerStepAfter: after,
      steps: o.steps,
    };
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}
