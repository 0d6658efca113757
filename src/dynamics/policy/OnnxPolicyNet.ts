import * as ort from '../onnx/ortRuntime.js';
import { StriderError } from '../../util/StriderError.js';
import { buildPolicyInferenceGraph, POLICY_IO } from '../onnx/buildPolicyGraph.js';
import { createNativeSession, type NativeSession } from '../onnx/nativeSession.js';
import { PolicyForward } from './PolicyForward.js';
import { toHeadingFrame, type HeadingFrame } from './headingFrame.js';
import { policySnapshotProblem, policyStateDim, type PolicySnapshot } from './PolicyNetwork.js';

/**
 * How act() computes: the plain-JS forward pass, ONNX Runtime run synchronously on the calling
 * thread (its native binding, src/dynamics/onnx/nativeSession.ts), or ONNX Runtime's public,
 * asynchronous run (the reference). 'auto' (the default): plain JS up to
 * {@link JS_MAX_MULTIPLY_ADDS}, the synchronous native run above (plain JS where the binding is
 * not there).
 */
export type PolicyActPath = 'js' | 'native' | 'onnx' | 'auto';

/**
 * Multiply-adds per action up to which plain JS answers faster than a native ONNX Runtime run
 * (whose fixed cost per run is a few microseconds, and whose matrix kernels are vectorised).
 * Measured with `npx tsx scripts/benchPolicy.ts` (docs/learning.md, "DAgger on the quadruped").
 */
export const JS_MAX_MULTIPLY_ADDS = 16_384;

/** Multiply-adds of one action through the policy's layers. */
export function policyMultiplyAdds(arch: PolicySnapshot['architecture']): number {
  const sizes = [arch.inputDim, ...arch.hiddenSizes, arch.actionDim];
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1]! * sizes[i]!;
  return n;
}

/**
 * The distilled policy on the control path: one ONNX Runtime session per version (made once,
 * off the tick) for batches (actBatch: the gate's check on labelled states) and, with
 * `act: 'onnx'`, single actions over one cached input and output tensor. By default a small
 * network (the 2 x 64 default: a few microseconds, below ONNX Runtime's per-run overhead) acts in
 * plain JavaScript (PolicyForward), a larger one (the quadruped's 2 x 256) through a second,
 * synchronous native session over its own cached tensors (`strider bench` reports the control
 * path as policy.p99_us and the asynchronous run as policy.onnx_p99_us).
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
  /** The plain-JS forward pass act() uses (null: another path). */
  readonly #js: PolicyForward | null;
  /** The synchronous native session act() uses, over its own input and output (null: another path). */
  readonly #native: {
    readonly session: NativeSession;
    readonly input: Float32Array;
    readonly output: Float32Array;
    readonly feeds: Record<string, ort.Tensor>;
    readonly fetches: Record<string, ort.Tensor>;
  } | null;
  /** policy.frame heading: where the state's orientation and velocity sit (null: taken as it is). */
  readonly #frame: HeadingFrame | null;
  /** One input turned into the heading frame (the JS path's; made once). */
  readonly #turned: Float32Array;
  /** The path act() takes: 'js', 'native' or 'onnx'. */
  readonly actPath: Exclude<PolicyActPath, 'auto'>;
  #busy = false;
  #closed = false;

  private constructor(
    snap: PolicySnapshot,
    session: ort.InferenceSession,
    maxB: number,
    path: Exclude<PolicyActPath, 'auto'>,
    native: NativeSession | null,
  ) {
    this.actPath = path;
    this.#js = path === 'js' ? new PolicyForward(snap) : null;
    const I = snap.architecture.inputDim;
    const A = snap.architecture.actionDim;
    if (native !== null) {
      const input = new Float32Array(I);
      const output = new Float32Array(A);
      this.#native = {
        session: native,
        input,
        output,
        feeds: { [POLICY_IO.x]: new ort.Tensor('float32', input, [1, I]) },
        fetches: { [POLICY_IO.action]: new ort.Tensor('float32', output, [1, A]) },
      };
    } else this.#native = null;
    this.snapshot = snap;
    this.version = snap.version;
    this.round = snap.round;
    this.imitationLoss = snap.imitationLoss;
    this.inputDim = snap.architecture.inputDim;
    this.commandDim = snap.architecture.commandDim ?? 0;
    this.stateDim = policyStateDim(snap.architecture);
    this.actionDim = snap.architecture.actionDim;
    this.#session = session;
    this.#frame = snap.architecture.headingFrame ?? null;
    this.#turned = new Float32Array(this.#frame === null ? 0 : this.inputDim);
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
   * `act` chooses act()'s path (default 'auto'; 'native' falls back to 'js' where the binding
   * is not there).
   */
  static async create(
    snap: PolicySnapshot,
    options: { maxBatch?: number; act?: PolicyActPath } = {},
  ): Promise<OnnxPolicyNet> {
    const problem = policySnapshotProblem(snap);
    if (problem !== undefined)
      throw new StriderError(problem.code, `policy v${snap.version}: ${problem.reason}`);
    const graph = buildPolicyInferenceGraph(snap);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    let session: ort.InferenceSession | null = null;
    let native: NativeSession | null = null;
    const wanted = options.act ?? 'auto';
    let path: Exclude<PolicyActPath, 'auto'> =
      wanted === 'auto'
        ? policyMultiplyAdds(snap.architecture) <= JS_MAX_MULTIPLY_ADDS
          ? 'js'
          : 'native'
        : wanted;
    try {
      session = await ort.InferenceSession.create(graph, sessionOptions);
      if (path === 'native') {
        native = createNativeSession(graph, sessionOptions);
        if (native === null) path = 'js';
      }
    } catch (err) {
      await session?.release().catch(() => undefined);
      throw new StriderError(
        'BACKEND_UNAVAILABLE',
        'onnxruntime-node could not create the policy session',
        {
          cause: err,
        },
      );
    }
    return new OnnxPolicyNet(snap, session, Math.max(1, options.maxBatch ?? 256), path, native);
  }

  /**
   * The action for `input` into `out` now, without a promise, where act() runs in plain JS or
   * the native session: true when it acted; false on the asynchronous ONNX path (await act()
   * there). A control tick takes this path, so the policy's answer costs no microtask; the JS
   * path allocates nothing, the native one nothing but ONNX Runtime's own per-run objects.
   */
  actNow(input: Float32Array, out: Float32Array): boolean {
    if (this.#js === null && this.#native === null) return false;
    if (this.#closed) throw new StriderError('LOOP_STATE', 'OnnxPolicyNet used after close()');
    if (this.#js !== null) {
      if (this.#frame === null) this.#js.act(input, out);
      else {
        for (let k = 0; k < this.#turned.length; k++) this.#turned[k] = input[k]!;
        toHeadingFrame(this.#frame, this.#turned);
        this.#js.act(this.#turned, out);
      }
      return true;
    }
    const n = this.#native!;
    for (let k = 0; k < n.input.length; k++) n.input[k] = input[k]!;
    if (this.#frame !== null) toHeadingFrame(this.#frame, n.input);
    n.session.run(n.feeds, n.fetches);
    out.set(n.output);
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
    if (this.#frame !== null) toHeadingFrame(this.#frame, this.#in);
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
      if (this.#frame !== null)
        for (let r = 0; r < n; r++) toHeadingFrame(this.#frame, this.#in, r * S);
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
    this.#native?.session.dispose();
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
