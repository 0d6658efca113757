import * as ort from './onnx/ortRuntime.js';
import { importSnapshot, type EnsembleSnapshot } from './EnsembleSnapshot.js';
import { createEnsembleSession, type EnsembleSessions } from './EnsembleSessions.js';
import { buildInferenceGraph, INFERENCE_IO } from './onnx/buildInferenceGraph.js';
import type { NativeSession } from './onnx/nativeSession.js';
import type { EnsembleStepper } from './types.js';
import { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';

/**
 * What step() predicts: `mean`, each member's mean next state; `sample`, a draw from each
 * member's predicted Gaussian (PETS's TS propagation: particles beyond one per member differ).
 */
export type EnsemblePrediction = 'mean' | 'sample';

/** Options of {@link OnnxEnsemble.create}. */
export interface OnnxEnsembleOptions {
  /** Largest B per member step() accepts; input/output buffers are sized for it. */
  readonly maxBatchPerMember: number;
  /** ORT intra-op threads. Default 2 (the controller machine's cores). */
  readonly intraOpNumThreads?: number;
  /**
   * Let idle intra-op threads spin between runs: lower latency for the planner's back-to-back
   * runs, but a spinning pool takes cores from everything else. Default true (the control path);
   * validation and evaluation sessions pass false.
   */
  readonly spin?: boolean;
  /** Default 'mean'. 'sample' needs a gaussian model to differ from 'mean'. */
  readonly prediction?: EnsemblePrediction;
  /** The noise of 'sample'. Default: a fixed seed. */
  readonly rng?: Rng;
  /**
   * Run on the shared session of these settings, the weights fed as inputs (the controller: one
   * session for every model version), synchronously where onnxruntime-node's binding allows
   * (EnsembleSessions.native: no event-loop turn between the model calls of a plan). Absent: a
   * session of its own with the weights as initializers, run asynchronously, released by close().
   */
  readonly sessions?: EnsembleSessions;
}

interface BatchTensors {
  readonly states: ort.Tensor;
  readonly actions: ort.Tensor;
  readonly next: ort.Tensor;
  readonly noise: ort.Tensor | null;
  readonly feeds: Record<string, ort.Tensor>;
  readonly fetches: Record<string, ort.Tensor>;
}

/**
 * The control-path dynamics model: the whole ensemble as one ONNX graph built in code, run by
 * onnxruntime-node. Either on a session of its own, weights and normalisers as initializers
 * (session creation takes tens of ms: never on a tick), or on a session kept in an
 * {@link EnsembleSessions} for every version of the architecture, this version's weights and
 * normalisers fed as inputs (a run costs a few per cent more: scripts/benchSessionPlacement.ts,
 * figures in docs/daemon.md). step() reuses preallocated buffers, and the ort.Tensor views for a
 * batch size are made on its first use only.
 */
export class OnnxEnsemble implements EnsembleStepper {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  readonly maxBatchPerMember: number;
  readonly #session: ort.InferenceSession;
  /** The same graph run synchronously (shared sessions, where available); else null. */
  readonly #native: NativeSession | null;
  readonly #statesBuf: Float32Array;
  readonly #actionsBuf: Float32Array;
  readonly #nextBuf: Float32Array;
  /** E x maxB x S standard-normal draws; empty when predicting the mean. */
  readonly #noiseBuf: Float32Array;
  readonly #rng: Rng;
  readonly #byBatch = new Map<number, BatchTensors>();
  /**
   * Whether step() runs the native session now (true by default where there is one). Off the
   * tick, work that plans for a while (a new model's warm-up and calibration) turns it off, so the
   * ticks around it still get the event loop between its model calls.
   */
  synchronous: boolean;
  /** The weight feeds (shared session) or none (own session, weights as initializers). */
  readonly #weightFeeds: Readonly<Record<string, ort.Tensor>>;
  readonly #ownsSession: boolean;
  #busy = false;
  #closed = false;

  private constructor(
    snapshot: EnsembleSnapshot,
    session: ort.InferenceSession,
    native: NativeSession | null,
    maxB: number,
    options: OnnxEnsembleOptions,
    weightFeeds: Readonly<Record<string, ort.Tensor>>,
  ) {
    const a = snapshot.architecture;
    this.stateDim = a.stateDim;
    this.actionDim = a.actionDim;
    this.ensembleSize = a.ensembleSize;
    this.maxBatchPerMember = maxB;
    this.#session = session;
    this.#native = native;
    this.synchronous = native !== null;
    this.#weightFeeds = weightFeeds;
    this.#ownsSession = options.sessions === undefined;
    this.#statesBuf = new Float32Array(a.ensembleSize * maxB * a.stateDim);
    this.#actionsBuf = new Float32Array(a.ensembleSize * maxB * a.actionDim);
    this.#nextBuf = new Float32Array(a.ensembleSize * maxB * a.stateDim);
    const sample = options.prediction === 'sample';
    this.#noiseBuf = new Float32Array(sample ? a.ensembleSize * maxB * a.stateDim : 0);
    this.#rng = options.rng ?? new Rng(0x5a3b1e);
  }

  /**
   * Validates the snapshot (MODEL_SHAPE_MISMATCH / NON_FINITE), builds the graph and creates the
   * session. BACKEND_UNAVAILABLE when onnxruntime-node cannot create it.
   */
  static async create(
    snapshot: EnsembleSnapshot,
    options: OnnxEnsembleOptions,
  ): Promise<OnnxEnsemble> {
    const snap = importSnapshot(snapshot);
    const maxB = options.maxBatchPerMember;
    if (!Number.isInteger(maxB) || maxB < 1) {
      throw new StriderError(
        'CONFIG_INVALID',
        `maxBatchPerMember must be a positive integer, got ${maxB}`,
      );
    }
    const prediction = options.prediction ?? 'mean';
    const threads = options.intraOpNumThreads ?? 2;
    const spin = options.spin !== false;
    const shared = options.sessions;
    const graph = buildInferenceGraph(
      snap.architecture,
      snap.normalisers,
      snap.weights,
      prediction,
      shared === undefined ? 'initializers' : 'inputs',
    );
    const key = { architecture: snap.architecture, prediction, intraOpNumThreads: threads, spin };
    const session =
      shared === undefined
        ? await createEnsembleSession(graph.model, threads, spin)
        : await shared.session(key, () => graph.model);
    const native = shared === undefined ? null : shared.native(key, () => graph.model);
    const weightFeeds: Record<string, ort.Tensor> = {};
    for (const f of graph.weightFeeds)
      weightFeeds[f.name] = new ort.Tensor('float32', f.data, [...f.dims]);
    const ens = new OnnxEnsemble(snap, session, native, maxB, options, weightFeeds);
    ens.#tensorsFor(maxB);
    return ens;
  }

  #tensorsFor(B: number): BatchTensors {
    const hit = this.#byBatch.get(B);
    if (hit !== undefined) return hit;
    const E = this.ensembleSize;
    const S = this.stateDim;
    const A = this.actionDim;
    const states = new ort.Tensor('float32', this.#statesBuf.subarray(0, E * B * S), [E, B, S]);
    const actions = new ort.Tensor('float32', this.#actionsBuf.subarray(0, E * B * A), [E, B, A]);
    const next = new ort.Tensor('float32', this.#nextBuf.subarray(0, E * B * S), [E, B, S]);
    const noise =
      this.#noiseBuf.length > 0
        ? new ort.Tensor('float32', this.#noiseBuf.subarray(0, E * B * S), [E, B, S])
        : null;
    const entry: BatchTensors = {
      states,
      actions,
      next,
      noise,
      feeds: {
        ...this.#weightFeeds,
        [INFERENCE_IO.states]: states,
        [INFERENCE_IO.actions]: actions,
        ...(noise !== null ? { [INFERENCE_IO.noise]: noise } : {}),
      },
      fetches: { [INFERENCE_IO.next]: next },
    };
    this.#byBatch.set(B, entry);
    return entry;
  }

  /**
   * See {@link EnsembleStepper.step}. Throws MODEL_SHAPE_MISMATCH on a bad B or short arrays,
   * LOOP_STATE when called while a previous step is still running or after close().
   */
  async step(
    states: Float32Array,
    actions: Float32Array,
    batchPerMember: number,
    out: Float32Array,
  ): Promise<void> {
    if (this.#closed) throw new StriderError('LOOP_STATE', 'OnnxEnsemble.step() after close()');
    if (this.#busy)
      throw new StriderError('LOOP_STATE', 'OnnxEnsemble.step() while a step is running');
    const B = batchPerMember;
    const E = this.ensembleSize;
    const nS = E * B * this.stateDim;
    const nA = E * B * this.actionDim;
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatchPerMember) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `batchPerMember ${B} outside 1..${this.maxBatchPerMember}`,
      );
    }
    if (states.length < nS || actions.length < nA || out.length < nS) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `step() needs states and out >= ${nS} values (E x B x S) and actions >= ${nA} (E x B x A)`,
      );
    }
    const t = this.#tensorsFor(B);
    this.#statesBuf.set(states.length === nS ? states : states.subarray(0, nS));
    this.#actionsBuf.set(actions.length === nA ? actions : actions.subarray(0, nA));
    if (t.noise !== null) {
      const noise = this.#noiseBuf;
      const rng = this.#rng;
      for (let i = 0; i < nS; i++) noise[i] = rng.normal();
    }
    this.#busy = true;
    try {
      if (this.synchronous && this.#native !== null) this.#native.run(t.feeds, t.fetches);
      else await this.#session.run(t.feeds, t.fetches);
    } finally {
      this.#busy = false;
    }
    out.set(this.#nextBuf.subarray(0, nS));
  }

  /** Releases its own session (a shared one stays with its EnsembleSessions). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsSession) await this.#session.release();
  }
}
