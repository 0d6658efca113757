import * as ort from '../onnx/ortRuntime.js';
import { adamFeeds, adamOutputs } from './adamFeeds.js';
import { Rng } from '../../util/rng.js';
import { StriderError } from '../../util/StriderError.js';
import { buildPolicyTrainingGraph, POLICY_IO } from '../onnx/buildPolicyGraph.js';
import { initPolicyWeights, policyParamSpecs, type PolicyArchitecture } from './PolicyNetwork.js';

/** Optimiser settings of a behaviour-cloning fit. */
export interface PolicyFitOptions {
  readonly learningRate: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /**
   * Gaussian noise of this standard deviation added to the first `inputNoiseColumns` inputs of
   * every minibatch row (normalised units; drawn afresh each time a row is used): the fitted
   * policy answers alike to nearby states, so its gain on fast-moving inputs stays low (CAPS's
   * spatial smoothness, Mysore et al. 2021). 0 or absent: none.
   */
  readonly inputNoise?: number;
  /** The inputs the noise goes on (the state's; the command after them stays exact). */
  readonly inputNoiseColumns?: number;
  /**
   * lambda of CAPS's temporal term (Mysore et al. 2021): lambda x mean ||pi(s) - pi(s')||^2 over
   * each minibatch, s' the state the row's transition led to (fit()'s `xNext`): the policy
   * answers alike on consecutive ticks (s' enters without input noise). Needs a fitter created
   * with `temporal`. 0 or absent: none.
   */
  readonly temporalSmoothness?: number;
  /** Stops the fit between batches once aborted, throwing the signal's reason (shutdown). */
  readonly signal?: AbortSignal;
}

/**
 * Behaviour cloning on an ONNX forward+backward+Adam graph built in code (the dynamics trainer's
 * approach): minibatch MSE between the policy's squashed output and the expert's action, both in
 * [-1, 1] units. Warm-starts from the previous weights (DAgger refits policy i on all labels).
 * Runs in the trainer, never on a tick.
 */
export class PolicyFitter {
  readonly architecture: PolicyArchitecture;
  readonly #session: ort.InferenceSession;
  #p: Float32Array[];
  #m: Float32Array[];
  #v: Float32Array[];
  #t = 0;
  readonly #rng: Rng;
  /** The graph takes x_next and the temporal term (create()'s `temporal`). */
  readonly temporal: boolean;

  private constructor(
    arch: PolicyArchitecture,
    session: ort.InferenceSession,
    seed: number,
    temporal: boolean,
  ) {
    this.architecture = arch;
    this.temporal = temporal;
    this.#session = session;
    this.#p = initPolicyWeights(arch, seed);
    this.#m = this.#p.map((w) => new Float32Array(w.length));
    this.#v = this.#p.map((w) => new Float32Array(w.length));
    this.#rng = new Rng(seed ^ 0x9e3779b9);
  }

  /** `temporal`: a graph with CAPS's temporal term (fit() then takes the next states). */
  static async create(
    arch: PolicyArchitecture,
    seed: number,
    temporal = false,
  ): Promise<PolicyFitter> {
    try {
      const session = await ort.InferenceSession.create(
        buildPolicyTrainingGraph(arch, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, { temporal }),
        { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 },
      );
      return new PolicyFitter(arch, session, seed, temporal);
    } catch (err) {
      throw new StriderError(
        'BACKEND_UNAVAILABLE',
        'onnxruntime-node could not create the policy training session',
        {
          cause: err,
        },
      );
    }
  }

  /** Copies of the current weights. */
  getWeights(): Float32Array[] {
    return this.#p.map((w) => w.slice());
  }

  /** Replaces the weights (copies; the same shapes), keeping Adam's moments: the next fit warm-starts there. */
  setWeights(weights: readonly Float32Array[]): void {
    if (
      weights.length !== this.#p.length ||
      weights.some((w, i) => w.length !== this.#p[i]!.length)
    ) {
      throw new StriderError('MODEL_SHAPE_MISMATCH', 'policy weights of another architecture');
    }
    this.#p = weights.map((w) => w.slice());
  }

  /**
   * Fits on N rows: x N x I (normalised inputs), y N x A (targets in [-1, 1]), and for a temporal
   * fitter xNext N x I (the normalised inputs of the states the rows led to). Returns the mean
   * batch loss of the last epoch (on the noised inputs where `o.inputNoise` > 0: the reported
   * imitation loss then includes what the noise costs). Aborted through `o.signal`, the weights are part-way: the caller
   * discards the fit (the trainer is shutting down).
   */
  async fit(
    x: Float32Array,
    y: Float32Array,
    N: number,
    o: PolicyFitOptions,
    xNext?: Float32Array,
  ): Promise<number> {
    const I = this.architecture.inputDim;
    if (this.temporal && (xNext === undefined || xNext.length < N * I)) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `temporal fit: xNext needs ${N} x ${I} values`,
      );
    }
    const A = this.architecture.actionDim;
    const B = Math.min(o.batchSize, N);
    if (B < 1) return Number.NaN;
    const order = Array.from({ length: N }, (_, i) => i);
    const xb = new Float32Array(B * I);
    const yb = new Float32Array(B * A);
    const xt = new ort.Tensor('float32', xb, [B, I]);
    const yt = new ort.Tensor('float32', yb, [B, A]);
    const scale = new ort.Tensor('float32', Float32Array.of(1 / (B * A)), [1]);
    const next = this.temporal ? xNext : undefined;
    const xb2 = new Float32Array(next !== undefined ? B * I : 0);
    const extra =
      next !== undefined
        ? {
            [POLICY_IO.xNext]: new ort.Tensor('float32', xb2, [B, I]),
            [POLICY_IO.smooth]: new ort.Tensor(
              'float32',
              Float32Array.of((2 * (o.temporalSmoothness ?? 0)) / (B * A)),
              [1],
            ),
          }
        : {};
    const noise = o.inputNoise ?? 0;
    const noisy = Math.min(o.inputNoiseColumns ?? I, I);
    let last = Number.NaN;
    for (let e = 0; e < o.epochs; e++) {
      for (let i = N - 1; i > 0; i--) {
        const j = Math.floor(this.#rng.next() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      let sum = 0;
      let batches = 0;
      for (let start = 0; start + B <= N; start += B) {
        for (let r = 0; r < B; r++) {
          const row = order[start + r]!;
          xb.set(x.subarray(row * I, row * I + I), r * I);
          yb.set(y.subarray(row * A, row * A + A), r * A);
          if (next !== undefined) xb2.set(next.subarray(row * I, row * I + I), r * I);
          if (noise > 0)
            for (let k = 0; k < noisy; k++) xb[r * I + k]! += noise * this.#rng.normal();
        }
        o.signal?.throwIfAborted();
        sum += await this.#step(xt, yt, scale, o.learningRate, extra);
        batches++;
      }
      last = sum / batches;
    }
    return last;
  }

  async close(): Promise<void> {
    await this.#session.release();
  }

  async #step(
    x: ort.Tensor,
    y: ort.Tensor,
    scale: ort.Tensor,
    lr: number,
    extra: Record<string, ort.Tensor>,
  ): Promise<number> {
    this.#t++;
    const specs = policyParamSpecs(this.architecture);
    const out = await this.#session.run({
      ...extra,
      [POLICY_IO.x]: x,
      [POLICY_IO.y]: y,
      [POLICY_IO.scale]: scale,
      ...adamFeeds(specs, { p: this.#p, m: this.#m, v: this.#v }, this.#t, lr, POLICY_IO),
    });
    ({ p: this.#p, m: this.#m, v: this.#v } = adamOutputs(specs, out));
    return (out[POLICY_IO.loss]!.data as Float32Array)[0]!;
  }
}
