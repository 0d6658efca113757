import {
  drawFrame,
  emptyRange,
  extendRange,
  hasRange,
  layoutFrame,
  noDataNote,
  type FrameLayout,
} from './axes.js';
import { formatNumber, padRange } from './niceTicks.js';
import {
  FONT_TICK_PX,
  REFERENCE_COLOR,
  SERIES_PALETTE,
  chartSize,
  dashAttr,
  escapeXml,
  px,
  svgOpen,
  textEl,
  textWidthPx,
  truncate,
} from './svgParts.js';
import type { HistogramData, HistogramSpec, VerticalReferenceLine } from './types.js';

/** One bar: count of values in [lo, hi). */
export interface HistogramBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

const LABEL_ROW_PX = FONT_TICK_PX + 7;
const MAX_LABEL_ROWS = 4;

/**
 * The bins a histogram spec describes: pre-binned data with invalid bins dropped, or samples
 * counted into equal-width bins between their minimum and maximum (the maximum lands in the last
 * bin). Exported for tests and for callers that want the numbers behind the chart.
 */
export function histogramBins(data: HistogramData): HistogramBin[] {
  if (data.kind === 'bins') {
    const n = Math.min(data.counts.length, data.binEdges.length - 1);
    const bins: HistogramBin[] = [];
    for (let i = 0; i < n; i++) {
      const lo = data.binEdges[i] ?? NaN;
      const hi = data.binEdges[i + 1] ?? NaN;
      const count = data.counts[i] ?? NaN;
      if (
        Number.isFinite(lo) &&
        Number.isFinite(hi) &&
        hi > lo &&
        Number.isFinite(count) &&
        count >= 0
      ) {
        bins.push({ lo, hi, count });
      }
    }
    return bins;
  }
  const finite: number[] = [];
  for (let i = 0; i < data.samples.length; i++) {
    const v = data.samples[i];
    if (v !== undefined && Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const [lo, hi] = padRange(min, max);
  const requested = data.binCount ?? Math.min(50, Math.max(5, Math.ceil(Math.sqrt(finite.length))));
  const k = Number.isFinite(requested) ? Math.min(1000, Math.max(1, Math.round(requested))) : 10;
  const width = (hi - lo) / k;
  const counts = new Array<number>(k).fill(0);
  for (const v of finite) {
    const index = Math.min(k - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts.map((count, i) => ({
    lo: lo + i * width,
    hi: i === k - 1 ? hi : lo + (i + 1) * width,
    count,
  }));
}

interface PlacedLabel {
  readonly ref: VerticalReferenceLine;
  readonly text: string;
  readonly anchor: 'start' | 'end';
  readonly x: number;
  readonly row: number;
}

/** Labels of vertical lines in rows above the plot, each in the lowest row where it fits. */
function placeLabels(
  refs: readonly VerticalReferenceLine[],
  layout: FrameLayout,
  widthPx: number,
): PlacedLabel[] {
  const rows: [number, number][][] = [];
  const placed: PlacedLabel[] = [];
  const sorted = refs.filter((r) => Number.isFinite(r.x)).sort((a, b) => a.x - b.x);
  for (const ref of sorted) {
    const x = layout.sx(ref.x);
    const text = truncate(ref.label ?? formatNumber(ref.x), 40);
    const w = textWidthPx(text, FONT_TICK_PX);
    const anchor = x + 4 + w <= widthPx - 4 ? 'start' : 'end';
    const span: [number, number] = anchor === 'start' ? [x + 4, x + 4 + w] : [x - 4 - w, x - 4];
    let row = rows.findIndex((taken) =>
      taken.every(([a, b]) => span[1] + 8 <= a || span[0] >= b + 8),
    );
    if (row < 0) {
      row = rows.length;
      rows.push([]);
    }
    rows[row]?.push(span);
    placed.push({ ref, text, anchor, x, row });
  }
  return placed;
}

function drawReferenceLines(labels: readonly PlacedLabel[], layout: FrameLayout): string {
  const { rect } = layout;
  const bottom = rect.top + rect.height;
  const parts: string[] = ['<g class="reference-lines">'];
  for (const l of labels) {
    const color = l.ref.color ?? REFERENCE_COLOR;
    const baseline = rect.top - 6 - l.row * LABEL_ROW_PX;
    const top = baseline - FONT_TICK_PX + 1;
    parts.push(
      `<line class="reference-line" x1="${px(l.x)}" y1="${px(bottom)}" x2="${px(l.x)}" y2="${px(top)}" stroke="${escapeXml(color)}" stroke-width="1.5"${dashAttr(l.ref.dash ?? 'dashed')}/>`,
      textEl(l.anchor === 'start' ? l.x + 4 : l.x - 4, baseline, l.text, {
        sizePx: FONT_TICK_PX,
        anchor: l.anchor,
        fill: color,
        cssClass: 'reference-label',
      }),
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/**
 * Renders a histogram (e.g. control-tick latency in ms) as standalone SVG text, with labelled
 * vertical reference lines (p50, p99, budget) whose labels sit in rows above the plot so they
 * never cover bars or each other. The y label defaults to "count"; the x axis covers all bins and
 * all reference lines.
 *
 * Pure and synchronous; cost is linear in the number of samples. Never throws on data (see
 * histogramBins); no bins or a total count of 0 draws the axes and "no data". Non-empty bins get
 * at least 1 px of height so a long tail stays visible.
 */
export function histogramSvg(spec: HistogramSpec): string {
  const widthPx = chartSize(spec.widthPx, 900, 200);
  const heightPx = chartSize(spec.heightPx, 540, 150);
  const frame = { ...spec, yLabel: spec.yLabel ?? 'count' };
  const bins = histogramBins(spec.data);
  const refs = spec.referenceLines ?? [];

  const xRange = emptyRange();
  let maxCount = 0;
  for (const b of bins) {
    extendRange(xRange, b.lo);
    extendRange(xRange, b.hi);
    maxCount = Math.max(maxCount, b.count);
  }
  for (const r of refs) extendRange(xRange, r.x);
  const hasData = maxCount > 0;

  const layoutFor = (rows: number): FrameLayout =>
    layoutFrame({
      frame,
      widthPx,
      heightPx,
      xRange: hasRange(xRange) ? xRange : [0, 1],
      yRange: [0, hasData ? maxCount : 1],
      rightReservePx: 0,
      topReservePx: rows === 0 ? 0 : rows * LABEL_ROW_PX + 4,
    });
  // Two passes: the label rows needed depend on x positions, which depend on the layout.
  let layout = layoutFor(Math.min(MAX_LABEL_ROWS, refs.length));
  let labels = placeLabels(refs, layout, widthPx);
  const rowsNeeded = labels.reduce((m, l) => Math.max(m, l.row + 1), 0);
  layout = layoutFor(Math.min(MAX_LABEL_ROWS, rowsNeeded));
  labels = placeLabels(refs, layout, widthPx);

  const { rect, sx, sy } = layout;
  const color = escapeXml(spec.color ?? SERIES_PALETTE[0] ?? '#1f77b4');
  const parts = [svgOpen(widthPx, heightPx, spec.title), drawFrame(layout, frame, widthPx, 'y')];
  parts.push(`<g class="bars" fill="${color}" fill-opacity="0.85">`);
  const base = sy(0);
  for (const b of bins) {
    if (b.count <= 0) continue;
    const x0 = sx(b.lo);
    const x1 = sx(b.hi);
    const gap = x1 - x0 > 4 ? 0.5 : 0;
    const top = Math.min(sy(b.count), base - 1);
    parts.push(
      `<rect class="bar" x="${px(x0 + gap)}" y="${px(top)}" width="${px(Math.max(0.5, x1 - x0 - 2 * gap))}" height="${px(base - top)}"/>`,
    );
  }
  parts.push('</g>');
  // Redraw the x axis line over the bars' bottom edge.
  parts.push(
    `<line x1="${px(rect.left)}" y1="${px(base)}" x2="${px(rect.left + rect.width)}" y2="${px(base)}" stroke="#444444" stroke-width="1"/>`,
  );
  parts.push(drawReferenceLines(labels, layout));
  if (!hasData) parts.push(noDataNote(rect));
  parts.push('</svg>');
  return parts.join('');
}
