import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig, type StriderConfig } from '../config/index.js';
import type { EpisodeRecord } from '../control/index.js';
import {
  HotSwap,
  InProcessModelSource,
  LearningLoop,
  RemoteTraining,
  type LearningSummary,
  type ModelSource,
  type RemoteTrainingReport,
  type SwapDecision,
} from '../learning/index.js';
import type { MpcPolicyStats } from '../planning/MpcPolicy.js';
import { Progress, runLogStreams, writeReport, type RunReport } from '../telemetry/index.js';
import { ModelTrainer } from '../trainer/index.js';
import { writeRunPlots } from '../telemetry/runPlots.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { plannerShape } from './createMpcPolicy.js';
import { RunSession } from './RunSession.js';
import type { RclnodejsApi } from '../robot/ros2/rclnodejsApi.js';

/** The config `strider run` uses without --config: the planar runner, shipped with strider. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/planar_runner.yaml', import.meta.url));

/** Local time as YYYYMMDD-HHMMSS, for default output folder names. */
export function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates OUT (StriderError IO naming it on failure) and returns its absolute path. */
export function prepareOutDir(out: string | undefined, startedAt: Date): string {
  const outDir = resolve(out ?? join('runs', timestamp(startedAt)));
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new StriderError('IO', `cannot create output folder ${outDir}`, { cause });
  }
  return outDir;
}

/**
 * JSON log lines always go to OUT/<file> (default strider.log). stderr gets the full log off a
 * terminal (CI, systemd, a parent process reading it); on a terminal, with `stderr: 'tty-warn'`
 * (the default), only warnings, as short lines above `progress` when given (telemetry/runLogStreams).
 */
export function createRunLogger(
  config: StriderConfig,
  outDir: string,
  options: { name?: string; file?: string; stderr?: 'tty-warn' | 'all'; progress?: Progress } = {},
): Logger {
  const level = (process.env['STRIDER_LOG_LEVEL'] as StriderConfig['log']['level'] | undefined) ?? config.log.level;
  const streams = runLogStreams({ level, outDir, ...options });
  return pino({ name: options.name ?? 'strider', level, base: { pid: process.pid } }, pino.multistream(streams));
}

/** What `strider run` takes from outside when it is not the CLI calling (tests). */
export interface RunDependencies {
  /** The rclnodejs module for robot.link ros2 (default: imported when the link configures). */
  readonly rclnodejs?: RclnodejsApi;
}

/** `strider run`: random episodes, or the learning loop (control.policy mpc), then report and plots. */
export async function runCommand(args: CommonArgs, version: string, deps: RunDependencies = {}): Promise<number> {
  const startedAt = new Date();
  const { config, path: configPath } = loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: args.set });
  const learning = config.control.policy === 'mpc';
  if (learning) plannerShape(config); // fail on an inconsistent planner before any episode runs
  const outDir = prepareOutDir(args.out, startedAt);
  const reportPath = resolve(args.report ?? join(outDir, 'report.json'));
  const progress = new Progress();
  const logger = createRunLogger(config, outDir, { progress });
  const total = learning
    ? config.learning.random_episodes + config.learning.iterations * config.learning.episodes_per_iteration
    : config.run.episodes;
  const steps = config.run.steps_per_episode;
  let remote: RemoteTraining | null = null;
  const session: RunSession = new RunSession({
    config,
    logger,
    ...(deps.rclnodejs !== undefined ? { rclnodejs: deps.rclnodejs } : {}),
    onRecorded: (t, reward, episode, done) => remote?.push(t, reward, episode, done),
    onStep: (ep, step, ret) => {
      progress.update(session.clock.nowMs(), () => {
        const l = session.latency;
        return (
          `episode ${ep + 1}/${total} (${session.parts.policy.source})  step ${step}/${steps}  return ${ret.toFixed(1)}  ` +
          `tick p50 ${l.quantileMs(0.5).toFixed(2)} ms  p99 ${l.quantileMs(0.99).toFixed(2)} ms  misses ${session.parts.loop.stats.misses}`
        );
      });
    },
    onEpisode: (r) => {
      logger.info({ episode: r.index, steps: r.steps, return: r.return, source: r.source, terminated: r.terminated }, 'episode done');
    },
  });

  const signalled = { interrupted: false };
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled.interrupted = true;
    logger.warn({ signal }, 'stopping: finishing the current episode and writing the report');
    session.stop();
    remote?.models.close(); // a lockstep wait for the trainer's next model ends now
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const parts = await session.open();
    let learned: LearningSummary | null = null;
    let swaps: SwapDecision[] = [];
    let transport: RemoteTrainingReport | null = null;
    const plannerStats: MpcPolicyStats = { plans: 0, missed: 0, overrun: 0, iterations: 0 };
    if (learning) {
      const S = parts.assembler.layout.dim;
      const A = parts.actuators.length;
      let trainer: ModelTrainer | null = null;
      let models: ModelSource;
      if (config.trainer.mode === 'in_process') {
        if (config.robot.link === 'ros2') {
          logger.warn(
            'trainer.mode in_process on a robot: training shares the control loop\u2019s event loop, so the ' +
              'safe command between episodes can be late; the default trainer.mode child trains in another process',
          );
        }
        trainer = await ModelTrainer.create({
          stateDim: S,
          actionDim: A,
          model: config.model,
          randFraction: config.learning.rand_fraction,
          seed: config.run.seed,
          logger,
        });
        models = new InProcessModelSource(trainer);
      } else {
        remote = await RemoteTraining.start({ config, configPath, overrides: args.set, outDir, stateDim: S, actionDim: A, logger });
        models = remote.models;
      }
      const swap = new HotSwap({
        policy: parts.policy,
        makeMpcPolicy: session.mpcPolicyFactory(plannerStats),
        config: config.hotswap,
        budgetMs: session.budgetMs,
        recent: () => recentVisits(parts.runner.records, S, A),
        nowMs: () => session.clock.nowMs(),
        logger,
      });
      try {
        learned = await new LearningLoop({
          runner: parts.runner,
          policy: parts.policy,
          random: parts.random,
          models,
          swap,
          randomEpisodes: config.learning.random_episodes,
          iterations: config.learning.iterations,
          episodesPerIteration: config.learning.episodes_per_iteration,
          logger,
          onModel: (m, d) => {
            progress.update(
              session.clock.nowMs(),
              () =>
                `model v${m.version} ${d.decision}: val loss ${m.metrics.val_loss.toFixed(3)}, H-step error ` +
                `${m.metrics.h_step_error.toFixed(3)} (zero-delta ${m.metrics.h_step_baseline.toFixed(3)})`,
              'force',
            );
          },
        }).run();
      } finally {
        parts.policy.use(parts.random);
        await swap.close();
        swaps = swap.decisions;
        await trainer?.close();
        if (remote !== null) {
          await remote.close();
          transport = remote.report();
        }
      }
    } else {
      await parts.runner.runEpisodes(total);
    }
    progress.done();
    const records = parts.runner.records;

    const artifacts: Record<string, string> = { report: reportPath, log: join(outDir, 'strider.log') };
    Object.assign(artifacts, await writeRunPlots(outDir, records, session.latency, session.budgetMs, logger));
    const { loop, scheduler, description, assembler, actuators } = parts;
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
        actuators: actuators.map((a) => a.name),
        base: description.base.kind,
      },
      state: { dim: assembler.layout.dim, names: [...assembler.layout.names] },
      episodes: records.map(episodeReport),
      ticks: {
        count: loop.stats.ticks,
        budget_ms: session.budgetMs,
        p50_ms: session.latency.quantileMs(0.5),
        p99_ms: session.latency.quantileMs(0.99),
        max_ms: session.latency.maxMs,
        misses: loop.stats.misses,
        fallbacks: loop.stats.fallbacks + plannerStats.missed,
        rate_hz: config.control.rate_hz,
        pacing: session.pacing,
        overruns: scheduler.overruns,
        held: loop.stats.held,
      },
      model: servingModel(learned, swaps),
      models: learned?.models.map((m) => ({ version: m.version, ...m.metrics })) ?? [],
      swaps,
      planner: learned === null ? null : plannerReport(plannerStats, config),
      trainer: learned === null ? null : { mode: config.trainer.mode, transport },
      artifacts,
    };
    writeReport(reportPath, report);
    process.stdout.write(summary(report, outDir));
    return signalled.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.done();
    await session.close();
  }
}

/** The last version that was accepted and not rolled back. */
function servingModel(s: LearningSummary | null, swaps: readonly SwapDecision[]): RunReport['model'] {
  let serving: number | null = null;
  for (const d of swaps) {
    if (d.decision === 'accepted') serving = d.version;
    else if (d.decision === 'rolled_back' && serving === d.version) serving = null;
  }
  const m = s?.models.find((x) => x.version === serving);
  if (m === undefined) return null;
  return { version: m.version, train_loss: m.metrics.train_loss, val_loss: m.metrics.val_loss, h_step_error: m.metrics.h_step_error };
}

function plannerReport(p: MpcPolicyStats, config: StriderConfig): RunReport['planner'] {
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

/** Up to 64 (state, action) pairs from the newest episode, for the swap's disagreement check. */
function recentVisits(
  records: readonly EpisodeRecord[],
  S: number,
  A: number,
): { states: Float32Array; actions: Float32Array; count: number } | null {
  const last = records[records.length - 1];
  if (last === undefined || last.steps === 0) return null;
  const count = Math.min(64, last.steps);
  const stride = Math.max(1, Math.floor(last.steps / count));
  const states = new Float32Array(count * S);
  const actions = new Float32Array(count * A);
  for (let k = 0; k < count; k++) {
    const t = k * stride;
    states.set(last.states.subarray(t * S, (t + 1) * S), k * S);
    actions.set(last.actions.subarray(t * A, (t + 1) * A), k * A);
  }
  return { states, actions, count };
}

function episodeReport(r: EpisodeRecord): RunReport['episodes'][number] {
  const e: RunReport['episodes'][number] = { index: r.index, steps: r.steps, return: r.return, source: r.source };
  if (r.terminated !== null) e.terminated = r.terminated;
  return e;
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

function summary(report: RunReport, outDir: string): string {
  const t = report.ticks;
  const bySource = new Map<string, number[]>();
  for (const e of report.episodes) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e.return]);
  const lines = [
    `strider run ${report.status}: ${report.episodes.length} episodes on ${report.robot.name} (${report.robot.actuators.length} actuators, state dim ${report.state.dim})`,
    `  return per episode: ${report.episodes.map((e) => e.return.toFixed(1)).join(', ')}`,
    `  mean return by source: ${[...bySource].map(([s, r]) => `${s} ${mean(r).toFixed(1)} (${r.length})`).join(', ')}`,
    `  ticks: ${t.count} at ${t.rate_hz} Hz ${t.pacing}; latency p50 ${t.p50_ms.toFixed(3)} ms, p99 ${t.p99_ms.toFixed(3)} ms, max ${t.max_ms.toFixed(3)} ms; budget ${t.budget_ms.toFixed(1)} ms; misses ${t.misses}; fallbacks ${t.fallbacks}`,
  ];
  if (report.model !== null) {
    const m = report.model;
    lines.push(`  model v${m.version}: train loss ${m.train_loss.toFixed(3)}, val loss ${m.val_loss.toFixed(3)}, H-step error ${m.h_step_error.toFixed(3)}`);
  }
  lines.push(`  output: ${outDir}`, ...Object.entries(report.artifacts).map(([k, v]) => `    ${k}: ${v}`));
  return `${lines.join('\n')}\n`;
}
