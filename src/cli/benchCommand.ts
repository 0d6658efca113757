import { headingFrameOf } from '../dynamics/policy/headingFrame.js';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchPlanner,
  benchTick,
  benchTickDisturbed,
  benchTraining,
  benchPolicy,
  type PolicyFigures,
  type PlannerFigures,
  type PlannerShape,
  type TickFigures,
  type DisturbanceFigures,
  type TrainingFigures,
} from '../bench/index.js';
import { gymProtocolOverrides, parseLearningBenchOptions } from '../bench/learningBench.js';
import { runLearningBench } from '../bench/runLearningBench.js';
import { runSoak } from '../bench/soak.js';
import { parseSoakOptions, summaryLines } from '../bench/soakStats.js';
import { loadConfig } from '../config/index.js';
import { pinnedNode, trainerCpus } from '../learning/trainerCpus.js';
import { StriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { createRunLogger, DEFAULT_CONFIG, prepareOutDir } from './runCommand.js';
import { plannerShape } from './createMpcPolicy.js';

/** The bench JSON (DESIGN.md contract names kept; more fields welcome). */
export interface BenchReport {
  planner: { model_steps_per_s: number; gflops: number; iteration_ms: number };
  engine: { gflops: number; chain_ms: number };
  efficiency: number;
  tick: TickFigures & {
    planner: { optimizer: string; population: number; horizon: number; iterations: number };
  };
  /**
   * The same tick while a trainer process trains the ensemble on the same machine, placed as
   * `strider run` places its child trainer: at trainer.nice, pinned to trainer.cpus.
   */
  tick_with_training: TickFigures & {
    training_sample_passes_per_s: number;
    trainer_nice: number;
    /** The taskset CPU list the trainer ran on; null: unpinned. */
    trainer_cpus: string | null;
  };
  /** The same tick streaming to a `strider train` child: normal, broker paused, broker back, trainer SIGKILLed. */
  tick_disturbed: DisturbanceFigures;
  training: TrainingFigures;
  /** The distilled policy's inference (policy.hidden), one state per call. */
  policy: PolicyFigures;
  shapes: PlannerFigures[];
  machine: { cpus: number; node: string; load_avg_1m: number };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

/**
 * `strider bench`: (a) one MPC optimiser iteration over the ONNX ensemble for the configured
 * shapes and for E5 K200 H15 200x3 obs 29 act 8, in model-steps/s and GFLOP/s; (b) the raw ONNX
 * Runtime forward chain for the same shapes in the same run, and their ratio; (c) tick latency at
 * 50 Hz in real-time pacing; (d) training sample-passes/s. Figures, not pass/fail.
 */
const BIN = fileURLToPath(new URL('../../bin/strider.js', import.meta.url));

/** The role of a `strider bench` child that only loads the machine with training. */
const LOAD_ROLE = 'training-load';

/**
 * Start a child process that trains the ensemble (the ONNX training graph) for `seconds`, placed
 * as `strider run` places `strider train` beside the controller (at `placement.nice`, pinned to
 * `placement.cpus` through taskset when not null); resolves with its sample-passes/s.
 */
function startTrainingLoad(
  args: CommonArgs,
  seconds: number,
  dims: { S: number; A: number },
  placement: { nice: number; cpus: string | null },
): Promise<number> {
  const argv = [
    BIN,
    'bench',
    ...(args.config !== undefined ? ['--config', args.config] : []),
    ...args.set.flatMap((x) => ['--set', x]),
  ];
  const [file, fileArgs] = pinnedNode(placement.cpus, argv);
  const child = spawn(file, fileArgs, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      STRIDER_BENCH_ROLE: LOAD_ROLE,
      STRIDER_BENCH_LOAD_SECONDS: String(seconds),
      STRIDER_BENCH_LOAD_DIMS: `${dims.S},${dims.A}`,
    },
  });
  if (child.pid !== undefined) setPriority(child.pid, placement.nice);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return new Promise((resolvePasses, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /sample_passes_per_s=([0-9.]+)/.exec(out);
      if (code === 0 && m?.[1] !== undefined) resolvePasses(Number(m[1]));
      else
        reject(new StriderError('IO', `the training-load process failed (exit ${String(code)})`));
    });
  });
}

/** `strider bench --learning`: the learning benchmark (src/bench/runLearningBench.ts). */
async function learningBenchCommand(args: CommonArgs): Promise<number> {
  const options = parseLearningBenchOptions({
    seeds: args.seeds,
    steps: args.steps,
    jobs: args.jobs,
  });
  // fail on a bad config or override before any seed runs
  const { config } = loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: gymProtocolOverrides({ steps: options.steps, seed: 0, user: args.set }),
  });
  plannerShape(config);
  const outDir = prepareOutDir(args.out, new Date());
  const logger = createRunLogger({ ...config, log: { level: 'warn' } }, outDir, {
    file: 'bench.log',
  });
  const reportPath = resolve(args.report ?? join(outDir, 'learning.json'));
  process.stdout.write(
    `strider bench --learning: ${options.seeds} seed(s) x ${options.steps} env steps, ${options.jobs} at a time, gym protocol; runs in ${outDir}/seed-<i>\n`,
  );
  const report = await runLearningBench({
    ...options,
    bin: BIN,
    config: args.config,
    overrides: args.set,
    outDir,
    reportPath,
    logger,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  const l = report.learning;
  process.stdout.write(
    `  last-3 mean over seeds ${l.last3_mean.toFixed(1)} (min ${l.last3_min.toFixed(1)}), ticks over budget ${(100 * l.ticks_over_budget_fraction).toFixed(2)}%\n` +
      `  report: ${reportPath}\n  learning curve: ${join(outDir, 'learning_curve.svg')}\n`,
  );
  return l.seeds.every((s) => s.status === 'completed') ? 0 : 1;
}

/** `strider bench --soak`: the soak bench (src/bench/soak.ts). */
async function soakCommand(args: CommonArgs): Promise<number> {
  const options = parseSoakOptions({ minutes: args.minutes, sampleS: args.sampleS });
  const configPath = args.config ?? DEFAULT_CONFIG;
  const { config } = loadConfig(configPath, { overrides: args.set }); // fail before the run starts
  const outDir = prepareOutDir(args.out, new Date());
  const logger = createRunLogger({ ...config, log: { level: 'warn' } }, outDir, {
    file: 'soak.log',
  });
  process.stdout.write(
    `strider bench --soak: ${options.minutes} min of strider run (continuous, child trainer), a sample every ${options.sampleS} s; run in ${join(outDir, 'run')}\n`,
  );
  const report = await runSoak({
    ...options,
    bin: BIN,
    config: args.config,
    configPath,
    overrides: args.set,
    outDir,
    retention: (sets) =>
      (loadConfig(configPath, { overrides: sets }).config.trainer as Record<string, unknown>)[
        'retention'
      ] ?? null,
    print: (line) => process.stdout.write(`${line}\n`),
    logger,
  });
  for (const line of summaryLines(report.summary)) process.stdout.write(`${line}\n`);
  process.stdout.write(
    `  report: ${join(outDir, 'soak.json')}\n  plot: ${join(outDir, 'soak.svg')}\n  run: ${join(outDir, 'run')} (its output in ${join(outDir, 'run.out')})\n`,
  );
  if (report.ended_by === 'signal') return 130;
  return report.ended_by === 'duration' ? 0 : 1;
}

export async function benchCommand(args: CommonArgs): Promise<number> {
  if (args.learning === true) return learningBenchCommand(args);
  if (args.soak === true) return soakCommand(args);
  if (process.env['STRIDER_BENCH_ROLE'] === LOAD_ROLE) {
    const { config } = loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: args.set });
    const [S, A] = (process.env['STRIDER_BENCH_LOAD_DIMS'] ?? '23,6').split(',').map(Number);
    const t = await benchTraining({
      stateDim: S ?? 23,
      actionDim: A ?? 6,
      ensembleSize: config.model.ensemble_size,
      hidden: config.model.hidden,
      batchPerMember: config.model.batch_size,
      seconds: Number(process.env['STRIDER_BENCH_LOAD_SECONDS'] ?? '20'),
    });
    process.stdout.write(`sample_passes_per_s=${t.sample_passes_per_s}\n`);
    return 0;
  }
  const { config } = loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: ['control.policy=mpc', ...args.set],
  });
  const outDir = prepareOutDir(args.out, new Date());
  const logger = createRunLogger({ ...config, log: { level: 'warn' } }, outDir);
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const { particles } = plannerShape(config);
  const os = await import('node:os');

  // The configured shapes need the robot's dimensions: open the model once to read them.
  const { RunSession } = await import('./RunSession.js');
  const probe = new RunSession({ config, logger });
  const parts = await probe.open();
  const S = parts.assembler.layout.dim;
  const A = parts.actuators.length;
  await probe.close();

  const shapes: PlannerShape[] = [
    {
      label: `configured (${config.robot.model.split('/').pop() ?? ''})`,
      stateDim: S,
      actionDim: A,
      ensembleSize: config.model.ensemble_size,
      hidden: config.model.hidden,
      population: config.planner.population,
      particles,
      horizon: config.planner.horizon,
      optimizer: config.planner.optimizer,
      threads: config.planner.threads,
    },
    {
      label: 'E5 K200 H15 200x3 obs29 act8',
      stateDim: 29,
      actionDim: 8,
      ensembleSize: 5,
      hidden: [200, 200, 200],
      population: 200,
      particles: 5,
      horizon: 15,
      optimizer: 'cem',
      threads: 2,
    },
  ];
  out('strider bench: figures, not pass/fail (2-core machines are noisy: compare ratios)');
  const figures: PlannerFigures[] = [];
  for (const shape of shapes) {
    const f = await benchPlanner(shape, { repeats: 15 });
    figures.push(f);
    out(
      `  planner [${shape.label}] one ${shape.optimizer} iteration, K${shape.population} P${shape.particles} H${shape.horizon} E${shape.ensembleSize}: ` +
        `${fmt(f.iteration_ms, 2)} ms = ${fmt(f.model_steps_per_s / 1e6, 3)} M model-steps/s, ${fmt(f.gflops)} GFLOP/s; ` +
        `raw ONNX Runtime chain ${fmt(f.engine_chain_ms, 2)} ms = ${fmt(f.engine_gflops)} GFLOP/s; efficiency ${fmt(100 * f.efficiency)}%`,
    );
  }
  // 50 Hz leaves 16 ms: the tick runs the planner of config/quadruped*.yaml (random shooting in
  // passes of K100 x P1 x H10, as many as fit, up to 5) unless --set says otherwise
  const tickOverrides = [
    'control.rate_hz=50',
    'control.budget_ms=16',
    'robot.mujoco.pacing=realtime',
    'control.policy=mpc',
    'planner.optimizer=random',
    'planner.population=100',
    'planner.particles=1',
    'planner.horizon=10',
    'planner.iterations=5',
    ...args.set,
  ];
  const { config: tickConfig, path: tickConfigPath } = loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: tickOverrides,
  });
  const tick = await benchTick(tickConfig, logger, 500);
  const tp = tickConfig.planner;
  out(
    `  tick at ${tick.rate_hz} Hz realtime with MPC (${tp.optimizer} K${tp.population} P${tp.particles ?? tickConfig.model.ensemble_size} H${tp.horizon} E${tickConfig.model.ensemble_size}, up to ${tp.iterations} passes): p50 ${fmt(tick.p50_ms, 2)} ms, p99 ${fmt(tick.p99_ms, 2)} ms, max ${fmt(tick.max_ms, 2)} ms, ` +
      `budget ${fmt(tick.budget_ms)} ms, misses ${tick.misses}/${tick.ticks}, overruns ${tick.overruns}, planner missed ${tick.planner_missed}, mean iterations ${fmt(tick.mean_planner_iterations, 2)}`,
  );
  // the same tick with a trainer training beside it, placed like strider run's child trainer
  const placement = {
    nice: tickConfig.trainer.nice,
    cpus: trainerCpus(tickConfig.trainer.cpus, logger),
  };
  const load = startTrainingLoad(args, 18, { S, A }, placement);
  await new Promise((r) => setTimeout(r, 2000)); // let the load reach its training loop
  const tickLoaded = await benchTick(tickConfig, logger, 500);
  const loadPasses = await load;
  out(
    `  tick at ${tickLoaded.rate_hz} Hz with a trainer training beside it (nice ${placement.nice}, ${placement.cpus === null ? 'unpinned' : `on CPU ${placement.cpus}`}, ${fmt(loadPasses / 1000)}k sample-passes/s): ` +
      `p50 ${fmt(tickLoaded.p50_ms, 2)} ms, p99 ${fmt(tickLoaded.p99_ms, 2)} ms, max ${fmt(tickLoaded.max_ms, 2)} ms, misses ${tickLoaded.misses}/${tickLoaded.ticks}, ` +
      `planner missed ${tickLoaded.planner_missed}, mean iterations ${fmt(tickLoaded.mean_planner_iterations, 2)}`,
  );
  // the same tick streaming every transition to a child trainer, through a broker outage and a SIGKILL
  const disturbedOverrides = [...tickOverrides, 'trainer.mode=child', 'transport.broker=embedded'];
  const disturbed = await benchTickDisturbed(
    loadConfig(tickConfigPath, { overrides: disturbedOverrides }).config,
    logger,
    800,
    { configPath: tickConfigPath, overrides: disturbedOverrides, outDir: join(outDir, 'trainer') },
  );
  out(
    `  tick at ${disturbed.rate_hz} Hz streaming to a child trainer: misses per phase ` +
      disturbed.phases.map((p) => `${p.phase} ${p.misses}/${p.ticks}`).join(', ') +
      `; p99 ${fmt(disturbed.p99_ms, 2)} ms, max ${fmt(disturbed.max_ms, 2)} ms; transitions queued ${disturbed.transitions_queued}, ` +
      `spooled ${disturbed.transitions_spooled}, dropped ${disturbed.transitions_dropped}`,
  );
  const training = await benchTraining({
    stateDim: S,
    actionDim: A,
    ensembleSize: config.model.ensemble_size,
    hidden: config.model.hidden,
    batchPerMember: config.model.batch_size,
    seconds: 5,
  });
  out(
    `  training (ONNX graph, Adam, E${training.ensemble_size} ${training.hidden.join('x')}, batch ${training.batch_per_member}/member): ${fmt(training.sample_passes_per_s / 1000)}k sample-passes/s`,
  );
  const frame = config.policy.frame === 'heading' ? headingFrameOf(parts.assembler.layout) : null;
  const policy = await benchPolicy({
    stateDim: S,
    actionDim: A,
    hidden: config.policy.hidden,
    calls: 5000,
    ...(frame !== null ? { headingFrame: frame } : {}),
  });
  out(
    `  policy inference (${policy.hidden.join('x')} tanh${frame !== null ? ', heading frame' : ''}, control path ${policy.path}): p50 ${fmt(policy.p50_us)} us, p99 ${fmt(policy.p99_us)} us; ONNX Runtime: p50 ${fmt(policy.onnx_p50_us)} us, p99 ${fmt(policy.onnx_p99_us)} us`,
  );
  const first = figures[0]!;
  const report: BenchReport = {
    planner: {
      model_steps_per_s: first.model_steps_per_s,
      gflops: first.gflops,
      iteration_ms: first.iteration_ms,
    },
    engine: { gflops: first.engine_gflops, chain_ms: first.engine_chain_ms },
    efficiency: first.efficiency,
    tick: {
      ...tick,
      planner: {
        optimizer: tp.optimizer,
        population: tp.population,
        horizon: tp.horizon,
        iterations: tp.iterations,
      },
    },
    tick_with_training: {
      ...tickLoaded,
      training_sample_passes_per_s: loadPasses,
      trainer_nice: placement.nice,
      trainer_cpus: placement.cpus,
    },
    tick_disturbed: disturbed,
    training,
    policy,
    shapes: figures,
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      load_avg_1m: os.loadavg()[0] ?? Number.NaN,
    },
  };
  const reportPath = resolve(args.report ?? join(outDir, 'bench.json'));
  try {
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write bench report ${reportPath}`, { cause });
  }
  out(`  report: ${reportPath}`);
  return 0;
}
