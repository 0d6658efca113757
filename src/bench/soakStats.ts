import type { LineChartSpec } from '../telemetry/plot/index.js';
import { StriderError } from '../util/StriderError.js';

/*
 * `strider bench --soak`: the pure parts (options, the run's overrides, the summary of the samples
 * and the chart spec). The process side (the `strider run` child, /proc, the metrics endpoint) is
 * soak.ts and soakProbe.ts.
 */

export const SOAK_DEFAULTS = { minutes: 60, sampleS: 60 } as const;

/** The warm-up is the first 10 minutes, or the first third of a soak shorter than 30 minutes. */
export const WARMUP_MAX_MIN = 10;

export interface SoakOptions {
  /** Wall-clock minutes of the run (run.duration_s = minutes * 60). */
  readonly minutes: number;
  /** Seconds between two samples. */
  readonly sampleS: number;
}

function positive(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || v > max) {
    throw new StriderError(
      'CLI_USAGE',
      `--${flag} "${text}" must be a number above 0 and at most ${max}`,
    );
  }
  return v;
}

/** --minutes and --sample-s as given on the command line; CLI_USAGE when invalid. */
export function parseSoakOptions(flags: {
  minutes?: string | undefined;
  sampleS?: string | undefined;
}): SoakOptions {
  return {
    minutes: positive('minutes', flags.minutes, SOAK_DEFAULTS.minutes, 100_000),
    sampleS: positive('sample-s', flags.sampleS, SOAK_DEFAULTS.sampleS, 3600),
  };
}

/**
 * The `--set` list of the soak's run: continuous mode for `minutes`, the trainer as a child
 * process, the metrics endpoint on loopback at `metricsPort`; real-time pacing on the default
 * config (a robot in service, not a benchmark of throughput); then the user's overrides.
 */
export function soakOverrides(o: {
  minutes: number;
  metricsPort: number;
  defaultConfig: boolean;
  user: readonly string[];
}): string[] {
  return [
    'run.mode=continuous',
    `run.duration_s=${o.minutes * 60}`,
    'trainer.mode=child',
    'metrics.enabled=true',
    'metrics.host=127.0.0.1',
    `metrics.port=${o.metricsPort}`,
    ...(o.defaultConfig ? ['robot.mujoco.pacing=realtime'] : []),
    ...o.user,
  ];
}

/** One process's figures in a sample. */
export interface ProcessSample {
  readonly pid: number;
  readonly rss_mib: number;
  readonly fds: number;
}

/** One sample of the soak, `t_min` minutes after the run started. */
export interface SoakSample {
  readonly t_min: number;
  readonly controller: ProcessSample | null;
  /** Null while no trainer child runs (not started yet, or between a crash and its restart). */
  readonly trainer: ProcessSample | null;
  readonly disk_mib: { readonly run: number; readonly trainer: number };
  /** From the metrics endpoint; null when the scrape failed. */
  readonly metrics: {
    readonly ticks: number | null;
    readonly misses: number | null;
    readonly model_version: number | null;
    /** The controller's V8 heap (reserved) and memory outside it held by JS objects, MiB. */
    readonly heap_total_mib: number | null;
    /** The part of the V8 heap in use (live objects and garbage not yet collected), MiB. */
    readonly heap_used_mib: number | null;
    readonly external_mib: number | null;
  } | null;
}

/** Least-squares slope of y over x; null with fewer than 2 points or no spread in x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

/** The warm-up of a soak that ran `minutes`: 10 minutes, or the first third if under 30. */
export function warmup(minutes: number): { minutes: number; rule: string } {
  return minutes >= 3 * WARMUP_MAX_MIN
    ? { minutes: WARMUP_MAX_MIN, rule: 'first 10 minutes' }
    : { minutes: minutes / 3, rule: 'first third (soak under 30 minutes)' };
}

/** A retention limit of the trainer's store in bytes, when the config has one we can read. */
export function retentionBytes(retention: unknown): number | null {
  if (typeof retention !== 'object' || retention === null) return null;
  const r = retention as Record<string, unknown>;
  const num = (k: string): number | null => (typeof r[k] === 'number' ? r[k] : null);
  const bytes = num('max_bytes');
  if (bytes !== null) return bytes;
  const mib = num('max_mib') ?? num('max_mb');
  return mib === null ? null : mib * 1024 * 1024;
}

interface Range {
  readonly min: number | null;
  readonly max: number | null;
}

function range(values: readonly number[]): Range {
  return values.length === 0
    ? { min: null, max: null }
    : { min: Math.min(...values), max: Math.max(...values) };
}

export interface SoakSummary {
  readonly minutes_run: number;
  readonly samples: number;
  readonly warmup: { readonly minutes: number; readonly rule: string };
  /** Least-squares RSS slope over the samples after the warm-up, MiB per 10 minutes. */
  readonly rss_slope_mib_per_10min: {
    readonly controller: number | null;
    readonly trainer: number | null;
  };
  /**
   * The controller's RSS from the start of the window after the warm-up to its end, each end the
   * median of its first or last `NET_CHANGE_SAMPLES` samples (so one swing of V8's heap at either
   * end does not decide it), MiB; null with fewer than twice that many samples. Context for the
   * slope, which is the figure the soak is judged on.
   */
  readonly controller_rss_net_change: {
    readonly from_mib: number;
    readonly to_mib: number;
    readonly change_mib: number;
  } | null;
  /**
   * The controller's RSS slope split by where the memory lies: V8's heap (reserved), external
   * (ArrayBuffers and other JS-held native memory) and the rest (native code: ONNX Runtime,
   * MuJoCo, malloc arenas), MiB per 10 minutes after the warm-up; null without the figures.
   */
  readonly controller_slope_by_area: {
    readonly heap_total: number | null;
    /** The in-use part of heap_total; heap_total's slope minus this one is reserved, unused heap. */
    readonly heap_used: number | null;
    readonly external: number | null;
    readonly other: number | null;
  };
  readonly rss_mib: { readonly controller: Range; readonly trainer: Range };
  readonly fds: { readonly controller: Range; readonly trainer: Range };
  readonly disk_mib: {
    readonly run_max: number | null;
    readonly trainer_max: number | null;
    /** trainer.retention as configured; null when the config has none. */
    readonly retention: unknown;
    readonly retention_limit_mib: number | null;
    /** The trainer's data folder stayed within the retention limit (null: no limit in bytes). */
    readonly within_retention: boolean | null;
  };
  /** The last scrape's figures. */
  readonly ticks: number | null;
  readonly misses: number | null;
  /**
   * The newest model version served in any scrape (versions only grow; a scrape while the run
   * shuts down reads 0, its policy back on random actions).
   */
  readonly model_version: number | null;
  /** Trainer pids seen: more than one means it was restarted. */
  readonly trainer_pids: readonly number[];
}

/** Samples at each end of the window after the warm-up whose median `controller_rss_net_change` takes. */
export const NET_CHANGE_SAMPLES = 5;

function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** The summary of the soak's samples; `minutesRun` is the wall time from start to end. */
export function summarizeSoak(
  samples: readonly SoakSample[],
  minutesRun: number,
  retention: unknown,
): SoakSummary {
  const w = warmup(minutesRun);
  const after = samples.filter((s) => s.t_min >= w.minutes);
  const slopeOf = (y: (s: SoakSample) => number | null | undefined): number | null => {
    const pts: { x: number; y: number }[] = [];
    for (const s of after) {
      const v = y(s);
      if (v !== null && v !== undefined) pts.push({ x: s.t_min, y: v });
    }
    const perMin = leastSquaresSlope(pts);
    return perMin === null ? null : perMin * 10;
  };
  const slope = (pick: (s: SoakSample) => ProcessSample | null): number | null =>
    slopeOf((s) => pick(s)?.rss_mib);
  const other = (s: SoakSample): number | null => {
    const rss = s.controller?.rss_mib;
    const heap = s.metrics?.heap_total_mib;
    const ext = s.metrics?.external_mib;
    return rss === undefined || heap == null || ext == null ? null : rss - heap - ext;
  };
  const values = (
    pick: (s: SoakSample) => ProcessSample | null,
    field: 'rss_mib' | 'fds',
  ): number[] =>
    samples.flatMap((s) => {
      const p = pick(s);
      return p === null ? [] : [p[field]];
    });
  const ctl = (s: SoakSample): ProcessSample | null => s.controller;
  const trn = (s: SoakSample): ProcessSample | null => s.trainer;
  const trainerMax = range(samples.map((s) => s.disk_mib.trainer)).max;
  const limitBytes = retentionBytes(retention);
  const limitMib = limitBytes === null ? null : limitBytes / (1024 * 1024);
  const last = [...samples].reverse().find((s) => s.metrics !== null)?.metrics ?? null;
  const ctlAfter = after.flatMap((s) => (s.controller === null ? [] : [s.controller.rss_mib]));
  const n = NET_CHANGE_SAMPLES;
  const from = ctlAfter.length >= 2 * n ? median(ctlAfter.slice(0, n)) : null;
  const to = ctlAfter.length >= 2 * n ? median(ctlAfter.slice(-n)) : null;
  return {
    minutes_run: minutesRun,
    samples: samples.length,
    warmup: w,
    rss_slope_mib_per_10min: { controller: slope(ctl), trainer: slope(trn) },
    controller_rss_net_change:
      from === null || to === null ? null : { from_mib: from, to_mib: to, change_mib: to - from },
    controller_slope_by_area: {
      heap_total: slopeOf((s) => s.metrics?.heap_total_mib),
      heap_used: slopeOf((s) => s.metrics?.heap_used_mib),
      external: slopeOf((s) => s.metrics?.external_mib),
      other: slopeOf(other),
    },
    rss_mib: { controller: range(values(ctl, 'rss_mib')), trainer: range(values(trn, 'rss_mib')) },
    fds: { controller: range(values(ctl, 'fds')), trainer: range(values(trn, 'fds')) },
    disk_mib: {
      run_max: range(samples.map((s) => s.disk_mib.run)).max,
      trainer_max: trainerMax,
      retention: retention ?? null,
      retention_limit_mib: limitMib,
      within_retention: limitMib === null || trainerMax === null ? null : trainerMax <= limitMib,
    },
    ticks: last?.ticks ?? null,
    misses: last?.misses ?? null,
    model_version: newestVersion(samples),
    trainer_pids: [...new Set(samples.flatMap((s) => (s.trainer === null ? [] : [s.trainer.pid])))],
  };
}

/** The highest model version any sample's scrape read; null without one. */
function newestVersion(samples: readonly SoakSample[]): number | null {
  let v: number | null = null;
  for (const s of samples) {
    const m = s.metrics?.model_version;
    if (m != null && (v === null || m > v)) v = m;
  }
  return v;
}

const f = (x: number | null, d = 1): string => (x === null ? 'n/a' : x.toFixed(d));

/** The summary as printed at the end, a few lines. */
export function summaryLines(s: SoakSummary): string[] {
  const sl = s.rss_slope_mib_per_10min;
  const d = s.disk_mib;
  return [
    `soak: ${f(s.minutes_run)} min, ${s.samples} samples; RSS slope after warm-up (${s.warmup.rule}, ${f(s.warmup.minutes)} min): ` +
      `controller ${f(sl.controller, 2)} MiB/10 min, trainer ${f(sl.trainer, 2)} MiB/10 min`,
    `  controller RSS after warm-up, median of ${NET_CHANGE_SAMPLES} samples at each end: ` +
      (s.controller_rss_net_change === null
        ? 'n/a (too few samples)'
        : `${f(s.controller_rss_net_change.from_mib)} -> ${f(s.controller_rss_net_change.to_mib)} MiB (${f(s.controller_rss_net_change.change_mib, 2)})`),
    `  controller slope by area: V8 heap ${f(s.controller_slope_by_area.heap_total, 2)} (in use ${f(s.controller_slope_by_area.heap_used, 2)}), external ${f(s.controller_slope_by_area.external, 2)}, ` +
      `the rest (native) ${f(s.controller_slope_by_area.other, 2)} MiB/10 min`,
    `  RSS MiB controller ${f(s.rss_mib.controller.min)}..${f(s.rss_mib.controller.max)}, trainer ${f(s.rss_mib.trainer.min)}..${f(s.rss_mib.trainer.max)}; ` +
      `fds controller ${f(s.fds.controller.min, 0)}..${f(s.fds.controller.max, 0)}, trainer ${f(s.fds.trainer.min, 0)}..${f(s.fds.trainer.max, 0)}`,
    `  disk max: run ${f(d.run_max)} MiB, trainer data ${f(d.trainer_max)} MiB` +
      (d.retention_limit_mib !== null
        ? ` (retention limit ${f(d.retention_limit_mib)} MiB: ${d.within_retention === true ? 'within' : 'OVER'})`
        : d.retention !== null
          ? ` (trainer.retention ${JSON.stringify(d.retention)})`
          : ' (no trainer.retention in the config)'),
    `  ticks ${f(s.ticks, 0)}, misses ${f(s.misses, 0)}, model version ${f(s.model_version, 0)}, trainer pids ${s.trainer_pids.join(', ') || 'none'}`,
  ];
}

/** One progress line per sample. */
export function sampleLine(s: SoakSample, minutes: number): string {
  const m = s.metrics;
  return (
    `soak ${s.t_min.toFixed(1)}/${minutes} min: RSS controller ${f(s.controller?.rss_mib ?? null)} MiB ` +
    `(V8 heap ${f(m?.heap_total_mib ?? null)}, in use ${f(m?.heap_used_mib ?? null)}, external ${f(m?.external_mib ?? null)}), trainer ${f(s.trainer?.rss_mib ?? null)} MiB; ` +
    `fds ${f(s.controller?.fds ?? null, 0)}/${f(s.trainer?.fds ?? null, 0)}; disk ${f(s.disk_mib.run)} MiB; ` +
    `ticks ${f(m?.ticks ?? null, 0)}, misses ${f(m?.misses ?? null, 0)}, model version ${f(m?.model_version ?? null, 0)}`
  );
}

/** soak.svg: RSS of both processes, the controller's V8 heap (reserved, in use) and open fds against minutes. */
export function soakChartSpec(samples: readonly SoakSample[], title: string): LineChartSpec {
  const series = (
    name: string,
    pick: (s: SoakSample) => number | undefined,
    color: string,
    dash: 'solid' | 'dashed' | 'dotted',
  ): LineChartSpec['series'][number] => ({
    name,
    color,
    dash,
    style: 'line+points',
    points: samples.map((s) => ({ x: s.t_min, y: pick(s) ?? Number.NaN })),
  });
  return {
    title,
    xLabel: 'minutes',
    yLabel: 'RSS (MiB) / open file descriptors',
    series: [
      series('controller RSS MiB', (s) => s.controller?.rss_mib, '#1f77b4', 'solid'),
      series('trainer RSS MiB', (s) => s.trainer?.rss_mib, '#d62728', 'solid'),
      series(
        'controller V8 heap MiB',
        (s) => s.metrics?.heap_total_mib ?? undefined,
        '#1f77b4',
        'dotted',
      ),
      series(
        'controller heap used MiB',
        (s) => s.metrics?.heap_used_mib ?? undefined,
        '#2ca02c',
        'dotted',
      ),
      series('controller fds', (s) => s.controller?.fds, '#1f77b4', 'dashed'),
      series('trainer fds', (s) => s.trainer?.fds, '#d62728', 'dashed'),
    ],
    legend: 'always',
  };
}
