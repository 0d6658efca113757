import { join } from 'node:path';
import type { EpisodeRecord } from '../control/EpisodeRunner.js';
import type { Logger } from '../util/logger.js';
import type { LatencyHistogram } from './LatencyHistogram.js';
import { histogramSvg, lineChartSvg, writeChart, type ChartPoint } from './plot/index.js';

/** Marker colours of episode sources, the same in every plot. */
export const SOURCE_COLORS: Readonly<Record<string, string>> = {
  random: '#9e9e9e',
  mpc: '#1f77b4',
  policy: '#2ca02c',
  mixed: '#9467bd',
};

/**
 * Return per episode against cumulative environment steps, coloured by episode source; episodes
 * that ended in a fall get a second marker (series "fall").
 */
export function learningCurveSvg(
  records: readonly (Pick<EpisodeRecord, 'steps' | 'return' | 'source'> &
    Partial<Pick<EpisodeRecord, 'terminated'>>)[],
  title: string,
): string {
  const points: ChartPoint[] = [];
  const falls: ChartPoint[] = [];
  let steps = 0;
  for (const r of records) {
    steps += r.steps;
    points.push({ x: steps, y: r.return, category: r.source });
    if (r.terminated === 'fall') falls.push({ x: steps, y: r.return });
  }
  return lineChartSvg({
    title,
    xLabel: 'environment steps',
    yLabel: 'episode return',
    series: [
      { name: 'return', points, style: 'line+points', color: '#555555' },
      ...(falls.length > 0
        ? [{ name: 'fall', points: falls, style: 'points' as const, color: '#d62728' }]
        : []),
    ],
    categoryColors: SOURCE_COLORS,
  });
}

/** Histogram of control-tick latency (40 equal-width bars up to the maximum) with p50, p99 and the budget. */
export function tickLatencySvg(latency: LatencyHistogram, budgetMs: number): string {
  const barCount = 40;
  const top = latency.maxMs > 0 ? latency.maxMs * 1.0001 : 1;
  const width = top / barCount;
  const edges = Array.from({ length: barCount + 1 }, (_, i) => i * width);
  const counts = new Array<number>(barCount).fill(0);
  for (const [lo, hi, c] of latency.bins()) {
    // each log-spaced bin goes to the bar holding its midpoint (bins are 2% wide)
    const k = Math.min(barCount - 1, Math.floor((lo + hi) / 2 / width));
    counts[k] = (counts[k] ?? 0) + c;
  }
  const p50 = latency.quantileMs(0.5);
  const p99 = latency.quantileMs(0.99);
  return histogramSvg({
    title: `Control tick latency (${latency.count} ticks, max ${latency.maxMs.toFixed(3)} ms)`,
    xLabel: 'latency per tick, ms',
    yLabel: 'ticks',
    data: { kind: 'bins', binEdges: edges, counts },
    referenceLines: [
      { x: p50, label: `p50 ${p50.toFixed(3)} ms`, color: '#2ca02c' },
      { x: p99, label: `p99 ${p99.toFixed(3)} ms`, color: '#ff7f0e' },
      { x: budgetMs, label: `budget ${budgetMs.toFixed(1)} ms`, color: '#d62728', dash: 'solid' },
    ],
  });
}

/**
 * Writes OUT/learning_curve.{svg,png} and OUT/tick_latency.{svg,png}; returns artifact paths for
 * the report. A PNG that cannot be rendered is logged and left out; the SVG is always written.
 * `png: false` (the periodic report of a run that goes on) writes the SVGs only (writeChart's
 * `png`: the PNG renderer keeps native memory per render).
 */
export async function writeRunPlots(
  outDir: string,
  records: readonly EpisodeRecord[],
  latency: LatencyHistogram,
  budgetMs: number,
  logger: Logger,
  png = true,
): Promise<Record<string, string>> {
  const artifacts: Record<string, string> = {};
  const curve = await writeChart(
    learningCurveSvg(records, 'Learning curve: return per episode'),
    join(outDir, 'learning_curve'),
    { logger, png },
  );
  artifacts['learning_curve'] = curve.pngPath ?? curve.svgPath;
  const ticks = await writeChart(tickLatencySvg(latency, budgetMs), join(outDir, 'tick_latency'), {
    logger,
    png,
  });
  artifacts['tick_latency'] = ticks.pngPath ?? ticks.svgPath;
  return artifacts;
}
