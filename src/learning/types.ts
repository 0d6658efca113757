import type { EnsembleSnapshot } from '../dynamics/EnsembleSnapshot.js';
import type { Trajectory } from '../dynamics/Trajectory.js';

/** Where a trajectory came from: random actions (D_rand) or the on-policy controller (D_rl). */
export type DataSource = 'rand' | 'rl';

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

/**
 * The trainer's narrow interface: transitions in, versioned weights out. In-process today
 * (ModelTrainer); the MQTT trainer process implements the same shape.
 */
export interface Trainer {
  addTrajectory(trajectory: Trajectory, source: DataSource): void;
  /** Fit on the current D_rand/D_rl mix and return the next version. Takes seconds. */
  train(): Promise<ModelVersion>;
  close(): Promise<void>;
}
