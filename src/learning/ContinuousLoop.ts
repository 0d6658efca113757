import type { EpisodeRunner } from '../control/EpisodeRunner.js';
import type { PolicySwitch } from '../control/PolicySwitch.js';
import type { ActionPolicy } from '../control/types.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { RefitSchedule, type RefitScheduleOptions } from '../trainer/RefitSchedule.js';
import type { Logger } from '../util/logger.js';
import type { HotSwap, SwapDecision } from './HotSwap.js';
import type { LearningSummary, ModelRecord } from './LearningLoop.js';
import type { ModelSource } from './ModelSource.js';

export interface ContinuousLoopOptions {
  readonly runner: EpisodeRunner;
  readonly policy: PolicySwitch;
  readonly random: ActionPolicy;
  /** A source that does not wait (RemoteModelSource without `wait`), or one that trains now. */
  readonly models: ModelSource;
  readonly swap: HotSwap;
  /**
   * A source that trains when asked (in process): ask on this schedule, counted in transitions
   * handed to it. Without: ask at every poll (a trainer process keeps its own schedule).
   */
  readonly refit?: RefitScheduleOptions;
  /** Stop after this long (run.duration_s); default until stop(). */
  readonly durationMs?: number;
  /**
   * How often the watcher looks for a new version, ms. Default 200. It looks right after a tick
   * (observe()), so its work on this thread (fetching, checking and staging a version) runs in the
   * gap before the next tick rather than between a tick's model calls; a timer looks too when no
   * tick has come for two periods (a robot not ticking).
   */
  readonly pollMs?: number;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly onModel?: (model: ModelVersion, decision: SwapDecision) => void;
}

/** A model version that took over, and the tick where it first acted. */
export interface VersionTakeover {
  readonly version: number | null;
  readonly episode: number;
  /** The step of its first tick in the episode (1: the episode's first tick). */
  readonly step: number;
  /** True when the episode was already running on another version (a swap mid-episode). */
  readonly midEpisode: boolean;
}

/** What the continuous run did, for the report. */
export interface ContinuousSummary extends LearningSummary {
  readonly takeovers: readonly VersionTakeover[];
  /** runEpisodes() calls: 1, since control never pauses for training. */
  readonly runnerStarts: number;
}

/**
 * run.mode continuous: control never waits for training. The runner ticks one endless run of
 * episodes (on a simulator a fall or the episode length resets it and control goes on; the
 * episodes segment the data for the model), transitions stream to the trainer as they are recorded,
 * and a watcher off the tick hands each new version to the hot-swap gate, which stages it to take
 * over at the next tick boundary under its canary. Ends on stop() (SIGINT/SIGTERM) or after
 * `durationMs`.
 */
export class ContinuousLoop {
  readonly #o: ContinuousLoopOptions;
  /** Versions received, without their weights: a long run keeps only the serving one's. */
  readonly #models: ModelRecord[] = [];
  readonly #takeovers: VersionTakeover[] = [];
  readonly #refit: RefitSchedule | null;
  #runnerStarts = 0;
  #fed = 0;
  #fedTransitions = 0;
  #trainedTransitions = 0;
  #lastFitMs = 0;
  #acting: number | null | undefined = undefined;
  #actingEpisode = -1;
  #busy = false;
  #lastPollMs = Number.NEGATIVE_INFINITY;
  #lastTickMs = Number.NEGATIVE_INFINITY;

  constructor(options: ContinuousLoopOptions) {
    this.#o = options;
    this.#refit = options.refit === undefined ? null : new RefitSchedule(options.refit);
  }

  /** Versions that took over so far, with where (call observe() after every tick). */
  get takeovers(): readonly VersionTakeover[] {
    return this.#takeovers;
  }

  /** Versions received so far. */
  get models(): readonly ModelRecord[] {
    return this.#models;
  }

  /** runEpisodes() calls so far (1 once running: control never pauses for training). */
  get runnerStarts(): number {
    return this.#runnerStarts;
  }

  /**
   * After every tick: notes a version change between two ticks (where a swap took over), and
   * starts the watcher when it is due, in the gap after this tick.
   */
  readonly observe = (episode: number, step: number): void => {
    const now = this.#o.nowMs();
    this.#lastTickMs = now;
    if (!this.#busy && now - this.#lastPollMs >= (this.#o.pollMs ?? 200)) void this.#poll();
    const version = this.#o.policy.modelVersion ?? null;
    if (this.#acting === undefined) {
      this.#acting = version;
      this.#actingEpisode = episode;
      return;
    }
    if (version !== this.#acting) {
      this.#takeovers.push({
        version,
        episode,
        step,
        midEpisode: step > 1 && this.#actingEpisode === episode,
      });
      this.#acting = version;
    }
    this.#actingEpisode = episode;
  };

  async run(): Promise<ContinuousSummary> {
    const o = this.#o;
    o.policy.use(o.random);
    this.#lastFitMs = o.nowMs();
    const pollMs = o.pollMs ?? 200;
    const watcher = setInterval(() => {
      if (o.nowMs() - this.#lastTickMs > 2 * pollMs) void this.#poll();
    }, pollMs);
    const deadline =
      o.durationMs === undefined
        ? undefined
        : setTimeout(() => {
            o.logger.info({ durationMs: o.durationMs }, 'run.duration_s reached; stopping');
            o.runner.stop();
          }, o.durationMs);
    try {
      this.#runnerStarts++;
      await o.runner.runEpisodes(Number.MAX_SAFE_INTEGER);
    } finally {
      clearInterval(watcher);
      clearTimeout(deadline);
      while (this.#busy) await new Promise((r) => setTimeout(r, 20));
    }
    return { models: this.#models, takeovers: this.#takeovers, runnerStarts: this.#runnerStarts };
  }

  /** Off the tick: feed finished episodes, fetch (or train) a version, offer it to the gate. */
  async #poll(): Promise<void> {
    const o = this.#o;
    // a call, not a property read: stop() can come while next() or consider() is awaited
    const stopped = (): boolean => o.runner.stopped;
    if (this.#busy || stopped()) return;
    this.#busy = true;
    this.#lastPollMs = o.nowMs();
    try {
      this.#feed();
      const fresh = this.#fedTransitions - this.#trainedTransitions;
      if (this.#refit !== null && !this.#refit.due(fresh, o.nowMs() - this.#lastFitMs)) return;
      const asked = this.#fedTransitions;
      const model = await o.models.next();
      if (this.#refit !== null) {
        this.#trainedTransitions = asked;
        this.#lastFitMs = o.nowMs();
      }
      if (model === null || stopped()) return;
      this.#models.push({ version: model.version, metrics: model.metrics });
      const decision = await o.swap.consider(model);
      o.onModel?.(model, decision);
    } catch (err) {
      o.logger.error({ err }, 'continuous learning step failed; control goes on');
    } finally {
      this.#busy = false;
    }
  }

  /** Finished episodes to the model source (in process: its data; remote: already streamed). */
  #feed(): void {
    const records = this.#o.runner.records;
    if (this.#fed >= records.length) return;
    const fresh = records.slice(this.#fed);
    this.#fed = records.length;
    const random = fresh.filter((r) => r.source === 'random');
    const rl = fresh.filter((r) => r.source !== 'random');
    if (random.length > 0) this.#o.models.episodesDone(random, 'rand');
    if (rl.length > 0) this.#o.models.episodesDone(rl, 'rl');
    for (const r of fresh) this.#fedTransitions += r.steps;
    // handed on (in process: copied into the trainer's data; remote: already streamed)
    this.#o.runner.releaseTrajectories(this.#fed);
  }
}
