import type { PolicyConfig } from '../config/schema.js';
import { DaggerPolicy, daggerBeta, type ExpertPolicy } from '../control/DaggerPolicy.js';
import type { EpisodeRunner } from '../control/EpisodeRunner.js';
import type { PolicySwitch } from '../control/PolicySwitch.js';
import type { Transition } from '../control/types.js';
import type { OnnxPolicyNet } from '../dynamics/policy/OnnxPolicyNet.js';
import type { PolicyDecisionRecord, PolicyReport } from '../telemetry/Report.js';
import type { PolicyCommand, PolicySlot } from '../planning/PolicySeeds.js';
import type { Logger } from '../util/logger.js';
import type { PolicyGate } from './PolicyGate.js';
import type { PolicySource } from './PolicySource.js';

export interface DaggerLoopOptions {
  readonly runner: EpisodeRunner;
  readonly policy: PolicySwitch;
  /** The serving MPC policy (the expert) after the learning loop. */
  readonly expert: ExpertPolicy;
  readonly source: PolicySource;
  readonly gate: PolicyGate;
  readonly config: PolicyConfig;
  /** control.policy: dagger (beta mixing or gated per policy.mixing) or policy (the learner acts). */
  readonly mode: 'dagger' | 'policy';
  readonly actionDim: number;
  readonly seed: number;
  readonly logger: Logger;
  /** The task's live command the policy takes after the state (null: the task has none). */
  readonly command?: PolicyCommand | null;
  /** Where MPC's planners find the policy to seed their populations with (policy.seed_share). */
  readonly seedSlot?: PolicySlot;
}

/** A round counts as a policy's validation where it acted on at least this share of the ticks. */
export const VALIDATION_LEARNER_SHARE = 0.9;

/** One accepted policy: when, its gate error, and the returns of the rounds that validate it. */
interface Candidate {
  readonly policy: OnnxPolicyNet;
  readonly round: number;
  readonly error: number | null;
  returns: number[];
}

/**
 * DAgger (Ross et al. 2011, Alg. 3.1; Nagabandi et al. 2017, sec. V-A) after the learning loop:
 * round i runs `policy.episodes_per_round` episodes where the learner acts with probability
 * 1 - beta_i (or while within gate_distance of the expert, or always in mode policy), the MPC
 * expert labelling every visited state; the policy is refitted on the aggregate; the payload
 * passes PolicyGate and the accepted policy becomes the learner between episodes (a tick
 * boundary). Then `policy.eval_episodes` episodes of the policy alone (source "policy"), the
 * expert still labelling every state: the policy's imitation error on the states it visited
 * itself. With `policy.imitation: bc` every round is the expert's (beta 1): plain behaviour
 * cloning on MPC-only states, the same label count, evaluated the same way.
 * With `policy.select: best` the evaluation takes the accepted policy whose own rounds (those where
 * it acted on >= 90% of the ticks) scored the highest mean return: Alg. 3.1's "return best on
 * validation"; a refit can land worse than the policy before it (docs/learning.md).
 * The dynamics model stays the one serving at the end of the learning loop.
 */
export class DaggerLoop {
  readonly decisions: PolicyDecisionRecord[] = [];
  readonly dagger: DaggerPolicy;
  readonly #o: DaggerLoopOptions;
  /**
   * Every accepted policy, in order; each stays open until close() (policy.select best may go
   * back to one). Its round is the DAgger round after which it was accepted (a trainer process
   * numbers its artifacts by its own fits, which run more often than rounds).
   */
  readonly #candidates: Candidate[] = [];
  /** The one acting as the learner (the last accepted, or the one policy.select best chose). */
  #serving: Candidate | null = null;
  /** The one policy.select best chose (null: none validated, or select last). */
  #selected: Candidate | null = null;
  /** The evaluation episodes' own-state imitation error (null until they ran). */
  #ownStates: { labels: number; error: number | null } | null = null;

  constructor(options: DaggerLoopOptions) {
    this.#o = options;
    this.dagger = new DaggerPolicy({
      expert: options.expert,
      mode: 'mpc',
      actionDim: options.actionDim,
      gateDistance: options.config.gate_distance,
      seed: options.seed,
      command: options.command ?? null,
    });
  }

  /** vx, vy, yaw rate of the transition being observed. */
  readonly #commandRow = new Float32Array(3);

  /** The gate keeps recent labelled states; the source takes them into its aggregate. */
  readonly observe = (t: Transition): void => {
    const expert = t.expertAction;
    const c = this.#o.command;
    if (c !== null && c !== undefined) {
      this.#commandRow[0] = c.linearX;
      this.#commandRow[1] = c.linearY;
      this.#commandRow[2] = c.angularZ;
    }
    if (expert !== null && expert !== undefined) {
      this.#o.gate.observe(t.state, expert, c == null ? undefined : this.#commandRow);
    }
    this.#o.source.observe(t);
  };

  async run(): Promise<PolicyReport | null> {
    const o = this.#o;
    const c = o.config;
    const stopped = (): boolean => o.runner.stopped;
    o.policy.use(this.dagger);
    for (let round = 1; round <= c.rounds && !stopped(); round++) {
      this.dagger.setMode(this.#roundMode());
      this.dagger.setBeta(daggerBeta(round, c.beta_initial, c.beta_decay));
      o.logger.info(
        {
          round,
          mode: this.dagger.mode,
          beta: this.dagger.beta,
          learner: this.#serving?.policy.version,
        },
        'DAgger round',
      );
      const s = this.dagger.stats;
      const before = { ticks: s.ticks, learner: s.learnerActed };
      const episodes = await o.runner.runEpisodes(c.episodes_per_round);
      const ticks = s.ticks - before.ticks;
      const current = this.#serving;
      if (
        current !== null &&
        ticks > 0 &&
        (s.learnerActed - before.learner) / ticks >= VALIDATION_LEARNER_SHARE
      ) {
        current.returns.push(...episodes.map((e) => e.return));
      }
      if (stopped()) break;
      await this.#refit(round);
    }
    if (c.select === 'best') this.#selectBest();
    if (this.#serving !== null && !stopped()) {
      this.dagger.setMode('policy');
      o.logger.info(
        { version: this.#serving.policy.version },
        'evaluation episodes of the policy alone',
      );
      const s = this.dagger.stats;
      const before = { n: s.ownStateLabels, sum: s.ownStateSquaredError };
      await o.runner.runEpisodes(c.eval_episodes);
      const n = s.ownStateLabels - before.n;
      this.#ownStates = {
        labels: n,
        error: n > 0 ? (s.ownStateSquaredError - before.sum) / (n * o.actionDim) : null,
      };
    }
    return this.report();
  }

  report(): PolicyReport | null {
    const serving = this.#serving;
    if (serving === null) return null;
    const p = serving.policy;
    const s = this.dagger.stats;
    const ret = this.#o.source.lastReturnTerm?.() ?? null;
    return {
      version: p.version,
      imitation_loss: p.imitationLoss,
      round: serving.round,
      imitation_error: serving.error,
      imitation: this.#o.config.imitation,
      labels: p.snapshot.labelled,
      imitation_error_own_states: this.#ownStates?.error ?? null,
      own_state_labels: this.#ownStates?.labels ?? 0,
      ...(ret !== null
        ? {
            return_term: {
              reward_per_step_before: ret.rewardPerStepBefore,
              reward_per_step_after: ret.rewardPerStepAfter,
              steps: ret.steps,
            },
          }
        : {}),
      decisions: [...this.decisions],
      validation: this.#candidates.map((k) => ({
        version: k.policy.version,
        round: k.round,
        episodes: k.returns.length,
        mean_return: k.returns.length > 0 ? mean(k.returns) : null,
        selected: k === this.#selected,
      })),
      dagger: {
        ticks: s.ticks,
        expert_acted: s.expertActed,
        learner_acted: s.learnerActed,
        labelled: s.labelled,
        fallback_policy: s.fallbackPolicy,
        fallback_shifted_plan: s.fallbackShiftedPlan,
        learner_faults: s.learnerFaults,
        own_state_labels: s.ownStateLabels,
      },
    };
  }

  /** Frees every policy session this loop loaded (call after the learner stopped acting). */
  async close(): Promise<void> {
    this.dagger.setLearner(null);
    if (this.#o.seedSlot !== undefined) this.#o.seedSlot.policy = null;
    for (const k of this.#candidates) await k.policy.close();
    this.#candidates.length = 0;
    this.#serving = null;
  }

  #roundMode(): 'mpc' | 'policy' | 'mixed' | 'gated' {
    // behaviour cloning: only the expert acts (and labels) in every round
    if (this.#o.config.imitation === 'bc') return 'mpc';
    if (this.#o.mode === 'policy') return 'policy';
    return this.#o.config.mixing === 'gated' ? 'gated' : 'mixed';
  }

  /** Between episodes: nothing ticks, so the learner changes at a tick boundary. */
  #serve(k: Candidate): void {
    this.#serving = k;
    this.dagger.setLearner(k.policy);
    if (this.#o.seedSlot !== undefined) this.#o.seedSlot.policy = k.policy;
  }

  /** policy.select best: the validated policy with the highest mean return serves from now. */
  #selectBest(): void {
    let best: Candidate | null = null;
    for (const k of this.#candidates) {
      if (k.returns.length === 0) continue;
      if (best === null || mean(k.returns) > mean(best.returns)) best = k;
    }
    if (best === null) {
      this.#o.logger.info(
        'policy.select best: no policy acted alone enough to be validated; the last serves',
      );
      return;
    }
    this.#selected = best;
    this.#serve(best);
    this.#o.logger.info(
      {
        version: best.policy.version,
        round: best.round,
        meanReturn: mean(best.returns),
        episodes: best.returns.length,
      },
      'policy.select best: the best-validated policy serves',
    );
  }

  async #refit(round: number): Promise<void> {
    const o = this.#o;
    const payload = await o.source.next(round);
    if (payload === null) {
      o.logger.warn({ round }, 'no policy after this round (too few labels, or none arrived)');
      return;
    }
    const d = await o.gate.consider(payload);
    if (!d.accepted) {
      this.decisions.push({
        round,
        version: null,
        decision: 'rejected',
        code: d.code,
        reason: d.reason,
      });
      o.logger.warn(
        { round, code: d.code, reason: d.reason },
        'policy payload rejected; the serving policy stays',
      );
      return;
    }
    const error = Number.isFinite(d.imitationError) ? d.imitationError : null;
    this.decisions.push({
      round,
      version: d.policy.version,
      decision: 'accepted',
      ...(error !== null ? { imitation_error: error } : {}),
    });
    this.#candidates.push({ policy: d.policy, round, error, returns: [] });
    this.#serve(this.#candidates.at(-1)!);
    o.logger.info(
      {
        round,
        version: d.policy.version,
        imitationLoss: d.policy.imitationLoss,
        imitationError: error,
      },
      'policy accepted',
    );
  }
}

function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}
