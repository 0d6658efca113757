import * as ort from 'onnxruntime-node';
import { StriderError } from '../../util/StriderError.js';
import { buildPolicyInferenceGraph, POLICY_IO } from '../onnx/buildPolicyGraph.js';
import { PolicyForward } from './PolicyForward.js';
import { policySnapshotProblem, policyStateDim, type PolicySnapshot } from './PolicyNetwork.js';

/** How act() computes: the plain-JS forward pass (default), or an ONNX Runtime run. */
export type PolicyActPath = 'js' | 'onnx';

/**
 * The distilled policy on the control path: one ONNX Runtime session per version (made once,
 * off the tick) for batches (actBatch: the gate's check on labelled states) and, with
 * `act: 'onnx'`, single actions over one cached input and output tensor. By default act() runs
 * the same network in plain JavaScript (PolicyForward): a 2 x 64 MLP is a few microseconds,
 * below ONNX Runtime's per-run overhead and its tail (`strider bench` reports both as
 * policy.p99_us and policy.onnx_p99_us).
 */
export class OnnxPolicyNet {
  readonly version: number;
  readonly round: number;
  readonly imitationLoss: number;
  /** I = S + C: what act() takes (the state, then the task's command when the policy has one). */
  readonly inputDim: number;
  /** S and C of the input. */
  readonly stateDim: number;
  readonly commandDim: number;
  readonly actionDim: number;
  readonly snapshot: PolicySnapshot;
  readonly #session: ort.InferenceSession;
  readonly #in: Float32Array;
  readonly #out: Float32Array;
  /** A view of the first action (act()'s answer; made once). */
  readonly #outOne: Float32Array;
  readonly #feeds: Record<string, ort.Tensor>;
  readonly #fetches: Record<string, ort.Tensor>;
  readonly #maxB: number;
  readonly #byBatch = new Map<
    number,
    { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> }
  >();
  /** The plain-JS forward pass act() uses (null: act() runs the session). */
  readonly #js: PolicyForward | null;
  #busy = false;
  #closed = false;

  private constructor(
    snap: PolicySnapshot,
    session: ort.InferenceSession,
    maxB: number,
    path: PolicyActPath,
  ) {
    this.#js = path === 'js' ? new PolicyForward(snap) : null;
    this.snapshot = snap;
    this.version = snap.version;
    this.round = snap.round;
    this.imitationLoss = snap.imitationLoss;
    this.inputDim = snap.architecture.inputDim;
    this.commandDim = snap.architecture.commandDim ?? 0;
    this.stateDim = policyStateDim(snap.architecture);
    this.actionDim = snap.architecture.actionDim;
    this.#session = session;
    this.#maxB = maxB;
    this.#in = new Float32Array(maxB * this.inputDim);
    this.#out = new Float32Array(maxB * this.actionDim);
    const x = new ort.Tensor('float32', this.#in.subarray(0, this.inputDim), [1, this.inputDim]);
    this.#outOne = this.#out.subarray(0, this.actionDim);
    const a = new ort.Tensor('float32', this.#out.subarray(0, this.actionDim), [1, this.actionDim]);
    this.#feeds = { [POLICY_IO.x]: x };
    this.#fetches = { [POLICY_IO.action]: a };
    this.#byBatch.set(1, { feeds: this.#feeds, fetches: this.#fetches });
  }

  /**
   * Validates the snapshot (MODEL_SHAPE_MISMATCH / NON_FINITE naming the tensor), builds the graph
   * and creates the session (one intra-op thread: the policy is tiny). BACKEND_UNAVAILABLE when
   * onnxruntime-node cannot. `maxBatch` bounds actBatch() (evaluation on labelled states);
   * `act` chooses act()'s path (default 'js').
   */
  static async create(
    snap: PolicySnapshot,
    options: { maxBatch?: number; act?: PolicyActPath } = {},
  ): Promise<OnnxPolicyNet> {
    const problem = policySnapshotProblem(snap);
    if (problem !== undefined)
      throw new StriderError(problem.code, `policy v${snap.version}: ${problem.reason}`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(buildPolicyInferenceGraph(snap), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw new StriderError(
        'BACKEND_UNAVAILABLE',
        'onnxruntime-node could not create the policy session',
        {
          cause: err,
        },
      );
    }
    return new OnnxPolicyNet(
      snap,
      session,
      Math.max(1, options.maxBatch ?? 256),
      options.act ?? 'js',
    );
  }

  /**
   * The action for `input` into `out` now, without a promise, where act() runs in plain JS (the
   * default): true when it acted; false on the ONNX path (await act() there). A control tick
   * takes this path, so the policy's answer costs no microtask and allocates nothing.
   */
  actNow(input: Float32Array, out: Float32Array): boolean {
    if (this.#js === null) return false;
    if (this.#closed) throw new StriderError('LOOP_STATE', 'OnnxPolicyNet used after close()');
    this.#js.act(input, out);
    return true;
  }

  /**
   * The action for one raw input (I values: the state, then the command) into `out` (A values).
   * Not re-entrant. The JS path allocates nothing but its promise; the ONNX path nothing but
   * ONNX Runtime's own per-run objects.
   */
  async act(input: Float32Array, out: Float32Array): Promise<void> {
    if (this.actNow(input, out)) return;
    this.#enter();
    for (let k = 0; k < this.inputDim; k++) this.#in[k] = input[k]!;
    try {
      await this.#session.run(this.#feeds, this.#fetches);
    } finally {
      this.#busy = false;
    }
    out.set(this.#outOne);
  }

  /** Actions for B inputs (B x I) into out (B x A), in chunks of at most maxBatch. Off the tick. */
  async actBatch(states: Float32Array, B: number, out: Float32Array): Promise<void> {
    const S = this.inputDim;
    const A = this.actionDim;
    for (let from = 0; from < B; from += this.#maxB) {
      const n = Math.min(this.#maxB, B - from);
      this.#enter();
      this.#in.set(states.subarray(from * S, (from + n) * S));
      try {
        const t = this.#tensors(n);
        await this.#session.run(t.feeds, t.fetches);
      } finally {
        this.#busy = false;
      }
      out.set(this.#out.subarray(0, n * A), from * A);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }

  #enter(): void {
    if (this.#closed) throw new StriderError('LOOP_STATE', 'OnnxPolicyNet used after close()');
    if (this.#busy)
      throw new StriderError('LOOP_STATE', 'OnnxPolicyNet used while a run is in flight');
    this.#busy = true;
  }

  #tensors(B: number): { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> } {
    const hit = this.#byBatch.get(B);
    if (hit !== undefined) return hit;
    const x = new ort.Tensor('float32', this.#in.subarray(0, B * this.inputDim), [
      B,
      this.inputDim,
    ]);
    const a = new ort.Tensor('float32', this.#out.subarray(0, B * this.actionDim), [
      B,
      this.actionDim,
    ]);
    const entry = { feeds: { [POLICY_IO.x]: x }, fetches: { [POLICY_IO.action]: a } };
    this.#byBatch.set(B, entry);
    return entry;
  }
}
