import type { EnsembleArchitecture } from './architecture.js';

/** Which engine runs the training steps. */
export type TrainingBackendKind = 'onnx' | 'tfjs';

/** Optimiser and loss settings shared by every training backend. */
export interface OptimiserOptions {
  /** Adam step size. Default 1e-3. */
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** PETS penalty on sum(maxLogvar) - sum(minLogvar). Default 0.01. */
  readonly logvarBoundPenalty: number;
  /** Coupled L2 on weights. Default 0. */
  readonly weightDecay: number;
}

export const DEFAULT_OPTIMISER: OptimiserOptions = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  logvarBoundPenalty: 0.01,
  weightDecay: 0,
};

/**
 * One engine's implementation of the ensemble training step. All arrays are in normalised units
 * and stacked by member: x is E x B x (S + A), y and predictions E x B x S, row-major.
 * Parameters are in {@link paramSpecs} order. Runs in the trainer process, never on a tick.
 */
export interface TrainingBackend {
  readonly kind: TrainingBackendKind;
  /** A human-readable engine name for logs (e.g. "onnxruntime-node cpu", "tfjs wasm"). */
  readonly engine: string;
  readonly architecture: EnsembleArchitecture;
  /** Copies of the current parameters. */
  getWeights(): Float32Array[];
  /** Replaces the parameters (copied). Adam moments are kept unless resetOptimizer() is called. */
  setWeights(weights: readonly Float32Array[]): void;
  /** Zeroes the Adam moments and step count. */
  resetOptimizer(): void;
  /**
   * One Adam step on a minibatch of B rows per member. Writes each member's batch loss (mean NLL
   * or MSE before the update, without penalties) into `lossOut` (length E).
   */
  trainStep(
    x: Float32Array,
    y: Float32Array,
    batchPerMember: number,
    lossOut: Float32Array,
  ): Promise<void>;
  /** Gradients of the summed loss (with penalties) w.r.t. every parameter; for tests. */
  gradients(x: Float32Array, y: Float32Array, batchPerMember: number): Promise<Float32Array[]>;
  /**
   * Normalised predictions: mean into `meanOut` (E x B x S) and, for gaussian output, the bounded
   * log-variance into `logvarOut` when given.
   */
  predict(
    x: Float32Array,
    batchPerMember: number,
    meanOut: Float32Array,
    logvarOut: Float32Array | null,
  ): Promise<void>;
  /** Frees sessions and tensors. */
  dispose(): Promise<void>;
}
