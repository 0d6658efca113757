import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StriderError } from '../util/StriderError.js';
import type { ActionSource } from '../control/types.js';

/** Per-episode entry of the report (contract: DESIGN.md "Report JSON"). */
export interface EpisodeReport {
  index: number;
  steps: number;
  return: number;
  source: ActionSource;
  /** Why it ended early: sim_unstable, stopped, fall. */
  terminated?: string;
  /** With terminated "fall": the limit the base passed, "tilt" (safety.tilt.max_rad) or
   * "height" (task.fall.min_height_fraction of the stance height). */
  fall?: 'tilt' | 'height';
  /** Mean base velocity in the heading frame (m/s, m/s, rad/s); absent without base.linvel. */
  velocity?: { x: number; y: number; yaw_rate: number };
  /** Horizontal distance the base moved over the episode, m (world-frame base.linvel times the
   * control period, summed); absent without base.linvel. */
  drift_m?: number;
  /** The cmd_vel target (m/s, m/s, rad/s); absent without the cmd_vel reward. */
  command?: { x: number; y: number; yaw_rate: number };
}

/** Tick timing of the control loop (contract). */
export interface TickReport {
  count: number;
  budget_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  misses: number;
  fallbacks: number;
  rate_hz: number;
  pacing: 'lockstep' | 'realtime';
  /** Deadlines skipped because a tick ran past the next one (realtime pacing). */
  overruns: number;
  /** Ticks between episodes on a robot (ROS 2 link): the safe command, not counted in `count`. */
  held: number;
  /** The ticks the MPC policy acted on, apart (random ticks take microseconds). */
  mpc: { count: number; p50_ms: number; p99_ms: number; max_ms: number; misses: number };
}

/** The learned dynamics model serving at the end (contract); null until the learning loop exists. */
export interface ModelReport {
  version: number;
  train_loss: number;
  val_loss: number;
  h_step_error: number;
  /** The model.initial folder, when the model serving is the one loaded from it. */
  initial?: string;
}

/** What happened to one policy payload. */
export interface PolicyDecisionRecord {
  readonly round: number;
  readonly version: number | null;
  readonly decision: 'accepted' | 'rejected';
  readonly code?: string;
  readonly reason?: string;
  /** Imitation error (MSE, command units) on the recent labelled states the gate held. */
  readonly imitation_error?: number;
}

/** The report's `policy` section: the policy serving at the end. */
export interface PolicyReport {
  version: number;
  /** The fit's own loss (MSE in the normalised action space) on the aggregated set. */
  imitation_loss: number;
  /** The DAgger round after which it was accepted (the controller's count: a trainer process's
   * artifact numbers rounds by its own fits). */
  round: number;
  /** Labelled states the controller held when it was accepted, and its error on them. */
  imitation_error: number | null;
  /** policy.imitation: dagger, or bc (the expert acted in every round: the comparison run). */
  imitation: 'dagger' | 'bc';
  /** Labelled transitions the serving policy was fitted on. */
  labels: number;
  /**
   * Imitation error (MSE, command units) on the states the policy visited itself in the
   * evaluation episodes, each labelled by the expert planning that tick; null if none ran.
   */
  imitation_error_own_states: number | null;
  /** Labelled states behind imitation_error_own_states. */
  own_state_labels: number;
  /**
   * policy.return_weight > 0: what the last fit's return term did, the serving model's predicted
   * reward per step under the policy at its first and last Adam step; absent without one.
   */
  return_term?: { reward_per_step_before: number; reward_per_step_after: number; steps: number };
  decisions: PolicyDecisionRecord[];
  /**
   * Every accepted policy's validation: the mean return of the episodes of the rounds where it
   * acted on at least 90% of the ticks (none: not validated), and whether policy.select best
   * chose it for the evaluation episodes.
   */
  validation: {
    version: number;
    round: number;
    episodes: number;
    mean_return: number | null;
    selected: boolean;
  }[];
  dagger: {
    ticks: number;
    expert_acted: number;
    learner_acted: number;
    labelled: number;
    fallback_policy: number;
    fallback_shifted_plan: number;
    learner_faults: number;
    /** Ticks where the learner acted on a state the expert labelled (all rounds). */
    own_state_labels: number;
  };
}

/** The JSON summary written by `--report FILE` at exit and on SIGINT. */
export interface RunReport {
  strider: string;
  command: string;
  /** running: a periodic report written during the run (run.report_every_s). */
  status: 'completed' | 'interrupted' | 'failed' | 'running';
  started_at: string;
  finished_at: string;
  config: string;
  seed: number;
  robot: { name: string; model: string; joints: string[]; actuators: string[]; base: string };
  state: { dim: number; names: string[] };
  episodes: EpisodeReport[];
  ticks: TickReport;
  model: ModelReport | null;
  /** Every model version trained in this run, with its training and validation figures. */
  models: Array<{ version: number } & Record<string, number | string>>;
  /** MPC planner figures over the run (null without MPC). */
  planner: {
    optimizer: string;
    horizon: number;
    population: number;
    plans: number;
    /** Ticks where no iteration fitted the budget: the shifted previous plan was executed. */
    missed: number;
    overrun: number;
    mean_iterations: number;
    /**
     * Mean over plans of the executed sequence's predicted reward per horizon step, its median
     * (a running estimate, which a few diverging predictions do not pull), and the mean reward per
     * step the MPC episodes achieved (null: none). The predicted well above the achieved is the
     * planner exploiting the model's errors (docs/learning.md).
     */
    predicted_reward_per_step: number | null;
    predicted_reward_per_step_median: number | null;
    achieved_reward_per_step: number | null;
  } | null;
  /** Every hot-swap decision: accepted, rejected or rolled back, with the reason. */
  swaps: Array<{ version: number; decision: string; reason: string; atMs: number }>;
  /** Where training ran, and the transport's counters when it ran over MQTT. */
  trainer: { mode: string; transport: unknown } | null;
  /**
   * run.mode continuous: where each version took over (episode, step; mid_episode when the episode
   * was already running on another version) and how often the runner was started (1: never paused).
   */
  continuous?: {
    takeovers: Array<{
      version: number | null;
      episode: number;
      step: number;
      mid_episode: boolean;
    }>;
    swaps_mid_episode: number;
    runner_starts: number;
  };
  /**
   * The distilled policy serving at the end (control.policy dagger / policy): version, its fit's
   * imitation loss, its DAgger round, plus the gate's decisions and DAgger's tick counters; null
   * otherwise.
   */
  policy: PolicyReport | null;
  artifacts: Record<string, string>;
}

/** Write `report` as pretty JSON, creating the folder. Throws StriderError('IO') naming the path. */
export function writeReport(path: string, report: RunReport): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write report ${path}`, { cause });
  }
}
