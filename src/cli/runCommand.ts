import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { budgetMs, loadConfig, type StriderConfig } from '../config/index.js';
import {
  ControlLoop,
  DeadlineScheduler,
  EpisodeRunner,
  LockstepScheduler,
  PolicySwitch,
  RandomPolicy,
  SafetyGate,
  type EpisodeRecord,
  type TickScheduler,
} from '../control/index.js';
import { LearningLoop, ModelTrainer, type LearningSummary } from '../learning/index.js';
import { createReward } from '../planning/rewards.js';
import { MujocoLink } from '../robot/mujoco/index.js';
import { RealtimeSimDriver } from '../robot/RealtimeSimDriver.js';
import { StateAssembler } from '../state/index.js';
import { LatencyHistogram, Progress, writeReport, type RunReport } from '../telemetry/index.js';
import { writeRunPlots } from '../telemetry/runPlots.js';
import { monotonicClock, nodeTimers } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { mpcPolicyFactory, plannerShape } from './createMpcPolicy.js';

/** The config `strider run` uses without --config: the planar runner, shipped with strider. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/planar_runner.yaml', import.meta.url));

function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * JSON log lines always go to OUT/strider.log; on a terminal stderr shows warnings only (the
 * progress line carries the rest), elsewhere (CI, systemd) stderr gets the full log.
 */
function createRunLogger(config: StriderConfig, outDir: string): Logger {
  const level = (process.env['STRIDER_LOG_LEVEL'] as StriderConfig['log']['level'] | undefined) ?? config.log.level;
  const streams = [
    { level, stream: pino.destination({ dest: join(outDir, 'strider.log'), sync: true, mkdir: true }) },
    { level: process.stderr.isTTY ? 'warn' : level, stream: pino.destination({ fd: 2, sync: true }) },
  ];
  return pino({ name: 'strider', level, base: { pid: process.pid } }, pino.multistream(streams));
}

/** `strider run`: the composition root of the control loop on the configured robot. */
export async function runCommand(args: CommonArgs, version: string): Promise<number> {
  const startedAt = new Date();
  const { config, path: configPath } = loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: args.set });
  const outDir = resolve(args.out ?? join('runs', timestamp(startedAt)));
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new StriderError('IO', `cannot create output folder ${outDir}`, { cause });
  }
  const reportPath = resolve(args.report ?? join(outDir, 'report.json'));
  const logger = createRunLogger(config, outDir);
  const clock = monotonicClock;
  const periodMs = 1000 / config.control.rate_hz;
  const budget = budgetMs(config.control);
  const pacing = config.robot.mujoco.pacing;
  const learning = config.control.policy === 'mpc';
  if (learning) plannerShape(config); // fail on an inconsistent planner before any episode runs

  const link = new MujocoLink({
    modelPath: config.robot.model,
    controlPeriodSec: periodMs / 1000,
    resetNoiseScale: config.robot.mujoco.reset_noise,
    urdf: { floatingBase: config.robot.mujoco.floating_base },
    logger,
  });
  let simDriver: RealtimeSimDriver | null = null;
  const progress = new Progress();
  const signalled = { interrupted: false };
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled.interrupted = true;
    logger.warn({ signal }, 'stopping: finishing the current episode and writing the report');
    runner?.stop();
  };
  let runner: EpisodeRunner | null = null;
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const description = await link.configure();
    const assembler = new StateAssembler(description, config.state);
    const commanded = config.control.actuators ?? description.actuators.map((a) => a.name);
    const gate = new SafetyGate(link, description.actuators, commanded, assembler.layout);
    const commandedInfo = commanded.map((name) => description.actuators.find((a) => a.name === name)!);
    for (const a of commandedInfo) {
      if (!Number.isFinite(a.commandLimits[0]) || !Number.isFinite(a.commandLimits[1])) {
        throw new StriderError(
          'MODEL_UNSUPPORTED',
          `actuator "${a.name}" in ${description.modelPath} has no finite control range; ` +
            'random actions and the planner need one (MJCF: ctrlrange="lo hi"; URDF: <limit effort=...>)',
        );
      }
    }
    const reward = createReward(config.task, assembler.layout, commandedInfo);
    const random = new RandomPolicy(commandedInfo, { scale: config.control.random.scale, seed: config.run.seed });
    const policy = new PolicySwitch(random);
    const latency = new LatencyHistogram();
    const onError = (err: unknown): void => {
      logger.error({ err }, 'tick failed');
    };
    const scheduler: TickScheduler =
      pacing === 'lockstep'
        ? new LockstepScheduler({ clock, periodMs, onError })
        : new DeadlineScheduler({ periodMs, clock, timers: nodeTimers, onError });
    logger.info(
      {
        robot: description.name,
        model: description.modelPath,
        joints: description.joints.length,
        actuators: commanded.length,
        stateDim: assembler.layout.dim,
        rateHz: config.control.rate_hz,
        budgetMs: budget,
        pacing,
      },
      'configured',
    );

    let episodeRunner: EpisodeRunner | null = null;
    const loop = new ControlLoop({
      assembler,
      policy,
      gate,
      clock,
      budgetMs: budget,
      actionDim: commanded.length,
      latency,
      logger,
      onTransition: (t) => episodeRunner?.onTransition(t),
    });
    const total = learning
      ? config.learning.random_episodes + config.learning.iterations * config.learning.episodes_per_iteration
      : config.run.episodes;
    const steps = config.run.steps_per_episode;
    episodeRunner = new EpisodeRunner({
      link,
      assembler,
      loop,
      reward,
      scheduler,
      pacing,
      stepsPerEpisode: steps,
      actionDim: commanded.length,
      seed: config.run.seed,
      source: () => policy.source,
      logger,
      onStep: (ep, step, ret) => {
        progress.update(clock.nowMs(), () =>
          `episode ${ep + 1}/${total}  step ${step}/${steps}  return ${ret.toFixed(1)}  ` +
          `tick p50 ${latency.quantileMs(0.5).toFixed(3)} ms  p99 ${latency.quantileMs(0.99).toFixed(3)} ms  misses ${loop.stats.misses}`,
        );
      },
      onEpisode: (r) => {
        logger.info({ episode: r.index, steps: r.steps, return: r.return, source: r.source, terminated: r.terminated }, 'episode done');
      },
    });
    runner = episodeRunner;

    await link.activate(assembler);
    if (pacing === 'realtime') {
      simDriver = new RealtimeSimDriver(link, { periodMs, clock, timers: nodeTimers, logger });
      simDriver.start();
    }
    let summaryOfLearning: LearningSummary | null = null;
    if (learning) {
      const trainer = await ModelTrainer.create({
        stateDim: assembler.layout.dim,
        actionDim: commanded.length,
        model: config.model,
        randFraction: config.learning.rand_fraction,
        seed: config.run.seed,
        logger,
      });
      try {
        summaryOfLearning = await new LearningLoop({
          runner: episodeRunner,
          policy,
          random,
          trainer,
          makeMpcPolicy: mpcPolicyFactory({
            config,
            actuators: commandedInfo,
            reward,
            clock,
            budgetMs: budget,
            stateDim: assembler.layout.dim,
          }),
          randomEpisodes: config.learning.random_episodes,
          iterations: config.learning.iterations,
          episodesPerIteration: config.learning.episodes_per_iteration,
          logger,
          onModel: (m) => {
            progress.update(clock.nowMs(), () => `model v${m.version} serving: val loss ${m.metrics.val_loss.toFixed(3)}, H-step error ${m.metrics.h_step_error.toFixed(3)}`, 'force');
          },
        }).run();
      } finally {
        await trainer.close();
      }
    } else {
      await episodeRunner.runEpisodes(total);
    }
    const records = episodeRunner.records;
    progress.done();
    await simDriver?.stop();

    const artifacts: Record<string, string> = { report: reportPath, log: join(outDir, 'strider.log') };
    const plots = await writeRunPlots(outDir, records, latency, budget, logger);
    Object.assign(artifacts, plots);
    const report: RunReport = {
      strider: version,
      command: 'run',
      status: signalled.interrupted ? 'interrupted' : 'completed',
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      config: configPath,
      seed: config.run.seed,
      robot: {
        name: description.name,
        model: description.modelPath,
        joints: description.joints.map((j) => j.name),
        actuators: commanded,
        base: description.base.kind,
      },
      state: { dim: assembler.layout.dim, names: [...assembler.layout.names] },
      episodes: records.map(episodeReport),
      ticks: {
        count: loop.stats.ticks,
        budget_ms: budget,
        p50_ms: latency.quantileMs(0.5),
        p99_ms: latency.quantileMs(0.99),
        max_ms: latency.maxMs,
        misses: loop.stats.misses,
        fallbacks: loop.stats.fallbacks,
        rate_hz: config.control.rate_hz,
        pacing,
        overruns: scheduler.overruns,
      },
      model: lastModel(summaryOfLearning),
      models: summaryOfLearning?.models.map((m) => ({ version: m.version, ...m.metrics })) ?? [],
      planner: summaryOfLearning === null ? null : plannerReport(summaryOfLearning, config),
      artifacts,
    };
    writeReport(reportPath, report);
    process.stdout.write(summary(report, outDir));
    return signalled.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.done();
    await simDriver?.stop();
    await link.deactivate().catch((err: unknown) => {
      logger.warn({ err }, 'link deactivate failed');
    });
    await link.close();
  }
}

function lastModel(s: LearningSummary | null): RunReport['model'] {
  const m = s?.models[s.models.length - 1];
  if (m === undefined) return null;
  return { version: m.version, train_loss: m.metrics.train_loss, val_loss: m.metrics.val_loss, h_step_error: m.metrics.h_step_error };
}

function plannerReport(s: LearningSummary, config: StriderConfig): RunReport['planner'] {
  const p = s.planner;
  return {
    optimizer: config.planner.optimizer,
    horizon: config.planner.horizon,
    population: config.planner.population,
    plans: p.plans,
    missed: p.missed,
    overrun: p.overrun,
    mean_iterations: p.plans > 0 ? p.iterations / p.plans : 0,
  };
}

function episodeReport(r: EpisodeRecord): RunReport['episodes'][number] {
  const e: RunReport['episodes'][number] = { index: r.index, steps: r.steps, return: r.return, source: r.source };
  if (r.terminated !== null) e.terminated = r.terminated;
  return e;
}

function summary(report: RunReport, outDir: string): string {
  const returns = report.episodes.map((e) => e.return);
  const mean = returns.length > 0 ? returns.reduce((a, b) => a + b, 0) / returns.length : Number.NaN;
  const t = report.ticks;
  const lines = [
    `strider run ${report.status}: ${report.episodes.length} episodes on ${report.robot.name} (${report.robot.actuators.length} actuators, state dim ${report.state.dim})`,
    `  return per episode: ${returns.map((r) => r.toFixed(1)).join(', ')} (mean ${mean.toFixed(2)})`,
    `  ticks: ${t.count} at ${t.rate_hz} Hz ${t.pacing}; latency p50 ${t.p50_ms.toFixed(3)} ms, p99 ${t.p99_ms.toFixed(3)} ms, max ${t.max_ms.toFixed(3)} ms; budget ${t.budget_ms.toFixed(1)} ms; misses ${t.misses}; fallbacks ${t.fallbacks}`,
    `  output: ${outDir}`,
    ...Object.entries(report.artifacts).map(([k, v]) => `    ${k}: ${v}`),
  ];
  return `${lines.join('\n')}\n`;
}
