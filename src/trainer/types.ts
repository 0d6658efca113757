/** The trainer's data types, shared by the trainer process and the in-process trainer mode. */

import type { ActionSource } from '../control/types.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Trajectory } from '../dynamics/Trajectory.js';

/** Where a trajectory came from: random actions (D_rand) or the on-policy controller (D_rl). */
export type DataSource = 'rand' | 'rl';

/**
 * The trainer's narrow interface: transitions in, versioned weights out. ModelTrainer implements
 * it; the in-process mode drives one directly, the trainer process holds one per robot.
 */
export interface Trainer {
  addTrajectory(trajectory: Trajectory, source: DataSource): void;
  /** Takes out a trajectory added before (the store's retention); false when not held. */
  removeTrajectory?(trajectory: Trajectory): boolean;
  /**
   * Fit on the current D_rand/D_rl mix and return the next version. Takes seconds. With `signal`,
   * the fit stops between batches once it is aborted and rejects with the signal's reason.
   */
  train(options?: { readonly signal?: AbortSignal }): Promise<ModelVersion>;
  close(): Promise<void>;
}

/** The dataset an action source feeds (Alg. 1: random actions are D_rand, the rest D_rl). */
export function datasetOf(source: ActionSource): DataSource {
  switch (source) {
    case 'random':
      return 'rand';
    case 'mpc':
    case 'policy':
    case 'mixed':
      return 'rl';
  }
}
