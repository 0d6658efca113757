import type { EnsembleSnapshot } from '../dynamics/EnsembleSnapshot.js';
import { baselineHStepError, hStepError, type HStepBaseline } from '../dynamics/evaluate.js';
import { OnnxEnsemble } from '../dynamics/OnnxEnsemble.js';
import type { TrajectoryDataset } from '../dynamics/Trajectory.js';

/** Mean squared one-step and H-step errors, in units of the model's state input std. */
export interface ErrorPair {
  readonly one_step_error: number;
  readonly h_step_error: number;
}

export interface ReplayErrors extends ErrorPair {
  readonly horizon: number;
  readonly baselines: { readonly zero_delta: ErrorPair; readonly constant_velocity: ErrorPair };
}

/**
 * Smallest per-dimension scale of the reported errors (state units: m/s, rad/s, rad, unitless
 * quaternion). A dimension the training episodes barely moved (a Gazebo base's vertical velocity,
 * std ~1e-6) would otherwise turn micro-noise into errors of 1e8 and swamp every other dimension.
 */
export const ERROR_SCALE_FLOOR = 1e-3;

/**
 * The trained model's one-step and H-step open-loop errors on held-out episodes (Nagabandi eq. 3),
 * and the zero-delta and constant-velocity baselines' on the very same starts (t0 >= 1, t0 + H <=
 * T) and scale: each state dimension divided by the model's input std (at least
 * ERROR_SCALE_FLOOR), so dimensions weigh alike.
 * NaN where no held-out episode is longer than H.
 */
export async function evaluateReplay(
  snapshot: EnsembleSnapshot,
  holdout: TrajectoryDataset,
  horizon: number,
): Promise<ReplayErrors> {
  const S = snapshot.architecture.stateDim;
  const A = snapshot.architecture.actionDim;
  const stateScale = snapshot.normalisers.inputStd.slice(0, S);
  for (let j = 0; j < S; j++) stateScale[j] = Math.max(stateScale[j]!, ERROR_SCALE_FLOOR);
  const ensemble = await OnnxEnsemble.create(snapshot, {
    maxBatchPerMember: 256,
    spin: false,
    intraOpNumThreads: 1,
  });
  try {
    const model = async (h: number): Promise<number> =>
      hStepError(ensemble, holdout, { horizon: h, stateScale, maxStarts: 4096 });
    const baseline = (kind: HStepBaseline, h: number): number =>
      baselineHStepError(holdout, kind, {
        horizon: h,
        stateScale,
        stateDim: S,
        actionDim: A,
        maxStarts: 4096,
      });
    return {
      horizon,
      one_step_error: await model(1),
      h_step_error: await model(horizon),
      baselines: {
        zero_delta: {
          one_step_error: baseline('zero-delta', 1),
          h_step_error: baseline('zero-delta', horizon),
        },
        constant_velocity: {
          one_step_error: baseline('constant-velocity', 1),
          h_step_error: baseline('constant-velocity', horizon),
        },
      },
    };
  } finally {
    await ensemble.close();
  }
}
