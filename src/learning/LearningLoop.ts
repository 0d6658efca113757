import type { EpisodeRecord, EpisodeRunner } from '../control/EpisodeRunner.js';
import type { PolicySwitch } from '../control/PolicySwitch.js';
import type { ActionPolicy } from '../control/types.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Logger } from '../util/logger.js';
import type { HotSwap, SwapDecision } from './HotSwap.js';
import type { ModelSource } from './ModelSource.js';

export interface LearningLoopOptions {
  readonly runner: EpisodeRunner;
  readonly policy: PolicySwitch;
  readonly random: ActionPolicy;
  readonly models: ModelSource;
  readonly swap: HotSwap;
  readonly randomEpisodes: number;
  readonly iterations: number;
  readonly episodesPerIteration: number;
  readonly logger: Logger;
  /** Called for each version offered to the swap, with the decision. */
  readonly onModel?: (model: ModelVersion, decision: SwapDecision) => void;
  /**
   * A model to start with (model.initial): offered to the swap before the first episode, so the
   * first episodes run on its planner if it passes the checks (else on random actions).
   */
  readonly initial?: ModelVersion;
}

/** A version received: its number and figures (the weights are the swap's business). */
export type ModelRecord = Pick<ModelVersion, 'version' | 'metrics'>;

/** What the loop did, for the report. */
export interface LearningSummary {
  /** Every version offered to the swap (model.initial's first), accepted or not. */
  readonly models: readonly ModelRecord[];
}

/**
 * Nagabandi et al. 2017, Algorithm 1: collect D_rand with random actions; fit the ensemble; then
 * repeat: run MPC with the newest model for some episodes, aggregate them into D_rl, refit on the
 * D_rand/D_rl mix. Where the fit happens is the ModelSource's business (this process, or a trainer
 * process over MQTT); each version passes the hot-swap gate and takes over at a tick boundary.
 */
export class LearningLoop {
  readonly #o: LearningLoopOptions;
  readonly #models: ModelRecord[] = [];

  constructor(options: LearningLoopOptions) {
    this.#o = options;
  }

  /** Versions received so far (the periodic report reads it during the run). */
  get models(): readonly ModelRecord[] {
    return this.#models;
  }

  async run(): Promise<LearningSummary> {
    const o = this.#o;
    const models = this.#models;
    // a call, not a property read: SIGINT can stop the runner while next() is awaited
    const stopped = (): boolean => o.runner.stopped;
    o.policy.use(o.random);
    if (o.initial !== undefined) {
      models.push({ version: o.initial.version, metrics: o.initial.metrics });
      o.onModel?.(o.initial, await o.swap.consider(o.initial));
    }
    this.#done(await o.runner.runEpisodes(o.randomEpisodes));
    for (let it = 0; it < o.iterations && !stopped(); it++) {
      const model = await o.models.next();
      if (model !== null && !stopped()) {
        models.push({ version: model.version, metrics: model.metrics });
        const decision = await o.swap.consider(model);
        o.onModel?.(model, decision);
      }
      o.logger.info(
        { iteration: it + 1, serving: o.swap.serving?.version ?? null },
        'episodes with the serving model',
      );
      this.#done(await o.runner.runEpisodes(o.episodesPerIteration));
    }
    return { models: [...models] };
  }

  #done(records: readonly EpisodeRecord[]): void {
    const random = records.filter((r) => r.source === 'random');
    const rl = records.filter((r) => r.source !== 'random');
    if (random.length > 0) this.#o.models.episodesDone(random, 'rand');
    if (rl.length > 0) this.#o.models.episodesDone(rl, 'rl');
  }
}
