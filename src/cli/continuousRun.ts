import type { EpisodeRunner, PolicySwitch } from '../control/index.js';
import type { ActionPolicy } from '../control/types.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import {
  ContinuousLoop,
  type LearningLoop,
  type HotSwap,
  type ModelSource,
  type SwapDecision,
} from '../learning/index.js';
import { emptyMpcPolicyStats, type MpcPolicyStats } from '../planning/MpcPolicy.js';
import type { ModelSupply } from './ModelSupply.js';
import type { RunOutcome } from './runReport.js';
import type { RunSession } from './RunSession.js';

/**
 * The continuous loop of `strider run` (run.mode continuous) on the session's parts: a trainer in
 * this process is asked on the refit schedule (trainer.refit_transitions / refit_s; a trainer
 * process keeps that schedule itself), and run.duration_s ends the run.
 */
export function continuousLoop(
  session: RunSession,
  parts: {
    runner: EpisodeRunner;
    policy: PolicySwitch;
    random: ActionPolicy;
    models: ModelSource;
    swap: HotSwap;
  },
  onModel: (model: ModelVersion, decision: SwapDecision) => void,
): ContinuousLoop {
  const { config, logger } = session;
  const t = config.trainer;
  return new ContinuousLoop({
    ...parts,
    ...(t.mode === 'in_process'
      ? { refit: { transitions: t.refit_transitions, seconds: t.refit_s } }
      : {}),
    ...(config.run.duration_s !== undefined ? { durationMs: config.run.duration_s * 1000 } : {}),
    nowMs: () => session.clock.nowMs(),
    logger,
    onModel,
  });
}

/**
 * What a continuous run has done so far, for the periodic report and the progress hook: observe()
 * after every tick (where versions take over), outcome() at any time.
 */
export class LiveRun {
  observe: ((episode: number, step: number) => void) | null = null;
  #outcome: () => RunOutcome = () => ({
    learned: null,
    swaps: [],
    transport: null,
    plannerStats: emptyMpcPolicyStats(),
  });

  /**
   * From now on, report what `loop` and its swap gate and model supply have done (a continuous
   * loop, or Alg. 1's episodes loop: then without the continuous section).
   */
  follow(
    loop: ContinuousLoop | LearningLoop,
    swap: HotSwap,
    supply: ModelSupply,
    stats: MpcPolicyStats,
  ): void {
    if (loop instanceof ContinuousLoop) this.observe = loop.observe;
    this.#outcome = () => ({
      learned: { models: [...loop.models] },
      swaps: [...swap.decisions],
      transport: supply.remote?.report() ?? null,
      plannerStats: stats,
      ...(loop instanceof ContinuousLoop
        ? { continuous: { takeovers: [...loop.takeovers], runnerStarts: loop.runnerStarts } }
        : {}),
    });
  }

  outcome(): RunOutcome {
    return this.#outcome();
  }
}
