import type { StriderConfig } from '../config/index.js';
import type { EpisodeRecord } from '../control/index.js';
import type {
  ContinuousSummary,
  LearningSummary,
  RemoteTrainingReport,
  SwapDecision,
} from '../learning/index.js';
import type { MpcPolicyStats } from '../planning/MpcPolicy.js';
import type { PolicyReport, RunReport } from '../telemetry/index.js';
import type { RunSession } from './RunSession.js';

/** What a run's episodes produced beyond the session's own records. */
export interface RunOutcome {
  /** The learning loop's summary; null for a run of random episodes. */
  readonly learned: LearningSummary | null;
  readonly swaps: readonly SwapDecision[];
  /** Transport figures of a trainer process; null otherwise. */
  readonly transport: RemoteTrainingReport | null;
  readonly plannerStats: MpcPolicyStats;
  /** run.mode continuous: what the continuous loop saw; absent in episodes mode. */
  readonly continuous?: Pick<ContinuousSummary, 'takeovers' | 'runnerStarts'>;
  /** The distilled policy serving at the end (control.policy dagger / policy); null otherwise. */
  readonly policy?: PolicyReport | null;
}

/** How the run was started and ended, for the report's header. */
export interface RunFacts {
  readonly version: string;
  readonly startedAt: Date;
  readonly configPath: string;
  readonly config: StriderConfig;
  readonly interrupted: boolean;
  /** A periodic report written during the run (status running). */
  readonly partial?: boolean;
  readonly artifacts: Record<string, string>;
}

/** The report of `strider run` (docs/report.md) from the opened session and the outcome. */
export function runReport(session: RunSession, outcome: RunOutcome, facts: RunFacts): RunReport {
  const { loop, scheduler, description, assembler, actuators, runner } = session.parts;
  const { config } = facts;
  const { learned, swaps, plannerStats } = outcome;
  return {
    strider: facts.version,
    command: 'run',
    status: facts.partial === true ? 'running' : facts.interrupted ? 'interrupted' : 'completed',
    started_at: facts.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    config: facts.configPath,
    seed: config.run.seed,
    robot: {
      name: description.name,
      model: description.modelPath,
      joints: description.joints.map((j) => j.name),
      actuators: actuators.map((a) => a.name),
      base: description.base.kind,
    },
    state: { dim: assembler.layout.dim, names: [...assembler.layout.names] },
    episodes: runner.records.map(episodeReport),
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
      mpc: {
        count: loop.stats.mpcTicks,
        p50_ms: session.mpcLatency.quantileMs(0.5),
        p99_ms: session.mpcLatency.quantileMs(0.99),
        max_ms: session.mpcLatency.maxMs,
        misses: loop.stats.mpcMisses,
      },
    },
    model: servingModel(learned, swaps, config.model.initial),
    models: learned?.models.map((m) => ({ version: m.version, ...m.metrics })) ?? [],
    swaps: [...swaps],
    planner: learned === null ? null : plannerReport(plannerStats, config, runner.records),
    trainer: learned === null ? null : { mode: config.trainer.mode, transport: outcome.transport },
    policy: outcome.policy ?? null,
    artifacts: facts.artifacts,
    ...(outcome.continuous !== undefined
      ? { continuous: continuousReport(outcome.continuous) }
      : {}),
  };
}

function continuousReport(
  c: NonNullable<RunOutcome['continuous']>,
): NonNullable<RunReport['continuous']> {
  const takeovers = c.takeovers.map((t) => ({
    version: t.version,
    episode: t.episode,
    step: t.step,
    mid_episode: t.midEpisode,
  }));
  return {
    takeovers,
    swaps_mid_episode: takeovers.filter((t) => t.mid_episode).length,
    runner_starts: c.runnerStarts,
  };
}

/** The last version that was accepted and not rolled back. */
function servingModel(
  s: LearningSummary | null,
  swaps: readonly SwapDecision[],
  initialDir: string | null,
): RunReport['model'] {
  let serving: number | null = null;
  for (const d of swaps) {
    if (d.decision === 'accepted') serving = d.version;
    else if (d.decision === 'rolled_back' && serving === d.version) serving = null;
  }
  const m = s?.models.find((x) => x.version === serving);
  if (m === undefined) return null;
  return {
    version: m.version,
    train_loss: m.metrics.train_loss,
    val_loss: m.metrics.val_loss,
    h_step_error: m.metrics.h_step_error,
    // the loop lists model.initial's first (LearningLoop)
    ...(initialDir !== null && m === s?.models[0] ? { initial: initialDir } : {}),
  };
}

function plannerReport(
  p: MpcPolicyStats,
  config: StriderConfig,
  records: readonly EpisodeRecord[],
): RunReport['planner'] {
  let achieved = 0;
  let steps = 0;
  for (const r of records) {
    if (r.source !== 'mpc') continue;
    achieved += r.return;
    steps += r.steps;
  }
  return {
    optimizer: config.planner.optimizer,
    horizon: config.planner.horizon,
    population: config.planner.population,
    plans: p.plans,
    missed: p.missed,
    overrun: p.overrun,
    mean_iterations: p.plans > 0 ? p.iterations / p.plans : 0,
    predicted_reward_per_step: p.predictedPlans > 0 ? p.predictedReward / p.predictedPlans : null,
    predicted_reward_per_step_median: p.predictedPlans > 0 ? p.predictedRewardMedian.value() : null,
    achieved_reward_per_step: steps > 0 ? achieved / steps : null,
  };
}

function episodeReport(r: EpisodeRecord): RunReport['episodes'][number] {
  const e: RunReport['episodes'][number] = {
    index: r.index,
    steps: r.steps,
    return: r.return,
    source: r.source,
  };
  if (r.terminated !== null) e.terminated = r.terminated;
  if (r.fall !== null) e.fall = r.fall;
  if (r.velocity !== null) e.velocity = { ...r.velocity };
  if (r.drift !== null) e.drift_m = r.drift;
  if (r.command !== null) e.command = { ...r.command };
  return e;
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

/** The lines `strider run` prints at the end. */
export function summary(report: RunReport, outDir: string): string {
  const t = report.ticks;
  const bySource = new Map<string, number[]>();
  for (const e of report.episodes)
    bySource.set(e.source, [...(bySource.get(e.source) ?? []), e.return]);
  const lines = [
    `strider run ${report.status}: ${report.episodes.length} episodes on ${report.robot.name} (${report.robot.actuators.length} actuators, state dim ${report.state.dim})`,
    `  return per episode: ${report.episodes.map((e) => e.return.toFixed(1)).join(', ')}`,
    `  mean return by source: ${[...bySource].map(([s, r]) => `${s} ${mean(r).toFixed(1)} (${r.length})`).join(', ')}`,
    `  ticks: ${t.count} at ${t.rate_hz} Hz ${t.pacing}; latency p50 ${t.p50_ms.toFixed(3)} ms, p99 ${t.p99_ms.toFixed(3)} ms, max ${t.max_ms.toFixed(3)} ms; budget ${t.budget_ms.toFixed(1)} ms; misses ${t.misses}; fallbacks ${t.fallbacks}`,
  ];
  if (t.mpc.count > 0)
    lines.push(
      `  MPC ticks: ${t.mpc.count}; latency p50 ${t.mpc.p50_ms.toFixed(3)} ms, p99 ${t.mpc.p99_ms.toFixed(3)} ms, max ${t.mpc.max_ms.toFixed(3)} ms; misses ${t.mpc.misses}`,
    );
  const pl = report.planner;
  if (
    pl !== null &&
    pl.predicted_reward_per_step !== null &&
    pl.predicted_reward_per_step_median !== null &&
    pl.achieved_reward_per_step !== null
  )
    lines.push(
      `  planner: ${pl.mean_iterations.toFixed(2)} iterations per plan; reward per step predicted ${pl.predicted_reward_per_step_median.toFixed(3)} (median; mean ${pl.predicted_reward_per_step.toFixed(3)}), achieved ${pl.achieved_reward_per_step.toFixed(3)}`,
    );
  if (report.model !== null) {
    const m = report.model;
    lines.push(
      `  model v${m.version}: train loss ${m.train_loss.toFixed(3)}, val loss ${m.val_loss.toFixed(3)}, H-step error ${m.h_step_error.toFixed(3)}`,
    );
  }
  if (report.policy !== null) {
    const p = report.policy;
    lines.push(
      `  policy v${p.version} (DAgger round ${p.round}): imitation loss ${p.imitation_loss.toFixed(4)}`,
    );
    const chosen = p.validation.find((v) => v.selected);
    if (chosen !== undefined) {
      const scored = p.validation.filter((v) => v.mean_return !== null);
      lines.push(
        `  policy.select best: v${chosen.version}, mean return ${chosen.mean_return!.toFixed(1)} over ${chosen.episodes} episodes of its own rounds (${scored.map((v) => `v${v.version} ${v.mean_return!.toFixed(1)}`).join(', ')})`,
      );
    }
    if (p.return_term !== undefined) {
      const t = p.return_term;
      lines.push(
        `  policy return term (last fit): the model's predicted reward per step ${t.reward_per_step_before.toFixed(3)} -> ${t.reward_per_step_after.toFixed(3)} in ${t.steps} steps`,
      );
    }
    if (p.imitation_error_own_states !== null) {
      lines.push(
        `  policy (${p.imitation}, ${p.labels} labels): imitation error on its own states ${p.imitation_error_own_states.toFixed(4)} (${p.own_state_labels} states)`,
      );
    }
  }
  lines.push(
    `  output: ${outDir}`,
    ...Object.entries(report.artifacts).map(([k, v]) => `    ${k}: ${v}`),
  );
  return `${lines.join('\n')}\n`;
}
