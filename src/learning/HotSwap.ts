import type { HotswapConfig } from '../config/schema.js';
import type { PolicySwitch } from '../control/PolicySwitch.js';
import type { EnsembleSnapshot } from '../dynamics/EnsembleSnapshot.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { OnnxEnsemble } from '../dynamics/OnnxEnsemble.js';
import type { EnsembleSessions } from '../dynamics/EnsembleSessions.js';
import type { MpcPolicy } from '../planning/MpcPolicy.js';
import type { Logger } from '../util/logger.js';

/** What happened to a candidate model version. */
export interface SwapDecision {
  readonly version: number;
  readonly decision: 'accepted' | 'rejected' | 'rolled_back';
  readonly reason: string;
  readonly atMs: number;
}

export interface HotSwapOptions {
  readonly policy: PolicySwitch;
  /** Builds and warms up the MPC policy of a version (ONNX session, planner); off the tick. */
  readonly makeMpcPolicy: (model: ModelVersion) => Promise<MpcPolicy>;
  /** Where the disagreement check runs each candidate (kept sessions); absent: a session each. */
  readonly sessions?: EnsembleSessions;
  readonly config: HotswapConfig;
  /** The tick budget; a candidate whose planner cannot fit one iteration in it is rejected. */
  readonly budgetMs: number;
  /** Recent (state, action) pairs the robot visited, for the disagreement check: n x S and n x A. */
  readonly recent: () => { states: Float32Array; actions: Float32Array; count: number } | null;
  readonly nowMs: () => number;
  readonly logger: Logger;
  /**
   * How long one planner iteration on a candidate takes, ms, judged against `budgetMs`. Default:
   * the policy's own warm-up measurement on the real clock (`iterationMsEstimate`). Tests pass a
   * fixed figure, so a loaded machine cannot turn an accepted version into a rejected one.
   */
  readonly timePlanner?: (policy: MpcPolicy) => number;
}

const measuredIteration = (policy: MpcPolicy): number => policy.iterationMsEstimate;

/**
 * Validates a candidate model off the tick, then stages it to take over at a tick boundary with a
 * canary, keeping the previous version loaded for rollback (DESIGN.md: gate, hot-swap). Checks, in
 * order: the H-step error is not worse than the serving version's by more than `h_step_margin`;
 * ensemble disagreement on recently visited states is within `max_disagreement`; the planner on it
 * fits at least one iteration in the tick budget (measured after warm-up). Checksum, shapes and
 * finiteness were checked when the artifact was decoded. Every decision is logged and kept.
 */
export class HotSwap {
  readonly decisions: SwapDecision[] = [];
  readonly #o: HotSwapOptions;
  #serving: ModelVersion | null = null;
  readonly #policies = new Map<number, MpcPolicy>();

  constructor(options: HotSwapOptions) {
    this.#o = options;
  }

  /** The version serving (or staged to serve) now. */
  get serving(): ModelVersion | null {
    return this.#serving;
  }

  /** Check `model`; when it passes, stage it. Resolves with the decision. Never throws. */
  async consider(model: ModelVersion): Promise<SwapDecision> {
    const o = this.#o;
    const reject = (reason: string): SwapDecision =>
      this.#decide(model.version, 'rejected', reason);
    if (this.#serving !== null && model.version <= this.#serving.version) {
      return reject(
        `version ${model.version} is not newer than serving version ${this.#serving.version}`,
      );
    }
    const reference = this.#referenceHStep(model);
    const candidate = model.metrics.h_step_error;
    if (reference !== null && Number.isFinite(candidate)) {
      const limit = reference.error * (1 + o.config.h_step_margin);
      if (candidate > limit) {
        return reject(
          `H-step error ${candidate.toFixed(4)} exceeds the serving model's ${reference.error.toFixed(4)} (${reference.on}) ` +
            `by more than ${(100 * o.config.h_step_margin).toFixed(0)}%`,
        );
      }
    }
    let disagreement = Number.NaN;
    try {
      disagreement = await this.#disagreement(model.snapshot);
    } catch (err) {
      return reject(
        `the ensemble could not be evaluated: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (disagreement > o.config.max_disagreement) {
      return reject(
        `ensemble disagreement ${disagreement.toFixed(3)} on recent states exceeds ${o.config.max_disagreement}`,
      );
    }
    let policy: MpcPolicy;
    try {
      policy = await o.makeMpcPolicy(model);
    } catch (err) {
      return reject(
        `the planner could not be built on it: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const iterationMs = (o.timePlanner ?? measuredIteration)(policy);
    if (!(iterationMs <= o.budgetMs)) {
      await policy.close();
      return reject(
        `one planner iteration takes ${iterationMs.toFixed(1)} ms, over the ${o.budgetMs} ms tick budget ` +
          '(lower planner.population, particles or horizon, or raise control.budget_ms)',
      );
    }
    await this.#retireAllBut(o.policy.current, o.policy.previous);
    this.#policies.set(model.version, policy);
    const previous = this.#serving;
    this.#serving = model;
    o.policy.stage(policy, {
      canaryTicks: o.config.canary_ticks,
      onRollback: (reason) => {
        this.#serving = previous;
        this.#decide(model.version, 'rolled_back', reason);
      },
    });
    const why = Number.isFinite(disagreement)
      ? `disagreement ${disagreement.toFixed(3)}`
      : 'no recent states yet';
    return this.#decide(
      model.version,
      'accepted',
      `${why}; planner iteration ${iterationMs.toFixed(1)} ms`,
    );
  }

  /**
   * The serving version's H-step error to compare `model`'s with. When the serving version is the
   * one the trainer refitted from (version - 1), the trainer measured it on the candidate's own
   * hold-out starts: the same data. Otherwise only its own figure exists, from its own (smaller,
   * older) hold-out: a weaker comparison, said so in the reason. Null: nothing to compare.
   */
  #referenceHStep(model: ModelVersion): { error: number; on: string } | null {
    const serving = this.#serving;
    if (serving === null) return null;
    const same = model.metrics.h_step_error_previous;
    if (serving.version === model.version - 1 && Number.isFinite(same))
      return { error: same, on: 'on the same held-out starts' };
    const own = serving.metrics.h_step_error;
    return Number.isFinite(own) ? { error: own, on: 'on its own hold-out' } : null;
  }

  /** Close every planner this swap built (at shutdown, when nothing ticks). */
  async close(): Promise<void> {
    for (const p of this.#policies.values()) await p.close();
    this.#policies.clear();
  }

  #decide(version: number, decision: SwapDecision['decision'], reason: string): SwapDecision {
    const d: SwapDecision = { version, decision, reason, atMs: this.#o.nowMs() };
    this.decisions.push(d);
    const log =
      decision === 'accepted'
        ? this.#o.logger.info.bind(this.#o.logger)
        : this.#o.logger.warn.bind(this.#o.logger);
    log({ version, decision, reason }, `model v${version} ${decision.replace('_', ' ')}`);
    return d;
  }

  /** Policies no longer serving nor kept for rollback are closed (their ONNX sessions freed). */
  async #retireAllBut(...keep: ReadonlyArray<unknown>): Promise<void> {
    for (const [version, p] of this.#policies) {
      if (keep.includes(p)) continue;
      this.#policies.delete(version);
      await p.close();
    }
  }

  /**
   * Mean over recent states of the std across members of the predicted next state, in units of
   * the candidate's state-delta std: how much the members disagree where the robot has been.
   */
  async #disagreement(snapshot: EnsembleSnapshot): Promise<number> {
    const recent = this.#o.recent();
    if (recent === null || recent.count === 0) return Number.NaN;
    const { stateDim: S, actionDim: A, ensembleSize: E } = snapshot.architecture;
    const n = recent.count;
    const ensemble = await OnnxEnsemble.create(snapshot, {
      maxBatchPerMember: n,
      intraOpNumThreads: 1,
      spin: false,
      ...(this.#o.sessions !== undefined ? { sessions: this.#o.sessions } : {}),
    });
    try {
      const states = new Float32Array(E * n * S);
      const actions = new Float32Array(E * n * A);
      for (let e = 0; e < E; e++) {
        states.set(recent.states.subarray(0, n * S), e * n * S);
        actions.set(recent.actions.subarray(0, n * A), e * n * A);
      }
      const out = new Float32Array(E * n * S);
      await ensemble.step(states, actions, n, out);
      const deltaStd = snapshot.normalisers.deltaStd;
      let total = 0;
      for (let b = 0; b < n; b++) {
        let perState = 0;
        for (let i = 0; i < S; i++) {
          let mean = 0;
          for (let e = 0; e < E; e++) mean += out[(e * n + b) * S + i]!;
          mean /= E;
          let v = 0;
          for (let e = 0; e < E; e++) v += (out[(e * n + b) * S + i]! - mean) ** 2;
          perState += Math.sqrt(v / E) / (deltaStd[i]! > 0 ? deltaStd[i]! : 1);
        }
        total += perState / S;
      }
      return total / n;
    } finally {
      await ensemble.close();
    }
  }
}
