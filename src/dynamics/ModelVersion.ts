/**
 * A trained, versioned dynamics model and its figures: what the trainer publishes, the transport
 * encodes and the controller swaps in. Here, beside the snapshot it carries, so that learning/,
 * trainer/ and transport/ can all use it without importing each other.
 */

import type { EnsembleSnapshot } from './EnsembleSnapshot.js';

/** Validation and training figures of one model version (losses in normalised delta units). */
export interface ModelMetrics {
  readonly train_loss: number;
  readonly val_loss: number;
  /** Nagabandi eq. 3, normalised state units, on held-out episodes. */
  readonly h_step_error: number;
  /** The zero-delta model's H-step error on the same starts, for scale. */
  readonly h_step_baseline: number;
  /**
   * The previous version's H-step error on the same starts and scale (NaN for the trainer's
   * first round): what the hot-swap gate compares with when that version is serving.
   */
  readonly h_step_error_previous: number;
  readonly train_transitions: number;
  readonly rand_transitions: number;
  readonly rl_transitions: number;
  readonly epochs: number;
  readonly train_seconds: number;
  readonly sample_passes_per_s: number;
  readonly backend: string;
}

/** A trained, versioned model: what the trainer publishes and the controller swaps in. */
export interface ModelVersion {
  readonly version: number;
  readonly snapshot: EnsembleSnapshot;
  readonly metrics: ModelMetrics;
}
