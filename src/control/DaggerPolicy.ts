import type { PolicyCommand } from '../planning/PolicySeeds.js';
import { Rng } from '../util/rng.js';
import type { ActionPolicy, ActionSource } from './types.js';

/** The MPC expert as DAgger sees it (MpcPolicy implements it). */
export interface ExpertPolicy extends ActionPolicy {
  /** 'missed' when the last act() fitted no optimiser iteration (its action is the shifted plan). */
  readonly lastPlanStatus: 'planned' | 'missed';
}

/** The distilled policy as DAgger sees it (OnnxPolicyNet implements it). */
export interface LearnedPolicy {
  readonly version: number;
  readonly actionDim: number;
  /** I: S (state only), or S + 3 (the state, then the task's command: vx, vy, yaw rate). */
  readonly inputDim: number;
  act(input: Float32Array, out: Float32Array): Promise<void>;
  /** Acts synchronously where it can (true), else leaves it to act() (false). */
  actNow?(input: Float32Array, out: Float32Array): boolean;
}

/**
 * Who acts each tick (the expert plans every tick whichever acts, so every state is labelled):
 * - mpc: the expert; the learner only catches ticks where MPC missed its budget;
 * - policy: the learner (the expert while no learner is loaded);
 * - mixed: DAgger's beta mixing (Ross et al. 2011): the learner acts with probability 1 - beta;
 * - gated: the learner acts while its action is within `gateDistance` (Euclidean, command
 *   units) of the expert's, else the expert does: the safe mode for hardware.
 */
export type DaggerMode = 'mpc' | 'policy' | 'mixed' | 'gated';

/** Counters, for the report. */
export interface DaggerStats {
  ticks: number;
  /** Ticks whose executed action was the expert's / the learner's. */
  expertActed: number;
  learnerActed: number;
  /** Ticks with an expert label (MPC finished at least one iteration). */
  labelled: number;
  /** MPC missed its budget: the learner's action went out instead (fallback of kind policy). */
  fallbackPolicy: number;
  /** MPC missed its budget and no valid learner: the shifted previous plan went out. */
  fallbackShiftedPlan: number;
  /** Learner calls that threw or gave a non-finite action (treated as no learner that tick). */
  learnerFaults: number;
  /**
   * Ticks where the learner acted and the expert labelled the state (states the policy visited
   * itself), and the summed squared error of its action against the label over them (command
   * units, summed over the A dimensions): imitation error on own states = sum / (n x A).
   */
  ownStateLabels: number;
  ownStateSquaredError: number;
}

export interface DaggerPolicyOptions {
  readonly expert: ExpertPolicy;
  readonly mode: DaggerMode;
  readonly actionDim: number;
  /** Euclidean distance for mode 'gated', command units. */
  readonly gateDistance: number;
  /** Probability the expert acts in mode 'mixed' (DAgger's beta_i); setBeta() changes it. */
  readonly beta?: number;
  readonly seed?: number;
  /** The task's live command (CmdVelReward.target), fed after the state to a learner with
   * inputDim S + 3; null/absent: the task has none (such a learner never acts). */
  readonly command?: PolicyCommand | null;
}

/**
 * The control-loop policy of DAgger distillation. Each tick: the learner (microseconds) runs
 * first, then the expert plans by the deadline; the executed action is chosen by the mode; the
 * expert's action is kept as the tick's label unless MPC missed its budget (then there is no
 * label: the shifted plan is never passed off as the expert's). When MPC misses, the fallback
 * chain is the learner's action, then the shifted plan (the gate's safe command stays the
 * control loop's answer to a throw). Buffers are allocated here; act() allocates only its promise.
 */
export class DaggerPolicy implements ActionPolicy {
  readonly stats: DaggerStats = {
    ticks: 0,
    expertActed: 0,
    learnerActed: 0,
    labelled: 0,
    fallbackPolicy: 0,
    fallbackShiftedPlan: 0,
    learnerFaults: 0,
    ownStateLabels: 0,
    ownStateSquaredError: 0,
  };
  readonly #o: DaggerPolicyOptions;
  readonly #expertOut: Float32Array;
  readonly #learnerOut: Float32Array;
  readonly #rng: Rng;
  #mode: DaggerMode;
  #learner: LearnedPolicy | null = null;
  /** The learner's input (state, then command), sized in setLearner (off the tick). */
  #input = new Float32Array(0);
  #beta: number;
  #hasLabel = false;

  constructor(options: DaggerPolicyOptions) {
    this.#o = options;
    this.#mode = options.mode;
    this.#beta = options.beta ?? 1;
    this.#expertOut = new Float32Array(options.actionDim);
    this.#learnerOut = new Float32Array(options.actionDim);
    this.#rng = new Rng(options.seed ?? 0xda66e2);
  }

  get source(): ActionSource {
    switch (this.#mode) {
      case 'mpc':
        return 'mpc';
      case 'policy':
        return this.#learner === null ? 'mpc' : 'policy';
      case 'mixed':
      case 'gated':
        return this.#learner === null ? 'mpc' : 'mixed';
    }
  }

  get modelVersion(): number | undefined {
    return this.#o.expert.modelVersion;
  }

  get mode(): DaggerMode {
    return this.#mode;
  }

  get beta(): number {
    return this.#beta;
  }

  get learner(): LearnedPolicy | null {
    return this.#learner;
  }

  /** Between ticks: the learner that acts from the next tick on (null: none). */
  setLearner(learner: LearnedPolicy | null): void {
    this.#learner = learner;
    if (learner !== null && this.#input.length !== learner.inputDim) {
      this.#input = new Float32Array(learner.inputDim);
    }
  }

  setMode(mode: DaggerMode): void {
    this.#mode = mode;
  }

  /** DAgger's beta_i: the probability that the expert acts in mode 'mixed'. */
  setBeta(beta: number): void {
    this.#beta = Math.min(1, Math.max(0, beta));
  }

  async act(state: Float32Array, deadlineMs: number, out: Float32Array): Promise<void> {
    const s = this.stats;
    s.ticks++;
    const learnerOk = await this.#runLearner(state);
    await this.#o.expert.act(state, deadlineMs, this.#expertOut);
    const missed = this.#o.expert.lastPlanStatus === 'missed';
    this.#hasLabel = !missed;
    if (!missed) s.labelled++;
    let useLearner: boolean;
    if (missed) {
      useLearner = learnerOk;
      if (learnerOk) s.fallbackPolicy++;
      else s.fallbackShiftedPlan++;
    } else if (!learnerOk) {
      useLearner = false;
    } else {
      switch (this.#mode) {
        case 'mpc':
          useLearner = false;
          break;
        case 'policy':
          useLearner = true;
          break;
        case 'mixed':
          useLearner = this.#rng.next() >= this.#beta;
          break;
        case 'gated':
          useLearner = this.#distance() <= this.#o.gateDistance;
          break;
      }
    }
    if (useLearner) {
      s.learnerActed++;
      if (!missed) {
        s.ownStateLabels++;
        s.ownStateSquaredError += this.#distance() ** 2;
      }
      out.set(this.#learnerOut);
    } else {
      s.expertActed++;
      out.set(this.#expertOut);
    }
  }

  /** Copies the last tick's expert label into `out`; false when there is none (MPC missed). */
  expertLabel(out: Float32Array): boolean {
    if (!this.#hasLabel) return false;
    out.set(this.#expertOut);
    return true;
  }

  reset(): void {
    this.#hasLabel = false;
    this.#o.expert.reset?.();
  }

  async #runLearner(state: Float32Array): Promise<boolean> {
    const learner = this.#learner;
    if (learner === null) return false;
    const input = this.#inputFor(learner, state);
    if (input === null) {
      // an input this tick cannot fill (a command the task does not have, another state width)
      this.stats.learnerFaults++;
      return false;
    }
    try {
      if (learner.actNow?.(input, this.#learnerOut) !== true)
        await learner.act(input, this.#learnerOut);
    } catch {
      // a learner that throws is treated as absent this tick; the expert (or the gate) acts
      this.stats.learnerFaults++;
      return false;
    }
    for (let i = 0; i < this.#learnerOut.length; i++) {
      if (!Number.isFinite(this.#learnerOut[i]!)) {
        this.stats.learnerFaults++;
        return false;
      }
    }
    return true;
  }

  /** The state itself (I = S), or state ++ command (I = S + 3); null when neither fits. */
  #inputFor(learner: LearnedPolicy, state: Float32Array): Float32Array | null {
    const S = state.length;
    if (learner.inputDim === S) return state;
    const command = this.#o.command;
    if (learner.inputDim !== S + 3 || command === null || command === undefined) return null;
    const input = this.#input;
    input.set(state);
    input[S] = command.linearX;
    input[S + 1] = command.linearY;
    input[S + 2] = command.angularZ;
    return input;
  }

  #distance(): number {
    let d = 0;
    for (let i = 0; i < this.#expertOut.length; i++) {
      const e = this.#learnerOut[i]! - this.#expertOut[i]!;
      d += e * e;
    }
    return Math.sqrt(d);
  }
}

/** DAgger's beta for round i >= 1: beta_i = initial * decay^(i - 1) (Ross et al. 2011, sec. 3). */
export function daggerBeta(round: number, initial: number, decay: number): number {
  return round < 1 ? 1 : initial * decay ** (round - 1);
}
