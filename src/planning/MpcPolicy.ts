import type { ActionPolicy } from '../control/types.js';
import { P2Quantile } from '../telemetry/P2Quantile.js';
import type { MpcPlanner } from './MpcPlanner.js';

/** Counters of one MPC policy (one model version). */
export interface MpcPolicyStats {
  plans: number;
  /** Ticks where no optimiser iteration fitted the budget: the shifted previous plan was executed. */
  missed: number;
  /** Ticks where the planner returned after the deadline. */
  overrun: number;
  /** Optimiser iterations summed over plans (mean = iterations / plans). */
  iterations: number;
  /**
   * The executed sequence's predicted return per horizon step (predictedReturn over the sum of
   * the discount weights), summed over the plans that fitted an iteration and had a finite one
   * (mean = predictedReward / predictedPlans). Set against the reward the episodes achieved per
   * step, it shows how far the planner's model promises more than the robot gets (the planner
   * exploiting model error).
   */
  predictedReward: number;
  predictedPlans: number;
  /**
   * The median of the same per-step figures (running estimate, constant memory): a few diverging
   * predictions (a model asked far outside its data) pull the mean by orders of magnitude, not
   * the median.
   */
  readonly predictedRewardMedian: P2Quantile;
}

/** Fresh counters. */
export function emptyMpcPolicyStats(): MpcPolicyStats {
  return {
    plans: 0,
    missed: 0,
    overrun: 0,
    iterations: 0,
    predictedReward: 0,
    predictedPlans: 0,
    predictedRewardMedian: new P2Quantile(0.5),
  };
}

/**
 * The MPC expert as a control-loop policy: every tick it plans over the horizon with the ensemble
 * by the tick's deadline and executes the first action (Nagabandi et al. 2017). A miss (no
 * iteration fitted) executes the previous plan shifted by one step, and is counted.
 */
export class MpcPolicy implements ActionPolicy {
  readonly source = 'mpc' as const;
  /** The model version the planner's ensemble comes from. */
  readonly modelVersion: number;
  /** Counters, possibly shared by the policies of successive model versions. */
  readonly stats: MpcPolicyStats;
  readonly #planner: MpcPlanner;
  /** 1 / sum_t gamma^t over the horizon: predicted return to reward per step. */
  readonly #perStep: number;
  readonly #onClose: () => Promise<void>;
  #lastPlanStatus: 'planned' | 'missed' = 'missed';

  /**
   * @param planner built on this policy's model version.
   * @param modelVersion that version's number (diagnostics, report).
   * @param onClose frees what the planner's model owns (the ONNX session); called by close().
   * @param stats counters to add to (shared across versions for a run's report); default fresh.
   */
  constructor(
    planner: MpcPlanner,
    modelVersion: number,
    onClose: () => Promise<void>,
    stats?: MpcPolicyStats,
  ) {
    this.#planner = planner;
    this.modelVersion = modelVersion;
    this.#onClose = onClose;
    this.stats = stats ?? emptyMpcPolicyStats();
    const { horizon, discount } = planner.options;
    let weights = 0;
    for (let t = 0; t < horizon; t++) weights += Math.pow(discount, t);
    this.#perStep = 1 / weights;
  }

  async act(state: Float32Array, deadlineMs: number, out: Float32Array): Promise<void> {
    const r = await this.#planner.plan(state, deadlineMs);
    this.stats.plans++;
    this.stats.iterations += r.iterations;
    this.#lastPlanStatus = r.status === 'missed' ? 'missed' : 'planned';
    if (r.status === 'missed') this.stats.missed++;
    else if (r.status === 'overrun') this.stats.overrun++;
    if (Number.isFinite(r.predictedReturn)) {
      const perStep = r.predictedReturn * this.#perStep;
      this.stats.predictedReward += perStep;
      this.stats.predictedPlans++;
      this.stats.predictedRewardMedian.add(perStep);
    }
    out.set(r.action);
  }

  /**
   * 'missed' when the last act() fitted no optimiser iteration (its action was the shifted
   * previous plan, not an expert's answer for this state); 'planned' otherwise.
   */
  get lastPlanStatus(): 'planned' | 'missed' {
    return this.#lastPlanStatus;
  }

  reset(): void {
    this.#planner.reset();
  }

  /** The planner's measured ms per optimiser iteration (NaN before the first). */
  get iterationMsEstimate(): number {
    return this.#planner.iterationMsEstimate;
  }

  async close(): Promise<void> {
    await this.#onClose();
  }
}
