import type { EnsembleStepper } from '../dynamics/types.js';
import type { Clock } from '../util/clock.js';
import type { Rng } from '../util/rng.js';

/**
 * A reward evaluated on a batch of predicted transitions. Called by the planner once per horizon
 * step for the whole population, on the hot path: implementations must not allocate.
 * @param states     count x S, row-major, raw units (state before the step).
 * @param actions    count x A, row-major, raw units.
 * @param nextStates count x S, row-major, raw units (predicted state after the step).
 * @param count      number of rows.
 * @param out        count rewards, written (not accumulated) by the implementation.
 * @param previousActions count x A, the actions of the step before (action-rate terms); passed
 *   only to a reward that sets `usesPreviousActions`, and absent where unknown (a plan's first
 *   step, an episode's first transition).
 */
export interface BatchReward {
  /** true: the caller passes `previousActions` where it knows them. */
  readonly usesPreviousActions?: boolean;
  evaluate(
    states: Float32Array,
    actions: Float32Array,
    nextStates: Float32Array,
    count: number,
    out: Float32Array,
    previousActions?: Float32Array,
  ): void;
}

/** Optimisers the planner can run. */
export const OPTIMIZER_KINDS = ['random', 'cem', 'mppi', 'icem'] as const;
/**
 * - `random`: random shooting (Nagabandi et al. 2017): uniform sequences within the bounds.
 * - `cem`: cross-entropy method (PETS), with optional iCEM refinements (coloured noise, elites kept).
 * - `mppi`: model-predictive path integral (Williams et al. 2017): exponentially weighted mean.
 * - `icem`: iCEM (Pinneri et al. 2020): CEM with a population shrinking per iteration, coloured
 *   noise and elites reused across iterations and ticks (uses the `cem` settings too).
 */
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Particle propagation (Chua et al. 2018): TS-inf keeps a particle's ensemble member for the
 * whole horizon; TS1 redraws it every step. */
export const PROPAGATIONS = ['ts_inf', 'ts1'] as const;
export type Propagation = (typeof PROPAGATIONS)[number];

/** What fills the last step of the shifted warm start: the nominal action (`nominalAction`,
 * default zero, clipped to the bounds) or a repeat of the previous plan's last action. */
export type NominalAction = 'zero' | 'last';

/**
 * Which sequence a plan() call returns: the best one scored in the call (random shooting, iCEM),
 * or the optimiser's distribution centre after its last update (MPPI as Williams et al. 2017
 * execute it, the weighted average of the samples; CEM's elite mean). The centre averages over
 * many samples, so it carries far less sampling noise from tick to tick than the argmax does.
 */
export type ExecuteKind = 'best' | 'mean';

/**
 * Outcome of one plan() call.
 * - `ok`: at least one optimiser iteration ran and plan() returned before the deadline.
 * - `overrun`: at least one iteration ran but the clock was past the deadline on return (an
 *   iteration took longer than estimated).
 * - `missed`: no iteration fitted before the deadline; the plan is the previous plan shifted by
 *   one step (the warm start), and predictedReturn is NaN.
 */
export type PlanStatus = 'ok' | 'overrun' | 'missed';

/** CEM settings (PETS; iCEM extras). Fractions are of each action dimension's range hi - lo. */
export interface CemOptions {
  /** Number of elites refitted each iteration, 1 <= elites <= population. Default: 10% of the
   * population, at least 2 (at most the population). */
  readonly elites?: number;
  /** Weight on the previous mean and std when refitting: new = alpha * old + (1 - alpha) * elite
   * statistic, 0 <= alpha < 1. Default 0.1. */
  readonly alpha?: number;
  /** Sampling std at the start of every plan() call, as a fraction of the range. Default 0.25
   * (PETS: variance (hi - lo)^2 / 16). */
  readonly initStdFraction?: number;
  /** Floor on the sampling std, as a fraction of the range, 0 <= minStdFraction. Default 0.01. */
  readonly minStdFraction?: number;
  /** iCEM: fraction of the elites carried into the next iteration unchanged (and, shifted by
   * one step, into the next plan() call), 0 <= keepEliteFraction <= 1. Default 0 (off). */
  readonly keepEliteFraction?: number;
}

/** iCEM settings (with `cem` for elites, momentum and std). */
export interface IcemOptions {
  /** gamma >= 1: iteration i samples K / gamma^i sequences (at least twice the elites). Default
   * 1.25 (the paper's). */
  readonly populationDecay?: number;
}

/** MPPI settings. */
export interface MppiOptions {
  /** Temperature lambda (> 0), in reward units: weights are exp((R_k - max R) / lambda).
   * Default 1. */
  readonly temperature?: number;
  /** Exploration noise sigma as a fraction of each action dimension's range. Default 0.25. */
  readonly noiseStdFraction?: number;
}

/**
 * Planner settings. Dimensions (S, A, E) come from the EnsembleStepper; the action bounds come
 * from the robot model. Defaults are in PLANNER_DEFAULTS.
 */
export interface PlannerOptions {
  readonly optimizer: OptimizerKind;
  /** Planning horizon H in control steps, >= 1. */
  readonly horizon: number;
  /** Population K: candidate action sequences per iteration, >= 2. */
  readonly population: number;
  /** Particles P per sequence (TS-inf), >= 1; K * P must be divisible by the ensemble size E.
   * Default: E (one particle per member). */
  readonly particles?: number;
  /** Per-dimension lower action bound, length A, raw units. */
  readonly actionLow: ArrayLike<number>;
  /** Per-dimension upper action bound, length A, raw units; hi >= lo. */
  readonly actionHigh: ArrayLike<number>;
  /** Discount gamma in (0, 1] applied to the step-t reward as gamma^t. Default 1. */
  readonly discount?: number;
  /** Most optimiser iterations per plan() call, >= 1. Default: random 1, cem 5, mppi 3, icem 5. */
  readonly maxIterations?: number;
  /** Warm-start tail. Default 'zero'. */
  readonly nominal?: NominalAction;
  /** The nominal action, length A, raw units (the stance of a position action space): the plan
   * at reset and, with nominal 'zero', the warm-start tail. Default: all zeros. */
  readonly nominalAction?: ArrayLike<number>;
  /** Coloured-noise exponent beta >= 0 for CEM and MPPI samples along the horizon (power
   * spectrum 1/f^beta; iCEM uses 2 to 2.5). Default 0 (white). */
  readonly noiseBeta?: number;
  /** Time kept free before the deadline, ms, >= 0. Default 0. */
  readonly timeMarginMs?: number;
  /** Share of every iteration's candidates taken from PlannerDeps.seeds (TD-MPC2's policy
   * trajectories), in [0, 0.5]: floor(seedShare x K_i) rows, at most what the source gives.
   * Default 0 (none). */
  readonly seedShare?: number;
  /** Particle propagation. Default 'ts_inf'. */
  readonly propagation?: Propagation;
  /** The sequence returned: 'best' (default) or 'mean' (cem, icem, mppi only). */
  readonly execute?: ExecuteKind;
  readonly cem?: CemOptions;
  readonly icem?: IcemOptions;
  readonly mppi?: MppiOptions;
}

/**
 * A source of candidate sequences to put into the planner's population (TD-MPC2, Hansen et al.
 * 2024: a share of the samples come from the learned policy rolled through the model). Called
 * once per plan() call, before its first iteration, on the control path: must not allocate.
 */
export interface SeedSource {
  /**
   * Writes up to `maxSequences` sequences from `state` into `out` (maxSequences x H x A,
   * row-major, raw units, within the action bounds) and returns how many it wrote (0: none now,
   * e.g. no policy serving).
   * @param state S, raw units (the planner's copy; read only).
   */
  fill(state: Float32Array, out: Float32Array, maxSequences: number): Promise<number>;
}

/** What the planner is built from. */
export interface PlannerDeps {
  readonly stepper: EnsembleStepper;
  readonly reward: BatchReward;
  /** Time source for the anytime loop. Default: the monotonic clock. */
  readonly clock?: Clock;
  /** Sampling noise. Default: a fixed seed, so runs are reproducible. */
  readonly rng?: Rng;
  /** Candidate sequences seeded into every iteration's population (options.seedShare). */
  readonly seeds?: SeedSource;
}

/**
 * Result of plan(). One object per planner, updated in place by every call; all arrays are
 * borrowed views into the planner's buffers, valid until the next plan() or reset() call.
 */
export interface PlanResult {
  /** First action of the plan, A (a view of plan's first row). */
  readonly action: Float32Array;
  /** The plan to execute, H x A, row-major, raw units. */
  readonly plan: Float32Array;
  /** Optimiser iterations completed in this call (0 when missed). */
  readonly iterations: number;
  readonly status: PlanStatus;
  /** Predicted return of `plan`: mean over its particles of the summed discounted rewards (with
   * execute 'mean': the optimiser's centreReturn(), from the samples' scores); NaN when missed;
   * -Infinity when every rollout was non-finite. */
  readonly predictedReturn: number;
  /** Time spent in plan() on the injected clock, ms. */
  readonly elapsedMs: number;
}
