import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig, type StriderConfig } from '../config/index.js';
import type { EpisodeRecord } from '../control/index.js';
import { TickGaps } from '../control/TickGaps.js';
import { mallocTuning } from '../util/mallocTuning.js';
import { minorGc } from '../util/minorGc.js';
import { HotSwap, LearningLoop, type LearningSummary } from '../learning/index.js';
import { emptyMpcPolicyStats } from '../planning/MpcPolicy.js';
import { policyCommand } from '../planning/PolicySeeds.js';
import type { RclnodejsApi } from '../robot/ros2/rclnodejsApi.js';
import { Progress, runLogStreams, writeReport, type PolicyReport } from '../telemetry/index.js';
import { writeRunPlots } from '../telemetry/runPlots.js';
import { nodeTimers } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { plannerShape } from './createMpcPolicy.js';
import type { RemoteTrainingReport } from '../learning/index.js';
import { loadInitialModel } from './initialModel.js';
import { daggerEpisodes, runDagger } from './daggerRun.js';
import { ModelSupply } from './ModelSupply.js';
import { runReport, summary, type RunOutcome } from './runReport.js';
import { RunMetrics } from './runMetrics.js';
import { RunSession } from './RunSession.js';
import { SessionLifecycle } from './sessionLifecycle.js';
import { continuousLoop, LiveRun } from './continuousRun.js';
import { PeriodicReport } from './PeriodicReport.js';
import { resolveRunMode, type RunMode } from '../config/index.js';
import { linkCapabilities } from '../robot/types.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { SwapDecision } from '../learning/index.js';
import type { RunReport } from '../telemetry/index.js';

/** The config `strider run` uses without --config: the planar runner, shipped with strider. */
export const DEFAULT_CONFIG = fileURLToPath(
  new URL('../../config/planar_runner.yaml', import.meta.url),
);

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
  const level =
    (process.env['STRIDER_LOG_LEVEL'] as StriderConfig['log']['level'] | undefined) ??
    config.log.level;
  const streams = runLogStreams({ level, outDir, ...options });
  return pino(
    { name: options.name ?? 'strider', level, base: { pid: process.pid } },
    pino.multistream(streams),
  );
}

/** What `strider run` takes from outside when it is not the CLI calling (tests). */
export interface RunDependencies {
  /** The rclnodejs module for robot.link ros2 (default: imported when the link configures). */
  readonly rclnodejs?: RclnodejsApi;
}

/** `strider run`: random episodes, or the learning loop (control.policy mpc), then report and plots. */
export async function runCommand(
  args: CommonArgs,
  version: string,
  deps: RunDependencies = {},
): Promise<number> {
  const progress = new Progress();
  const run = setUpRun(args, new Date(), progress);
  const { config, logger } = run;
  // a scavenge in each otherwise idle gap after a tick, so V8's young-generation GC stalls no plan
  const gc = config.control.gc_between_ticks ? minorGc() : null;
  if (config.control.gc_between_ticks && gc === null) {
    logger.warn(
      'control.gc_between_ticks: this V8 offers no young-generation GC call; scavenges run inside ticks',
    );
  }
  // model payloads are decoded after a tick, never inside one (two periods without a tick: anyway)
  const gaps = new TickGaps({
    fallbackMs: 2000 / config.control.rate_hz,
    timers: nodeTimers,
    onError: (err) => {
      logger.error({ err }, 'work deferred to a tick gap failed');
    },
    idle: gc,
  });
  const supply = run.learning
    ? new ModelSupply({
        config,
        configPath: run.configPath,
        overrides: args.set,
        outDir: run.outDir,
        logger,
        defer: gaps.defer,
      })
    : null;
  const live = new LiveRun();
  const stopRun = (): void => {
    session.stop();
    supply?.interrupt(); // a lockstep wait for the trainer's next model ends now
    lifecycle?.abandon();
  };
  const lifecycle = managedLifecycle(config, logger, stopRun, supply);
  const session = new RunSession({
    ...(lifecycle !== null ? { lifecycle } : {}),
    config,
    logger,
    ...(deps.rclnodejs !== undefined ? { rclnodejs: deps.rclnodejs } : {}),
    ...(supply !== null ? { onRecorded: supply.push } : {}),
    ...(config.run.record_bag ? { recordBagDir: join(run.outDir, 'bag') } : {}),
    onStep: (episode, step, returnSoFar, s) => {
      gaps.afterTick();
      live.observe?.(episode, step);
      showStep(progress, s, { episode, step, returnSoFar, total: run.total });
    },
    onEpisode: (r) => {
      logger.info(
        {
          episode: r.index,
          steps: r.steps,
          return: r.return,
          source: r.source,
          terminated: r.terminated,
        },
        'episode done',
      );
    },
  });
  const signals = new StopSignals(logger, stopRun);
  let metrics: RunMetrics | null = null;
  let periodic: PeriodicReport | null = null;
  try {
    const parts = await session.open();
    const configured = (await lifecycle?.configured()) ?? true; // a managed node waits for configure
    metrics = await RunMetrics.start(config.metrics, logger);
    metrics?.attachSession(session);
    const writeAll = async (outcome: RunOutcome, partial: boolean): Promise<RunReport> => {
      const artifacts: Record<string, string> = {
        report: run.reportPath,
        log: join(run.outDir, 'strider.log'),
        ...(session.recording !== null ? { bag: session.recording.dir } : {}),
      };
      Object.assign(
        artifacts,
        await writeRunPlots(
          run.outDir,
          parts.runner.records,
          session.latency,
          session.budgetMs,
          logger,
          !partial, // PNGs at exit only (writeChart's `png`)
        ),
      );
      const report = runReport(session, outcome, {
        version,
        startedAt: run.startedAt,
        configPath: run.configPath,
        config,
        interrupted: signals.interrupted,
        partial,
        artifacts,
      });
      writeReport(run.reportPath, report);
      return report;
    };
    periodic = new PeriodicReport({
      everyS: config.run.report_every_s,
      write: async () => {
        await writeAll(live.outcome(), true);
      },
      logger,
    });
    periodic.start();
    const mode = resolveRunMode(config.run, linkCapabilities(session.link).simulated);
    logOrtTelemetry(logger);
    logMallocTuning(logger, mode);
    const outcome = !configured
      ? await explore(session, 0)
      : supply !== null
        ? await learn(session, supply, progress, metrics, live, mode)
        : await explore(session, run.total);
    await periodic.stop();
    progress.done();
    const report = await writeAll(outcome, false);
    process.stdout.write(summary(report, run.outDir));
    return signals.interrupted ? 130 : 0;
  } finally {
    gaps.drain();
    await periodic?.stop();
    signals.dispose();
    progress.done();
    await metrics?.close();
    await session.close();
  }
}

/** robot.ros2.lifecycle: the managed node's transitions; cleanup and shutdown flush the outbox. */
function managedLifecycle(
  config: StriderConfig,
  logger: Logger,
  stop: () => void,
  supply: ModelSupply | null,
): SessionLifecycle | null {
  if (config.robot.link !== 'ros2' || !config.robot.ros2.lifecycle) return null;
  const flush = (): Promise<void> => {
    supply?.flush();
    return Promise.resolve();
  };
  return new SessionLifecycle({ stop, flush }, logger);
}

/** What `strider run` is set up with before the robot: config, output paths, logger, episodes. */
interface RunSetup {
  readonly startedAt: Date;
  readonly config: StriderConfig;
  readonly configPath: string;
  /** control.policy mpc, dagger or policy: the learning loop; random: random episodes. */
  readonly learning: boolean;
  readonly outDir: string;
  readonly reportPath: string;
  readonly logger: Logger;
  /** Episodes in the whole run. */
  readonly total: number;
}

function setUpRun(args: CommonArgs, startedAt: Date, progress: Progress): RunSetup {
  const { config, path: configPath } = loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: args.set,
  });
  const learning = config.control.policy !== 'random';
  if (learning) plannerShape(config); // fail on an inconsistent planner before any episode runs
  const outDir = prepareOutDir(args.out, startedAt);
  const l = config.learning;
  return {
    startedAt,
    config,
    configPath,
    learning,
    outDir,
    reportPath: resolve(args.report ?? join(outDir, 'report.json')),
    logger: createRunLogger(config, outDir, { progress }),
    total: learning
      ? l.random_episodes + l.iterations * l.episodes_per_iteration + daggerEpisodes(config)
      : config.run.episodes,
  };
}

/**
 * SIGINT / SIGTERM while installed: log, remember, and call `stop` (finish the current episode,
 * then write the report). dispose() removes the handlers.
 */
class StopSignals {
  #interrupted = false;
  readonly #handler: (signal: NodeJS.Signals) => void;

  constructor(logger: Logger, stop: () => void) {
    this.#handler = (signal) => {
      this.#interrupted = true;
      logger.warn({ signal }, 'stopping: finishing the current episode and writing the report');
      stop();
    };
    process.once('SIGINT', this.#handler);
    process.once('SIGTERM', this.#handler);
  }

  get interrupted(): boolean {
    return this.#interrupted;
  }

  dispose(): void {
    process.off('SIGINT', this.#handler);
    process.off('SIGTERM', this.#handler);
  }
}

/** The progress line after a tick: episode, policy, return, tick latency and misses. */
function showStep(
  progress: Progress,
  session: RunSession,
  at: { episode: number; step: number; returnSoFar: number; total: number },
): void {
  progress.update(session.clock.nowMs(), () => {
    const { policy, loop } = session.parts;
    // the planner's ticks once there are any: a random policy's take microseconds
    const mpc = loop.stats.mpcTicks > 0;
    const l = mpc ? session.mpcLatency : session.latency;
    const misses = mpc ? loop.stats.mpcMisses : loop.stats.misses;
    const steps = session.config.run.steps_per_episode;
    return (
      `episode ${at.episode + 1}/${at.total} (${policy.source})  step ${at.step}/${steps}  return ${at.returnSoFar.toFixed(1)}  ` +
      `${mpc ? 'MPC tick' : 'tick'} p50 ${l.quantileMs(0.5).toFixed(2)} ms  p99 ${l.quantileMs(0.99).toFixed(2)} ms  misses ${misses}`
    );
  });
}

/** control.policy random: the run's episodes on the random policy. */
async function explore(session: RunSession, episodes: number): Promise<RunOutcome> {
  await session.parts.runner.runEpisodes(episodes);
  const plannerStats = emptyMpcPolicyStats();
  return { learned: null, swaps: [], transport: null, plannerStats };
}

/**
 * control.policy mpc: the learning loop (random episodes, then train / hot-swap / MPC episodes)
 * with models from `supply`; the random policy acts again and the trainer stops at the end.
 */
async function learn(
  session: RunSession,
  supply: ModelSupply,
  progress: Progress,
  metrics: RunMetrics | null,
  live: LiveRun,
  mode: 'episodes' | 'continuous',
): Promise<RunOutcome> {
  const { config, logger } = session;
  const parts = session.parts;
  const S = parts.assembler.layout.dim;
  const A = parts.actuators.length;
  const plannerStats = emptyMpcPolicyStats();
  const models = await supply.start(S, A, policyCommand(parts.reward));
  const swap = new HotSwap({
    policy: parts.policy,
    makeMpcPolicy: session.mpcPolicyFactory(plannerStats),
    sessions: session.ensembleSessions,
    config: config.hotswap,
    budgetMs: session.budgetMs,
    recent: () => recentVisits(parts.runner.records, S, A),
    nowMs: () => session.clock.nowMs(),
    logger,
  });
  metrics?.attachLearning(swap, plannerStats, supply);
  let learned: LearningSummary;
  let transport: RemoteTrainingReport | null;
  let policy: PolicyReport | null = null;
  const onModel = (m: ModelVersion, d: SwapDecision): void => {
    progress.update(
      session.clock.nowMs(),
      () =>
        `model v${m.version} ${d.decision}: val loss ${m.metrics.val_loss.toFixed(3)}, H-step error ` +
        `${m.metrics.h_step_error.toFixed(3)} (zero-delta ${m.metrics.h_step_baseline.toFixed(3)})`,
      'force',
    );
  };
  const common = { runner: parts.runner, policy: parts.policy, random: parts.random, models, swap };
  try {
    if (mode === 'continuous') {
      const loop = continuousLoop(session, common, onModel);
      live.follow(loop, swap, supply, plannerStats);
      learned = await loop.run();
    } else {
      const loop = new LearningLoop({
        ...common,
        randomEpisodes: config.learning.random_episodes,
        iterations: config.learning.iterations,
        episodesPerIteration: config.learning.episodes_per_iteration,
        logger,
        ...(config.model.initial !== null
          ? { initial: await loadInitialModel(config.model.initial, S, A) }
          : {}),
        onModel,
      });
      live.follow(loop, swap, supply, plannerStats);
      learned = await loop.run();
    }
    policy = await runDagger(session, supply, () => swap.serving);
  } finally {
    parts.policy.use(parts.random);
    await swap.close();
    transport = await supply.close();
  }
  return { ...live.outcome(), learned, transport, swaps: swap.decisions, policy };
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

/**
 * Says whether ONNX Runtime's telemetry is off (src/dynamics/onnx/ortRuntime.ts sets 1 unless
 * the environment named a value).
 */
function logOrtTelemetry(logger: Logger): void {
  const telemetry = process.env.ORT_DISABLE_TELEMETRY ?? 'unset';
  if (telemetry === '1')
    logger.info({ ORT_DISABLE_TELEMETRY: telemetry }, 'ONNX Runtime telemetry off');
  else {
    logger.warn(
      { ORT_DISABLE_TELEMETRY: telemetry },
      'ONNX Runtime telemetry on (the environment says so): a thread uploading to Microsoft and a file in ~/.cache (docs/daemon.md)',
    );
  }
}

/** Says what malloc tuning this process started with; warns where a long run goes without it. */
function logMallocTuning(logger: Logger, mode: RunMode): void {
  const tuning = mallocTuning();
  const unset = Object.entries(tuning).filter(([, v]) => v === 'unset');
  if (unset.length > 0 && mode === 'continuous' && process.platform === 'linux') {
    logger.warn(
      tuning,
      `${unset.map(([k]) => k).join(' and ')} unset: native memory may creep over hours; start strider through bin/strider.js (docs/daemon.md)`,
    );
  } else {
    logger.info(tuning, 'malloc tuning');
  }
}
