import { initWeights, inputDim, type EnsembleArchitecture } from './architecture.js';
import { importSnapshot, type EnsembleSnapshot } from './EnsembleSnapshot.js';
import { baselineHStepError, hStepError } from './evaluate.js';
import {
  DEFAULT_STD_FLOOR,
  fitNormalisers,
  identityNormalisers,
  type Normalisers,
} from './Normaliser.js';
import { OnnxEnsemble } from './OnnxEnsemble.js';
import { OnnxTrainingBackend } from './OnnxTrainingBackend.js';
import {
  assertFiniteTrajectories,
  flattenTransitions,
  splitByTrajectory,
  type Trajectory,
  type TrajectoryDataset,
} from './Trajectory.js';
import type { OptimiserOptions, TrainingBackend, TrainingBackendKind } from './TrainingBackend.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';

/** Options of {@link EnsembleTrainer.create}; defaults in brackets. */
export interface EnsembleTrainerOptions {
  readonly architecture: EnsembleArchitecture;
  /**
   * Training engine: onnx (hand-derived backward + Adam as an ONNX graph, onnxruntime-node), tfjs
   * (TensorFlow.js autodiff; tfjs-node(-gpu) if importable, else wasm), or auto (onnx, falling back
   * to tfjs when onnxruntime-node cannot create the session). [auto]
   */
  readonly backend?: TrainingBackendKind | 'auto';
  /** Adam and loss settings. [lr 1e-3, betas 0.9/0.999, eps 1e-8, logvar penalty 0.01, decay 0] */
  readonly optimiser?: Partial<OptimiserOptions>;
  /** Minibatch rows per member. [256] */
  readonly batchSize?: number;
  /** Epochs per train() call. [5] */
  readonly epochsPerRound?: number;
  /** Fraction of transitions held out, by whole trajectories. [0.1] */
  readonly holdoutFraction?: number;
  /** H of the open-loop validation error; 0 skips it. [10] */
  readonly hStepHorizon?: number;
  /** Start states for the H-step error. [128] */
  readonly hStepMaxStarts?: number;
  /** Normaliser std floor. [1e-6] */
  readonly stdFloor?: number;
  /** Seed for initial weights, bootstrap, shuffles and the hold-out split. [0] */
  readonly seed?: number;
  /** onnxruntime-node intra-op threads. [2] */
  readonly intraOpNumThreads?: number;
  /** Start from these weights (warm start across processes); architecture must match. */
  readonly initial?: EnsembleSnapshot;
  readonly logger?: Logger;
}

/** What one train() call did. Losses are in normalised delta units. */
export interface TrainRoundReport {
  readonly round: number;
  readonly backend: TrainingBackendKind;
  readonly engine: string;
  readonly trainTransitions: number;
  readonly holdoutTransitions: number;
  readonly holdoutTrajectories: number;
  readonly epochs: number;
  readonly steps: number;
  /** Mean over members of the loss on the round's first minibatch, before its update. */
  readonly firstBatchLoss: number;
  /** Mean over members and minibatches of each epoch's training loss (NLL or MSE). */
  readonly epochLosses: readonly number[];
  /** One-step hold-out loss (NLL for gaussian, MSE for deterministic), mean over members; NaN with no hold-out. */
  readonly valLoss: number;
  /** One-step hold-out MSE of the predicted mean delta, mean over members; NaN with no hold-out. */
  readonly valMse: number;
  /** H-step open-loop error (Nagabandi eq. 3) on the hold-out, normalised state units; NaN if skipped. */
  readonly hStepError: number;
  /** The zero-delta baseline's H-step error on the same starts. */
  readonly hStepZeroDeltaBaseline: number;
  /**
   * The previous round's model on the same starts and scale (NaN in the first round): the fair
   * comparison for a hot-swap gate, since the hold-out grows from round to round.
   */
  readonly hStepErrorPrevious: number;
  /** Sample-passes (one sample through one member's forward + backward) this round. */
  readonly samplePasses: number;
  readonly trainSeconds: number;
  readonly samplePassesPerSec: number;
}

/**
 * Fits the ensemble to trajectories (PETS / Nagabandi Alg. 1's "train" step): normalisers from the
 * training split, per-member bootstrap, Adam on minibatches, warm start from the previous weights
 * and Adam state, hold-out by trajectory, one-step and H-step validation. Runs in the trainer
 * process; a round takes seconds, so never call it from a control tick.
 */
export class EnsembleTrainer {
  readonly architecture: EnsembleArchitecture;
  readonly #backend: TrainingBackend;
  readonly #opts: Required<
    Pick<
      EnsembleTrainerOptions,
      | 'batchSize'
      | 'epochsPerRound'
      | 'holdoutFraction'
      | 'hStepHorizon'
      | 'hStepMaxStarts'
      | 'stdFloor'
      | 'intraOpNumThreads'
    >
  >;
  readonly #rng: Rng;
  readonly #logger: Logger;
  #normalisers: Normalisers;
  #round = 0;
  #disposed = false;
  /** Sticky hold-out: a trajectory held out once is never trained on (warm starts would leak it). */
  readonly #heldOut = new WeakMap<Trajectory, boolean>();

  private constructor(
    options: EnsembleTrainerOptions,
    backend: TrainingBackend,
    normalisers: Normalisers,
    rng: Rng,
  ) {
    this.architecture = options.architecture;
    this.#backend = backend;
    this.#normalisers = normalisers;
    this.#rng = rng;
    this.#logger = options.logger ?? silentLogger();
    this.#opts = {
      batchSize: options.batchSize ?? 256,
      epochsPerRound: options.epochsPerRound ?? 5,
      holdoutFraction: options.holdoutFraction ?? 0.1,
      hStepHorizon: options.hStepHorizon ?? 10,
      hStepMaxStarts: options.hStepMaxStarts ?? 128,
      stdFloor: options.stdFloor ?? DEFAULT_STD_FLOOR,
      intraOpNumThreads: options.intraOpNumThreads ?? 2,
    };
  }

  /** Creates the backend (sessions / variables) and the initial weights. */
  static async create(options: EnsembleTrainerOptions): Promise<EnsembleTrainer> {
    const arch = options.architecture;
    const rng = new Rng(options.seed ?? 0);
    const logger = options.logger ?? silentLogger();
    let weights: readonly Float32Array[];
    let normalisers = identityNormalisers(arch.stateDim, arch.actionDim);
    if (options.initial !== undefined) {
      const snap = importSnapshot(options.initial);
      if (JSON.stringify(snap.architecture) !== JSON.stringify(arch)) {
        throw new StriderError(
          'MODEL_SHAPE_MISMATCH',
          'initial snapshot architecture differs from the trainer architecture',
          {
            context: { snapshot: snap.architecture, trainer: arch },
          },
        );
      }
      weights = snap.weights;
      normalisers = snap.normalisers;
    } else {
      weights = initWeights(arch, Math.floor(rng.next() * 2 ** 31));
    }
    const kind = options.backend ?? 'auto';
    const batch = options.batchSize ?? 256;
    let backend: TrainingBackend;
    if (kind === 'tfjs') {
      backend = await (
        await tfjsBackend()
      ).create({
        architecture: arch,
        initialWeights: weights,
        ...opt(options),
        logger,
      });
    } else {
      try {
        backend = await OnnxTrainingBackend.create({
          architecture: arch,
          initialWeights: weights,
          maxBatchPerMember: batch,
          intraOpNumThreads: options.intraOpNumThreads ?? 2,
          ...opt(options),
        });
      } catch (err) {
        if (kind === 'onnx') throw err;
        logger.warn({ err }, 'onnx training backend unavailable; falling back to tfjs');
        backend = await (
          await tfjsBackend()
        ).create({
          architecture: arch,
          initialWeights: weights,
          ...opt(options),
          logger,
        });
      }
    }
    logger.info(
      { backend: backend.kind, engine: backend.engine },
      'ensemble training backend selected',
    );
    return new EnsembleTrainer(options, backend, normalisers, rng);
  }

  /** The training engine (for tests and benchmarks). */
  get backend(): TrainingBackend {
    return this.#backend;
  }

  get normalisers(): Normalisers {
    return this.#normalisers;
  }

  /** The current model: architecture, normalisers, weights (copies). */
  snapshot(): EnsembleSnapshot {
    return {
      architecture: this.architecture,
      normalisers: this.#normalisers,
      weights: this.#backend.getWeights(),
    };
  }

  /**
   * One training round on `data` (all trajectories collected so far, or the caller's D_rand/D_rl
   * mix): refits the normalisers on the training split, draws a fresh bootstrap per member and
   * continues from the current weights and Adam state for `epochs` epochs.
   * Throws NON_FINITE on a non-finite sample, MODEL_SHAPE_MISMATCH on a malformed trajectory.
   * With `signal`, stops between batches once it is aborted and throws the signal's reason (the
   * weights are then part-way through the round: a caller that aborts discards this trainer or
   * lets the next round continue from them).
   */
  async train(
    data: TrajectoryDataset,
    options: { readonly epochs?: number; readonly signal?: AbortSignal } = {},
  ): Promise<TrainRoundReport> {
    if (this.#disposed)
      throw new StriderError('LOOP_STATE', 'EnsembleTrainer.train() after dispose()');
    const arch = this.architecture;
    const S = arch.stateDim;
    const A = arch.actionDim;
    const E = arch.ensembleSize;
    const D = inputDim(arch);
    assertFiniteTrajectories(data);
    this.#round += 1;
    const previous = this.#round > 1 ? this.snapshot() : null;
    let split = splitByTrajectory(data, {
      holdoutFraction: this.#opts.holdoutFraction,
      stateDim: S,
      actionDim: A,
      random: () => this.#rng.next(),
      assigned: this.#heldOut,
    });
    if (split.train.length === 0) {
      // only held-out trajectories in this round's data (a tiny mix): train on them, report no hold-out
      this.#logger.warn(
        { round: this.#round },
        'every trajectory of this round is held out; training on them, no hold-out figures',
      );
      split = { train: split.holdout, holdout: [] };
    }
    this.#normalisers = fitNormalisers(split.train, S, A, this.#opts.stdFloor);
    const train = this.#normalise(flattenTransitions(split.train, S, A));
    const N = train.count;
    if (N === 0) throw new StriderError('MODEL_SHAPE_MISMATCH', 'no transitions to train on');

    const boot = bootstrapIndices(N, E, this.#rng);
    const B = Math.min(this.#opts.batchSize, N);
    const epochs = options.epochs ?? this.#opts.epochsPerRound;
    const x = new Float32Array(E * B * D);
    const y = new Float32Array(E * B * S);
    const loss = new Float32Array(E);
    const order = boot.map((b) => b.slice());
    const epochLosses: number[] = [];
    let firstBatchLoss = Number.NaN;
    let steps = 0;
    let samplePasses = 0;
    const t0 = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const o of order) shuffleInPlace(o, this.#rng);
      let epochSum = 0;
      let epochBatches = 0;
      for (let start = 0; start < N; start += B) {
        const nb = Math.min(B, N - start);
        for (let e = 0; e < E; e++) {
          const idx = order[e] ?? new Int32Array(0);
          for (let b = 0; b < nb; b++) {
            const r = idx[start + b] ?? 0;
            x.set(train.inputs.subarray(r * D, (r + 1) * D), (e * nb + b) * D);
            y.set(train.deltas.subarray(r * S, (r + 1) * S), (e * nb + b) * S);
          }
        }
        options.signal?.throwIfAborted();
        await this.#backend.trainStep(x, y, nb, loss);
        const mean = meanOf(loss);
        if (!Number.isFinite(mean)) {
          throw new StriderError(
            'NON_FINITE',
            `training loss became ${mean} in round ${this.#round} epoch ${epoch}`,
          );
        }
        if (steps === 0) firstBatchLoss = mean;
        epochSum += mean;
        epochBatches += 1;
        steps += 1;
        samplePasses += nb * E;
      }
      epochLosses.push(epochSum / epochBatches);
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    options.signal?.throwIfAborted();

    const val = await this.#validate(split.holdout);
    const hs = await this.#hStep(split.holdout.length > 0 ? split.holdout : split.train, previous);
    const report: TrainRoundReport = {
      round: this.#round,
      backend: this.#backend.kind,
      engine: this.#backend.engine,
      trainTransitions: N,
      holdoutTransitions: val.count,
      holdoutTrajectories: split.holdout.length,
      epochs,
      steps,
      firstBatchLoss,
      epochLosses,
      valLoss: val.loss,
      valMse: val.mse,
      hStepError: hs.model,
      hStepZeroDeltaBaseline: hs.zeroDelta,
      hStepErrorPrevious: hs.previous,
      samplePasses,
      trainSeconds,
      samplePassesPerSec: samplePasses / trainSeconds,
    };
    this.#logger.info({ ...report, epochLosses: undefined }, 'ensemble training round done');
    return report;
  }

  /** Normalises flattened transitions in place-free copies. */
  #normalise(flat: { inputs: Float32Array; deltas: Float32Array; count: number }): {
    inputs: Float32Array;
    deltas: Float32Array;
    count: number;
  } {
    const n = this.#normalisers;
    const D = n.inputMean.length;
    const S = n.deltaMean.length;
    const inputs = flat.inputs.slice();
    const deltas = flat.deltas.slice();
    for (let i = 0; i < inputs.length; i++) {
      const j = i % D;
      inputs[i] = ((inputs[i] ?? 0) - (n.inputMean[j] ?? 0)) / (n.inputStd[j] ?? 1);
    }
    for (let i = 0; i < deltas.length; i++) {
      const j = i % S;
      deltas[i] = ((deltas[i] ?? 0) - (n.deltaMean[j] ?? 0)) / (n.deltaStd[j] ?? 1);
    }
    return { inputs, deltas, count: flat.count };
  }

  /** One-step loss and MSE on held-out transitions, every member on every row. */
  async #validate(
    holdout: TrajectoryDataset,
  ): Promise<{ loss: number; mse: number; count: number }> {
    const arch = this.architecture;
    const S = arch.stateDim;
    const E = arch.ensembleSize;
    const D = inputDim(arch);
    const flat = this.#normalise(flattenTransitions(holdout, S, arch.actionDim));
    if (flat.count === 0) return { loss: Number.NaN, mse: Number.NaN, count: 0 };
    const B = Math.min(this.#opts.batchSize, flat.count);
    const x = new Float32Array(E * B * D);
    const mean = new Float32Array(E * B * S);
    const logvar = new Float32Array(E * B * S);
    const gaussian = arch.output === 'gaussian';
    let sq = 0;
    let nll = 0;
    for (let start = 0; start < flat.count; start += B) {
      const nb = Math.min(B, flat.count - start);
      const rows = flat.inputs.subarray(start * D, (start + nb) * D);
      for (let e = 0; e < E; e++) x.set(rows, e * nb * D);
      await this.#backend.predict(x, nb, mean, gaussian ? logvar : null);
      for (let e = 0; e < E; e++) {
        for (let b = 0; b < nb; b++) {
          for (let j = 0; j < S; j++) {
            const k = (e * nb + b) * S + j;
            const d = (mean[k] ?? 0) - (flat.deltas[(start + b) * S + j] ?? 0);
            sq += d * d;
            if (gaussian) {
              const lv = logvar[k] ?? 0;
              nll += d * d * Math.exp(-lv) + lv;
            }
          }
        }
      }
    }
    const denom = flat.count * S * E;
    return { loss: gaussian ? nll / denom : sq / denom, mse: sq / denom, count: flat.count };
  }

  /** H-step errors of this model, of `previous` (when given) and of zero-delta, on the same starts and scale. */
  async #hStep(
    data: TrajectoryDataset,
    previous: EnsembleSnapshot | null,
  ): Promise<{ model: number; zeroDelta: number; previous: number }> {
    const H = this.#opts.hStepHorizon;
    if (H <= 0 || data.length === 0) {
      return { model: Number.NaN, zeroDelta: Number.NaN, previous: Number.NaN };
    }
    const S = this.architecture.stateDim;
    const stateScale = this.#normalisers.inputStd.slice(0, S);
    const hOpts = { horizon: H, stateScale, maxStarts: this.#opts.hStepMaxStarts };
    const errorOf = async (snapshot: EnsembleSnapshot): Promise<number> => {
      const stepper = await OnnxEnsemble.create(snapshot, {
        spin: false,
        maxBatchPerMember: this.#opts.hStepMaxStarts,
        intraOpNumThreads: this.#opts.intraOpNumThreads,
      });
      try {
        return await hStepError(stepper, data, hOpts);
      } finally {
        await stepper.close();
      }
    };
    return {
      model: await errorOf(this.snapshot()),
      previous: previous === null ? Number.NaN : await errorOf(previous),
      zeroDelta: baselineHStepError(data, 'zero-delta', {
        ...hOpts,
        stateDim: S,
        actionDim: this.architecture.actionDim,
      }),
    };
  }

  /** Frees the backend's sessions / tensors. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#backend.dispose();
  }
}

function opt(options: EnsembleTrainerOptions): { optimiser?: Partial<OptimiserOptions> } {
  return options.optimiser === undefined ? {} : { optimiser: options.optimiser };
}

/**
 * Per-member bootstrap: E independent draws of N row indices with replacement (Efron), so each
 * member sees a different resampling of the data (PETS).
 */
export function bootstrapIndices(n: number, ensembleSize: number, rng: Rng): Int32Array[] {
  return Array.from({ length: ensembleSize }, () => {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.next() * n);
    return idx;
  });
}

function shuffleInPlace(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i] ?? 0;
    a[i] = a[j] ?? 0;
    a[j] = t;
  }
}

function meanOf(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

/**
 * The TensorFlow.js backend's module, loaded only when a trainer uses it: TensorFlow.js is about
 * 25 MB of module source and code on the heap of every process that imports it, and the
 * controller (which imports this file for the in-process trainer) and the ONNX trainer never run
 * it. A smaller heap is a shorter pause for every major GC on the control thread.
 */
async function tfjsBackend(): Promise<
  typeof import('./TfjsTrainingBackend.js').TfjsTrainingBackend
> {
  return (await import('./TfjsTrainingBackend.js')).TfjsTrainingBackend;
}
