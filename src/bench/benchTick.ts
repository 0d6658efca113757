import { RemoteTraining } from '../learning/RemoteTraining.js';
import { RunSession } from '../cli/RunSession.js';
import { minorGc } from '../util/minorGc.js';
import type { StriderConfig } from '../config/schema.js';
import { initWeights, makeArchitecture } from '../dynamics/architecture.js';
import { identityNormalisers } from '../dynamics/Normaliser.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
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
export async function benchTick(
  config: StriderConfig,
  logger: Logger,
  ticks: number,
): Promise<TickFigures> {
  return runTick(config, logger, ticks, null);
}

/** Ticks over budget in each phase of the disturbance benchmark. */
export interface DisturbanceFigures extends TickFigures {
  /** Per phase: normal, broker paused, broker back, trainer SIGKILLed. */
  readonly phases: ReadonlyArray<{
    readonly phase: string;
    readonly ticks: number;
    readonly misses: number;
  }>;
  /** Transitions the controller queued to the trainer, spooled while the broker was away, dropped. */
  readonly transitions_queued: number;
  readonly transitions_spooled: number;
  readonly transitions_dropped: number;
}

/**
 * The same tick while the controller streams every transition over the embedded broker to a
 * `strider train` child process, through four phases of equal length: normal; the broker paused
 * (gone: the outbox spools); the broker back (the spool drains); the trainer killed with SIGKILL.
 * The tick must not notice any of it.
 */
export async function benchTickDisturbed(
  config: StriderConfig,
  logger: Logger,
  ticks: number,
  remote: { configPath: string; overrides: readonly string[]; outDir: string },
): Promise<DisturbanceFigures> {
  let training: RemoteTraining | null = null;
  let tickCount = 0;
  let loopMisses = (): number => 0;
  const names = ['normal', 'broker paused', 'broker back', 'trainer killed'];
  const marks: Array<{ ticks: number; misses: number }> = [];
  const quarter = Math.floor(ticks / 4);
  const disturb = (phase: number): void => {
    const t = training;
    if (t === null) return;
    const fail = (err: unknown): void => {
      logger.warn({ err, phase: names[phase] }, 'disturbance failed');
    };
    if (phase === 1) t.pauseBroker().catch(fail);
    if (phase === 2) t.resumeBroker().catch(fail);
    if (phase === 3 && t.trainerPid !== null) process.kill(t.trainerPid, 'SIGKILL');
  };
  const figures = await runTick(config, logger, ticks, {
    onRecorded: (t, r, e, d) => training?.push(t, r, e, d),
    onStep: () => {
      tickCount++;
      if (tickCount % quarter === 0 && tickCount < 4 * quarter) {
        marks.push({ ticks: tickCount, misses: loopMisses() });
        disturb(marks.length);
      }
    },
    onOpen: async (session) => {
      loopMisses = () => session.parts.loop.stats.misses;
      const parts = session.parts;
      training = await RemoteTraining.start({
        config,
        configPath: remote.configPath,
        overrides: remote.overrides,
        outDir: remote.outDir,
        stateDim: parts.assembler.layout.dim,
        actionDim: parts.actuators.length,
        logger,
      });
    },
    onClose: async () => {
      await training?.close();
    },
  });
  marks.push({ ticks: figures.ticks, misses: figures.misses });
  const phases = marks.map((m, i) => ({
    phase: names[i] ?? `phase ${i}`,
    ticks: m.ticks - (marks[i - 1]?.ticks ?? 0),
    misses: m.misses - (marks[i - 1]?.misses ?? 0),
  }));
  const outbox = (training as RemoteTraining | null)?.report().outbox ?? {};
  return {
    ...figures,
    phases,
    transitions_queued: outbox['queued'] ?? 0,
    transitions_spooled: outbox['spooled'] ?? 0,
    transitions_dropped: outbox['dropped'] ?? 0,
  };
}

interface TickHooks {
  readonly onRecorded: NonNullable<ConstructorParameters<typeof RunSession>[0]['onRecorded']>;
  readonly onStep: () => void;
  readonly onOpen: (session: RunSession) => Promise<void>;
  readonly onClose: () => Promise<void>;
}

async function runTick(
  config: StriderConfig,
  logger: Logger,
  ticks: number,
  hooks: TickHooks | null,
): Promise<TickFigures> {
  // the young-generation GC in the gap after each tick, as `strider run` makes it (TickGaps' idle)
  const gc = config.control.gc_between_ticks ? minorGc() : null;
  const session = new RunSession({
    config,
    logger,
    ...(hooks !== null ? { onRecorded: hooks.onRecorded } : {}),
    onStep: () => {
      hooks?.onStep();
      gc?.();
    },
  });
  try {
    const parts = await session.open();
    await hooks?.onOpen(session);
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
      snapshot: {
        architecture,
        normalisers: identityNormalisers(S, A),
        weights: initWeights(architecture, 11),
      },
      metrics: {
        train_loss: Number.NaN,
        val_loss: Number.NaN,
        h_step_error: Number.NaN,
        h_step_baseline: Number.NaN,
        h_step_error_previous: Number.NaN,
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
    await hooks?.onClose();
    await session.close();
  }
}
