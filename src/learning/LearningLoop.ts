import type { EpisodeRecord, EpisodeRunner } from '../control/EpisodeRunner.js';
import type { PolicySwitch } from '../control/PolicySwitch.js';
import type { ActionPolicy } from '../control/types.js';
import type { MpcPolicy, MpcPolicyStats } from '../planning/MpcPolicy.js';
import type { Logger } from '../util/logger.js';
import type { ModelVersion, Trainer } from './types.js';

export interface LearningLoopOptions {
  readonly runner: EpisodeRunner;
  readonly policy: PolicySwitch;
  readonly random: ActionPolicy;
  readonly trainer: Trainer;
  /** Builds the MPC policy for a model version (ONNX session, planner): off the tick, between episodes. */
  readonly makeMpcPolicy: (model: ModelVersion) => Promise<MpcPolicy>;
  readonly randomEpisodes: number;
  readonly iterations: number;
  readonly episodesPerIteration: number;
  readonly logger: Logger;
  /** Called when a model version starts serving. */
  readonly onModel?: (model: ModelVersion) => void;
}

/** What the loop did, for the report. */
export interface LearningSummary {
  readonly models: ModelVersion[];
  readonly planner: MpcPolicyStats;
}

/**
 * Nagabandi et al. 2017, Algorithm 1: collect D_rand with random actions; fit the ensemble; then
 * repeat: run MPC with the newest model for some episodes, aggregate them into D_rl, refit on the
 * D_rand/D_rl mix. Model versions swap in between episodes, never inside one. Training runs in
 * this process between episodes for now; the trainer process moves it off the controller.
 */
export class LearningLoop {
  readonly #o: LearningLoopOptions;

  constructor(options: LearningLoopOptions) {
    this.#o = options;
  }

  async run(): Promise<LearningSummary> {
    const o = this.#o;
    const models: ModelVersion[] = [];
    const planner: MpcPolicyStats = { plans: 0, missed: 0, overrun: 0, iterations: 0 };
    let serving: MpcPolicy | null = null;
    const retire = async (policy: MpcPolicy | null): Promise<void> => {
      if (policy === null) return;
      planner.plans += policy.stats.plans;
      planner.missed += policy.stats.missed;
      planner.overrun += policy.stats.overrun;
      planner.iterations += policy.stats.iterations;
      await policy.close();
    };

    o.policy.use(o.random);
    this.#aggregate(await o.runner.runEpisodes(o.randomEpisodes), 'rand');
    try {
      for (let it = 0; it < o.iterations && !o.runner.stopped; it++) {
        const model = await o.trainer.train();
        models.push(model);
        const next = await o.makeMpcPolicy(model);
        o.policy.use(next);
        await retire(serving);
        serving = next;
        o.onModel?.(model);
        o.logger.info({ iteration: it + 1, version: model.version }, 'MPC episodes with the new model');
        this.#aggregate(await o.runner.runEpisodes(o.episodesPerIteration), 'rl');
      }
    } finally {
      o.policy.use(o.random);
      await retire(serving);
    }
    return { models, planner };
  }

  #aggregate(records: readonly EpisodeRecord[], source: 'rand' | 'rl'): void {
    for (const r of records) {
      if (r.steps > 0) this.#o.trainer.addTrajectory({ states: r.states, actions: r.actions }, source);
    }
  }
}
