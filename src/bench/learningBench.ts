import type { ChartPoint, LineChartSpec, Series } from '../telemetry/plot/index.js';
import { StriderError } from '../util/StriderError.js';

/*
 * `strider bench --learning`: the pure parts (options, the gym protocol's overrides, the JSON
 * assembled from each seed's run report, the learning-curve spec). The process side, one
 * `strider run` child per seed, is runLearningBench.ts.
 */

/** Defaults of the issue-11 benchmark: 3 seeds to 50k environment steps, one seed at a time. */
export const LEARNING_BENCH_DEFAULTS = { seeds: 3, steps: 50_000, jobs: 1 } as const;

/** Steps per episode of the gym protocol (HalfCheetah: 1000 steps of dt 0.05). */
export const GYM_EPISODE_STEPS = 1000;

export interface LearningBenchOptions {
  /** Seeds 0..seeds-1, one `strider run` each. */
  readonly seeds: number;
  /** Environment steps per seed (rounded up to whole episodes). */
  readonly steps: number;
  /**
   * Seeds run at once (at most `seeds`). Above 1 the seeds' planners and trainers share the
   * cores: each planner fits fewer samples in its tick budget than alone, and ticks over budget
   * are counted as ever.
   */
  readonly jobs: number;
}

function positiveInt(
  flag: string,
  text: string | undefined,
  fallback: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const v = Number(text.replace(/_/g, '').replace(/k$/i, '000'));
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new StriderError(
      'CLI_USAGE',
      `--${flag} "${text}" must be an integer from 1 to ${max} (e.g. 10000 or 10k)`,
    );
  }
  return v;
}

/**
 * --seeds, --steps and --jobs as given on the command line (strings, `10k` allowed); CLI_USAGE
 * when invalid. --jobs is capped at the number of seeds.
 */
export function parseLearningBenchOptions(flags: {
  seeds?: string | undefined;
  steps?: string | undefined;
  jobs?: string | undefined;
}): LearningBenchOptions {
  const seeds = positiveInt('seeds', flags.seeds, LEARNING_BENCH_DEFAULTS.seeds, 100);
  return {
    seeds,
    steps: positiveInt('steps', flags.steps, LEARNING_BENCH_DEFAULTS.steps, 10_000_000),
    jobs: Math.min(seeds, positiveInt('jobs', flags.jobs, LEARNING_BENCH_DEFAULTS.jobs, 100)),
  };
}

/**
 * Runs `run(i)` for i = 0..count-1 with at most `jobs` in flight, each started as soon as one
 * ends; resolves with the results in index order (rejects with the first failure, after the
 * runs in flight have ended).
 */
export async function inPool<T>(
  count: number,
  jobs: number,
  run: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) results[i] = await run(i);
  };
  const workers = Array.from({ length: Math.max(1, Math.min(jobs, count)) }, worker);
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results;
}

/** The value of the last `--set key=value` for `key` among `overrides`, or undefined. */
function lastOverride(overrides: readonly string[], key: string): string | undefined {
  let value: string | undefined;
  for (const o of overrides) if (o.startsWith(`${key}=`)) value = o.slice(key.length + 1);
  return value;
}

/**
 * The `--set` list of one seed's run: the gym protocol (1000-step episodes at 20 Hz, r = v_x -
 * 0.1|a|^2, lockstep, a 40 ms tick budget, the trainer as a child process, the MPC learning loop,
 * a state watchdog of 2 s),
 * episode counts from `steps` (one random episode of D_rand, then one MPC episode per aggregation
 * iteration), the seed, then the user's overrides (last, so they win). A user override of
 * run.steps_per_episode or learning.random_episodes is honoured in the episode counts.
 */
export function gymProtocolOverrides(options: {
  steps: number;
  seed: number;
  user: readonly string[];
}): string[] {
  const episodeSteps = Number(
    lastOverride(options.user, 'run.steps_per_episode') ?? GYM_EPISODE_STEPS,
  );
  const randomEpisodes = Number(lastOverride(options.user, 'learning.random_episodes') ?? 1);
  if (!(
    Number.isInteger(episodeSteps) &&
    episodeSteps >= 1 &&
    Number.isInteger(randomEpisodes) &&
    randomEpisodes >= 1
  )) {
    throw new StriderError(
      'CLI_USAGE',
      'run.steps_per_episode and learning.random_episodes must be positive integers',
    );
  }
  const episodes = Math.max(randomEpisodes, Math.ceil(options.steps / episodeSteps));
  return [
    `run.steps_per_episode=${GYM_EPISODE_STEPS}`,
    'control.rate_hz=20',
    'control.budget_ms=40',
    'control.policy=mpc',
    'task.reward=forward_speed',
    'task.ctrl_cost_weight=0.1',
    'robot.mujoco.pacing=lockstep',
    'trainer.mode=child',
    'learning.random_episodes=1',
    `learning.iterations=${episodes - randomEpisodes}`,
    'learning.episodes_per_iteration=1',
    `run.seed=${options.seed}`,
    ...options.user,
  ];
}

/** One episode of a seed, as the run report has it. */
export interface LearningEpisode {
  readonly steps: number;
  readonly return: number;
  readonly source: string;
}

/** One seed's results. */
export interface LearningSeed {
  readonly seed: number;
  readonly status: string;
  readonly episodes: LearningEpisode[];
  readonly env_steps: number;
  readonly wall_time_s: number;
  /** Control ticks past the budget (the run report's ticks.misses), and all ticks. */
  readonly ticks_over_budget: number;
  readonly ticks: number;
  readonly model_versions_accepted: number;
  readonly model_versions_trained: number;
  /** Mean return of the last 3 episodes (the figure of merit). */
  readonly last3_mean: number;
  readonly random_mean: number;
  readonly planner: unknown;
  readonly report: string;
}

/** The JSON `strider bench --learning` writes. */
export interface LearningBenchReport {
  readonly learning: {
    readonly protocol: {
      readonly steps: number;
      readonly seeds: number;
      /** Seeds run at once (--jobs). */
      readonly jobs: number;
      readonly overrides: readonly string[];
    };
    readonly seeds: LearningSeed[];
    /** Over seeds: mean of their last-3 means, and the smallest. */
    readonly last3_mean: number;
    readonly last3_min: number;
    readonly ticks_over_budget_fraction: number;
  };
  readonly machine: { readonly cpus: number; readonly cpu: string; readonly node: string };
}

/** The fields of a `strider run` report.json this benchmark reads (see telemetry/Report.ts). */
export interface RunReportSubset {
  readonly status?: string;
  readonly episodes?: ReadonlyArray<{ steps: number; return: number; source: string }>;
  readonly ticks?: { count: number; misses: number };
  readonly swaps?: ReadonlyArray<{ decision: string }>;
  readonly models?: readonly unknown[];
  readonly planner?: unknown;
}

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/** One seed's entry from its run report (missing fields count as nothing happened). */
export function seedResult(
  seed: number,
  run: RunReportSubset,
  wallTimeS: number,
  reportPath: string,
): LearningSeed {
  const episodes = (run.episodes ?? []).map((e) => ({
    steps: e.steps,
    return: e.return,
    source: e.source,
  }));
  return {
    seed,
    status: run.status ?? 'failed',
    episodes,
    env_steps: episodes.reduce((a, e) => a + e.steps, 0),
    wall_time_s: wallTimeS,
    ticks_over_budget: run.ticks?.misses ?? 0,
    ticks: run.ticks?.count ?? 0,
    model_versions_accepted: (run.swaps ?? []).filter((s) => s.decision === 'accepted').length,
    model_versions_trained: run.models?.length ?? 0,
    last3_mean: mean(episodes.slice(-3).map((e) => e.return)),
    random_mean: mean(episodes.filter((e) => e.source === 'random').map((e) => e.return)),
    planner: run.planner ?? null,
    report: reportPath,
  };
}

/** The whole report from the seeds' results. */
export function assembleLearningReport(
  options: LearningBenchOptions & { overrides: readonly string[] },
  seeds: LearningSeed[],
  machine: LearningBenchReport['machine'],
): LearningBenchReport {
  const last3 = seeds.map((s) => s.last3_mean).filter(Number.isFinite);
  const ticks = seeds.reduce((a, s) => a + s.ticks, 0);
  return {
    learning: {
      protocol: {
        steps: options.steps,
        seeds: options.seeds,
        jobs: options.jobs,
        overrides: options.overrides,
      },
      seeds,
      last3_mean: mean(last3),
      last3_min: last3.length === 0 ? Number.NaN : Math.min(...last3),
      ticks_over_budget_fraction:
        ticks === 0 ? 0 : seeds.reduce((a, s) => a + s.ticks_over_budget, 0) / ticks,
    },
    machine,
  };
}

/**
 * The learning curve: per episode index, the mean return over the seeds that have it and the
 * min-max band (the min and the max as dotted lines), against the environment steps at the episode's end (mean over
 * those seeds); random and MPC episodes are separate series.
 */
export function learningCurveSpec(seeds: readonly LearningSeed[], title: string): LineChartSpec {
  const bySource = new Map<string, { mean: ChartPoint[]; min: ChartPoint[]; max: ChartPoint[] }>();
  const longest = Math.max(0, ...seeds.map((s) => s.episodes.length));
  const cumulative = seeds.map((s) => {
    let acc = 0;
    return s.episodes.map((e) => (acc += e.steps));
  });
  for (let j = 0; j < longest; j++) {
    const have = seeds
      .map((s, i) => ({ e: s.episodes[j], x: cumulative[i]![j] }))
      .filter((h) => h.e !== undefined);
    const source = have[0]!.e!.source;
    const returns = have.map((h) => h.e!.return);
    const x = mean(have.map((h) => h.x!));
    const entry = bySource.get(source) ?? { mean: [], min: [], max: [] };
    entry.mean.push({ x, y: mean(returns) });
    entry.min.push({ x, y: Math.min(...returns) });
    entry.max.push({ x, y: Math.max(...returns) });
    bySource.set(source, entry);
  }
  const COLORS: Record<string, string> = { random: '#9e9e9e', mpc: '#1f77b4' };
  const series: Series[] = [];
  for (const [source, s] of bySource) {
    const color = COLORS[source] ?? '#2ca02c';
    series.push({
      name: `${source} mean (${seeds.length} seeds)`,
      points: s.mean,
      style: 'line+points',
      color,
    });
    if (seeds.length > 1) {
      series.push({ name: `${source} min`, points: s.min, style: 'line', color, dash: 'dotted' });
      series.push({ name: `${source} max`, points: s.max, style: 'line', color, dash: 'dotted' });
    }
  }
  return { title, xLabel: 'environment steps', yLabel: 'episode return', series, legend: 'always' };
}

/** The progress line of one finished episode. */
export function episodeLine(
  seed: number,
  episode: { index: number; steps: number; return: number; source: string },
  envSteps: number,
): string {
  return `seed ${seed}  episode ${episode.index + 1} (${episode.source})  steps ${envSteps}  return ${episode.return.toFixed(1)}`;
}
