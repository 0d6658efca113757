import * as ort from './onnx/ortRuntime.js';
import { inputDim, paramSpecs, shapeSize, type EnsembleArchitecture } from './architecture.js';
import { buildTrainingGraph, TRAIN_IO } from './onnx/buildTrainingGraph.js';
import {
  DEFAULT_OPTIMISER,
  type OptimiserOptions,
  type TrainingBackend,
} from './TrainingBackend.js';
import { StriderError } from '../util/StriderError.js';

/** Options of {@link OnnxTrainingBackend.create}. */
export interface OnnxTrainingBackendOptions {
  readonly architecture: EnsembleArchitecture;
  readonly initialWeights: readonly Float32Array[];
  /** Largest B per member any call will use; buffers are sized for it. */
  readonly maxBatchPerMember: number;
  readonly optimiser?: Partial<OptimiserOptions>;
  /** ORT intra-op threads. Default 2. */
  readonly intraOpNumThreads?: number;
}

interface BatchTensors {
  readonly x: ort.Tensor;
  readonly y: ort.Tensor;
  readonly mean: ort.Tensor;
  readonly logvar: ort.Tensor | null;
}

/**
 * Trains the stacked ensemble with onnxruntime-node: one graph per step computes the forward
 * pass, the hand-derived backward pass (see buildTrainingGraph) and the Adam update for all E
 * members at once ([E,B,in] x [E,in,out] MatMuls). Parameters and moments are double-buffered
 * Float32Arrays wrapped once in ort.Tensors: step k reads set k%2 and writes set 1-k%2 through
 * preallocated fetches, so a step allocates no parameter-sized memory in JavaScript.
 */
export class OnnxTrainingBackend implements TrainingBackend {
  readonly kind = 'onnx' as const;
  readonly engine = 'onnxruntime-node cpu';
  readonly architecture: EnsembleArchitecture;
  readonly #optimiser: OptimiserOptions;
  readonly #adam: ort.InferenceSession;
  readonly #forward: ort.InferenceSession;
  #gradSession: ort.InferenceSession | null = null;
  readonly #sessionOptions: ort.InferenceSession.SessionOptions;
  readonly #names: readonly string[];
  readonly #shapes: readonly (readonly number[])[];
  /** [set][param] parameter, first and second moment buffers and their tensors. */
  readonly #p: Float32Array[][];
  readonly #m: Float32Array[][];
  readonly #v: Float32Array[][];
  readonly #pT: ort.Tensor[][];
  readonly #mT: ort.Tensor[][];
  readonly #vT: ort.Tensor[][];
  #cur = 0;
  #t = 0;
  readonly #xBuf: Float32Array;
  readonly #yBuf: Float32Array;
  readonly #meanBuf: Float32Array;
  readonly #logvarBuf: Float32Array;
  readonly #lossBuf: Float32Array;
  readonly #lossT: ort.Tensor;
  readonly #scaleBuf = new Float32Array(1);
  readonly #stepSizeBuf = new Float32Array(1);
  readonly #vCorrBuf = new Float32Array(1);
  readonly #scaleT: ort.Tensor;
  readonly #stepSizeT: ort.Tensor;
  readonly #vCorrT: ort.Tensor;
  readonly #maxB: number;
  readonly #batchCache = new Map<number, BatchTensors>();
  #disposed = false;

  private constructor(
    options: OnnxTrainingBackendOptions,
    optimiser: OptimiserOptions,
    adam: ort.InferenceSession,
    forward: ort.InferenceSession,
    sessionOptions: ort.InferenceSession.SessionOptions,
  ) {
    const arch = options.architecture;
    this.architecture = arch;
    this.#optimiser = optimiser;
    this.#adam = adam;
    this.#forward = forward;
    this.#sessionOptions = sessionOptions;
    const specs = paramSpecs(arch);
    this.#names = specs.map((s) => s.name);
    this.#shapes = specs.map((s) => s.shape);
    const alloc = (): Float32Array[][] =>
      [0, 1].map(() => specs.map((s) => new Float32Array(shapeSize(s.shape))));
    this.#p = alloc();
    this.#m = alloc();
    this.#v = alloc();
    const wrap = (bufs: Float32Array[][]): ort.Tensor[][] =>
      bufs.map((set) =>
        set.map((b, i) => new ort.Tensor('float32', b, [...(this.#shapes[i] ?? [])])),
      );
    this.#pT = wrap(this.#p);
    this.#mT = wrap(this.#m);
    this.#vT = wrap(this.#v);
    this.setWeights(options.initialWeights);
    const E = arch.ensembleSize;
    const S = arch.stateDim;
    this.#maxB = options.maxBatchPerMember;
    this.#xBuf = new Float32Array(E * this.#maxB * inputDim(arch));
    this.#yBuf = new Float32Array(E * this.#maxB * S);
    this.#meanBuf = new Float32Array(E * this.#maxB * S);
    this.#logvarBuf = new Float32Array(E * this.#maxB * S);
    this.#lossBuf = new Float32Array(E);
    this.#lossT = new ort.Tensor('float32', this.#lossBuf, [E]);
    this.#scaleT = new ort.Tensor('float32', this.#scaleBuf, [1]);
    this.#stepSizeT = new ort.Tensor('float32', this.#stepSizeBuf, [1]);
    this.#vCorrT = new ort.Tensor('float32', this.#vCorrBuf, [1]);
  }

  /** Builds the graphs and creates the sessions (slow: call at trainer start, not per step). */
  static async create(options: OnnxTrainingBackendOptions): Promise<OnnxTrainingBackend> {
    const optimiser = { ...DEFAULT_OPTIMISER, ...options.optimiser };
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.intraOpNumThreads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Idle trainer threads must not spin: they share the cores with the controller's ticks.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    const graphOptions = { ...optimiser, mode: 'adam' as const };
    try {
      const adam = await ort.InferenceSession.create(
        buildTrainingGraph(options.architecture, graphOptions),
        sessionOptions,
      );
      const forward = await ort.InferenceSession.create(
        buildTrainingGraph(options.architecture, { ...graphOptions, mode: 'forward' }),
        sessionOptions,
      );
      return new OnnxTrainingBackend(options, optimiser, adam, forward, sessionOptions);
    } catch (err) {
      throw new StriderError(
        'BACKEND_UNAVAILABLE',
        'onnxruntime-node could not create the training session',
        {
          cause: err,
        },
      );
    }
  }

  getWeights(): Float32Array[] {
    return (this.#p[this.#cur] ?? []).map((b) => b.slice());
  }

  setWeights(weights: readonly Float32Array[]): void {
    const set = this.#p[this.#cur] ?? [];
    if (weights.length !== set.length) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `expected ${set.length} parameter arrays, got ${weights.length}`,
      );
    }
    set.forEach((buf, i) => {
      const w = weights[i];
      if (w?.length !== buf.length) {
        throw new StriderError(
          'MODEL_SHAPE_MISMATCH',
          `parameter ${this.#names[i] ?? i} has ${w?.length ?? 0} values, expected ${buf.length}`,
        );
      }
      buf.set(w);
    });
  }

  resetOptimizer(): void {
    for (const set of [...this.#m, ...this.#v]) for (const b of set) b.fill(0);
    this.#t = 0;
  }

  #batch(B: number): BatchTensors {
    if (!Number.isInteger(B) || B < 1 || B > this.#maxB) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `batch per member ${B} outside 1..${this.#maxB}`,
      );
    }
    const hit = this.#batchCache.get(B);
    if (hit !== undefined) return hit;
    const arch = this.architecture;
    const E = arch.ensembleSize;
    const S = arch.stateDim;
    const D = inputDim(arch);
    const entry: BatchTensors = {
      x: new ort.Tensor('float32', this.#xBuf.subarray(0, E * B * D), [E, B, D]),
      y: new ort.Tensor('float32', this.#yBuf.subarray(0, E * B * S), [E, B, S]),
      mean: new ort.Tensor('float32', this.#meanBuf.subarray(0, E * B * S), [E, B, S]),
      logvar:
        arch.output === 'gaussian'
          ? new ort.Tensor('float32', this.#logvarBuf.subarray(0, E * B * S), [E, B, S])
          : null,
    };
    this.#batchCache.set(B, entry);
    return entry;
  }

  #checkOpen(): void {
    if (this.#disposed)
      throw new StriderError('LOOP_STATE', 'training backend used after dispose()');
  }

  async trainStep(
    x: Float32Array,
    y: Float32Array,
    batchPerMember: number,
    lossOut: Float32Array,
  ): Promise<void> {
    this.#checkOpen();
    const bt = this.#batch(batchPerMember);
    this.#xBuf.set(x.subarray(0, bt.x.size));
    this.#yBuf.set(y.subarray(0, bt.y.size));
    const o = this.#optimiser;
    this.#t += 1;
    this.#scaleBuf[0] = 1 / (batchPerMember * this.architecture.stateDim);
    this.#stepSizeBuf[0] = o.learningRate / (1 - o.beta1 ** this.#t);
    this.#vCorrBuf[0] = 1 / (1 - o.beta2 ** this.#t);
    const src = this.#cur;
    const dst = 1 - src;
    const feeds: Record<string, ort.Tensor> = {
      [TRAIN_IO.x]: bt.x,
      [TRAIN_IO.y]: bt.y,
      [TRAIN_IO.scale]: this.#scaleT,
      [TRAIN_IO.stepSize]: this.#stepSizeT,
      [TRAIN_IO.secondMomentCorrection]: this.#vCorrT,
    };
    const fetches: Record<string, ort.Tensor> = { [TRAIN_IO.loss]: this.#lossT };
    this.#names.forEach((name, i) => {
      feeds[`p_${name}`] = this.#pT[src]?.[i] as ort.Tensor;
      feeds[`m_${name}`] = this.#mT[src]?.[i] as ort.Tensor;
      feeds[`v_${name}`] = this.#vT[src]?.[i] as ort.Tensor;
      fetches[`p_${name}_out`] = this.#pT[dst]?.[i] as ort.Tensor;
      fetches[`m_${name}_out`] = this.#mT[dst]?.[i] as ort.Tensor;
      fetches[`v_${name}_out`] = this.#vT[dst]?.[i] as ort.Tensor;
    });
    await this.#adam.run(feeds, fetches);
    this.#cur = dst;
    lossOut.set(this.#lossBuf);
  }

  async gradients(
    x: Float32Array,
    y: Float32Array,
    batchPerMember: number,
  ): Promise<Float32Array[]> {
    this.#checkOpen();
    this.#gradSession ??= await ort.InferenceSession.create(
      buildTrainingGraph(this.architecture, { ...this.#optimiser, mode: 'gradients' }),
      this.#sessionOptions,
    );
    const bt = this.#batch(batchPerMember);
    this.#xBuf.set(x.subarray(0, bt.x.size));
    this.#yBuf.set(y.subarray(0, bt.y.size));
    this.#scaleBuf[0] = 1 / (batchPerMember * this.architecture.stateDim);
    const feeds: Record<string, ort.Tensor> = {
      [TRAIN_IO.x]: bt.x,
      [TRAIN_IO.y]: bt.y,
      [TRAIN_IO.scale]: this.#scaleT,
    };
    this.#names.forEach((name, i) => {
      feeds[`p_${name}`] = this.#pT[this.#cur]?.[i] as ort.Tensor;
    });
    const out = await this.#gradSession.run(feeds);
    return this.#names.map((name) => Float32Array.from(out[`g_${name}`]?.data as Float32Array));
  }

  async predict(
    x: Float32Array,
    batchPerMember: number,
    meanOut: Float32Array,
    logvarOut: Float32Array | null,
  ): Promise<void> {
    this.#checkOpen();
    const bt = this.#batch(batchPerMember);
    this.#xBuf.set(x.subarray(0, bt.x.size));
    const feeds: Record<string, ort.Tensor> = { [TRAIN_IO.x]: bt.x };
    this.#names.forEach((name, i) => {
      feeds[`p_${name}`] = this.#pT[this.#cur]?.[i] as ort.Tensor;
    });
    const fetches: Record<string, ort.Tensor> = { [TRAIN_IO.mean]: bt.mean };
    if (bt.logvar !== null) fetches[TRAIN_IO.logvar] = bt.logvar;
    await this.#forward.run(feeds, fetches);
    meanOut.set(bt.mean.data as Float32Array);
    if (logvarOut !== null && bt.logvar !== null) logvarOut.set(bt.logvar.data as Float32Array);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#adam.release();
    await this.#forward.release();
    if (this.#gradSession !== null) await this.#gradSession.release();
  }
}
