import { RunSession } from '../cli/RunSession.js';
import type { StriderConfig } from '../config/schema.js';
import { initWeights, makeArchitecture } from '../dynamics/architecture.js';
import { identityNormalisers } from '../dynamics/Normaliser.js';
import type { ModelVersion } from '../learning/types.js';
import type { Logger } from '../util/logger.js';

export interface TickFigures {
  readonly rate_hz: number;
  readonly budget_ms: number;
  readonly ticks: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  /** Ticks over budget. */
  readonly misses: number;
  /** Controller deadlines skipped because a tick ran past the next one. */
  readonly overruns: number;
  /** Ticks where no planner iteration fitted: the shifted previous plan was executed. */
  readonly planner_missed: number;
  readonly mean_planner_iterations: number;
}

/**
 * The control tick at `config.control.rate_hz` in real-time pacing: the simulator steps on its own
 * deadline clock (like a robot), the controller plans with MPC over an ensemble of the configured
 * size (random weights: the cost does not depend on them) and sends through the safety gate.
 */
export async function benchTick(config: StriderConfig, logger: Logger, ticks: number): Promise<TickFigures> {
  const session = new RunSession({ config, logger });
  try {
    const parts = await session.open();
    const S = parts.assembler.layout.dim;
    const A = parts.actuators.length;
    const m = config.model;
    const architecture = makeArchitecture({
      stateDim: S,
      actionDim: A,
      ensembleSize: m.ensemble_size,
      hiddenSizes: m.hidden,
      activation: m.activation,
      output: m.output,
    });
    const model: ModelVersion = {
      version: 0,
      snapshot: { architecture, normalisers: identityNormalisers(S, A), weights: initWeights(architecture, 11) },
      metrics: {
        train_loss: Number.NaN,
        val_loss: Number.NaN,
        h_step_error: Number.NaN,
        h_step_baseline: Number.NaN,
        train_transitions: 0,
        rand_transitions: 0,
        rl_transitions: 0,
        epochs: 0,
        train_seconds: 0,
        sample_passes_per_s: 0,
        backend: 'none',
      },
    };
    const mpc = await session.mpcPolicyFactory()(model);
    parts.policy.use(mpc);
    try {
      await parts.runner.runEpisodes(Math.max(1, Math.ceil(ticks / config.run.steps_per_episode)));
    } finally {
      parts.policy.use(parts.random);
      await mpc.close();
    }
    const l = session.latency;
    return {
      rate_hz: config.control.rate_hz,
      budget_ms: session.budgetMs,
      ticks: parts.loop.stats.ticks,
      p50_ms: l.quantileMs(0.5),
      p99_ms: l.quantileMs(0.99),
      max_ms: l.maxMs,
      misses: parts.loop.stats.misses,
      overruns: parts.scheduler.overruns,
      planner_missed: mpc.stats.missed,
      mean_planner_iterations: mpc.stats.plans > 0 ? mpc.stats.iterations / mpc.stats.plans : 0,
    };
  } finally {
    await session.close();
  }
}
