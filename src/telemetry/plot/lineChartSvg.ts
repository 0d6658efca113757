import {
  drawFrame,
  emptyRange,
  extendRange,
  hasRange,
  layoutFrame,
  noDataNote,
  type FrameLayout,
} from './axes.js';
import { formatNumber } from './niceTicks.js';
import {
  CATEGORY_PALETTE,
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
import type { HorizontalReferenceLine, LineChartSpec, Series, SeriesStyle } from './types.js';

type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond';
const SHAPES: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond'];

const MARKER_R_PX = 3.8;
const LINE_WIDTH_PX = 2;
const LEGEND_ROW_PX = 20;
const LEGEND_PAD_PX = 9;
const LEGEND_SWATCH_PX = 26;
const LEGEND_GAP_PX = 16;
const LEGEND_MAX_CHARS = 28;

interface ResolvedSeries {
  readonly series: Series;
  readonly style: SeriesStyle;
  readonly color: string;
  readonly shape: MarkerShape;
}

type LegendEntry =
  | { readonly kind: 'series'; readonly label: string; readonly s: ResolvedSeries }
  | { readonly kind: 'category'; readonly label: string; readonly color: string }
  | { readonly kind: 'more'; readonly label: string };

/** One marker; `fill` and `stroke` are escaped here. */
function markerEl(shape: MarkerShape, x: number, y: number, fill: string, cls: string): string {
  const r = MARKER_R_PX;
  const paint = `fill="${escapeXml(fill)}" stroke="#ffffff" stroke-width="0.8"`;
  switch (shape) {
    case 'circle':
      return `<circle class="${cls}" cx="${px(x)}" cy="${px(y)}" r="${px(r)}" ${paint}/>`;
    case 'square': {
      const h = r * 0.9;
      return `<rect class="${cls}" x="${px(x - h)}" y="${px(y - h)}" width="${px(2 * h)}" height="${px(2 * h)}" ${paint}/>`;
    }
    case 'triangle': {
      const h = r * 1.15;
      const d = `M${px(x)} ${px(y - h)}L${px(x + h)} ${px(y + h * 0.8)}L${px(x - h)} ${px(y + h * 0.8)}Z`;
      return `<path class="${cls}" d="${d}" ${paint}/>`;
    }
    case 'diamond': {
      const h = r * 1.25;
      const d = `M${px(x)} ${px(y - h)}L${px(x + h)} ${px(y)}L${px(x)} ${px(y + h)}L${px(x - h)} ${px(y)}Z`;
      return `<path class="${cls}" d="${d}" ${paint}/>`;
    }
  }
}

/** Category -> colour in legend order: the spec's map order, then unmapped ones as first seen. */
function resolveCategories(spec: LineChartSpec): Map<string, string> {
  const used = new Set<string>();
  for (const s of spec.series) {
    for (const p of s.points) {
      if (p.category !== undefined && Number.isFinite(p.x) && Number.isFinite(p.y)) {
        used.add(p.category);
      }
    }
  }
  const colors = new Map<string, string>();
  const given = spec.categoryColors ?? {};
  for (const [name, color] of Object.entries(given)) {
    if (used.has(name)) colors.set(name, color);
  }
  let next = 0;
  for (const name of used) {
    if (!colors.has(name)) {
      colors.set(name, CATEGORY_PALETTE[next % CATEGORY_PALETTE.length] ?? '#000000');
      next++;
    }
  }
  return colors;
}

function legendEntries(
  spec: LineChartSpec,
  series: readonly ResolvedSeries[],
  categories: ReadonlyMap<string, string>,
  widthPx: number,
  heightPx: number,
): LegendEntry[] {
  const mode = spec.legend ?? 'auto';
  const show = mode === 'always' || (mode === 'auto' && (series.length > 1 || categories.size > 0));
  if (!show) return [];
  const all: LegendEntry[] = [
    ...series.map((s): LegendEntry => ({ kind: 'series', label: s.series.name, s })),
    ...Array.from(categories, ([label, color]): LegendEntry => ({
      kind: 'category',
      label,
      color,
    })),
  ];
  const maxRows = Math.max(2, Math.floor((heightPx - 60) / LEGEND_ROW_PX) - 1);
  const kept = all.length <= maxRows ? all : all.slice(0, maxRows - 1);
  if (kept.length < all.length) {
    kept.push({ kind: 'more', label: `+${all.length - kept.length} more` });
  }
  // The legend takes at most about a third of the width; longer labels get an ellipsis.
  const maxTextPx = Math.max(40, widthPx * 0.35 - LEGEND_PAD_PX * 2 - LEGEND_SWATCH_PX - 6);
  return kept.map((e) => ({ ...e, label: fitText(e.label, maxTextPx) }));
}

function fitText(text: string, maxPx: number): string {
  let chars = LEGEND_MAX_CHARS;
  let fitted = truncate(text, chars);
  while (chars > 4 && textWidthPx(fitted, FONT_TICK_PX) > maxPx) {
    chars--;
    fitted = truncate(text, chars);
  }
  return fitted;
}

function legendWidthPx(entries: readonly LegendEntry[]): number {
  if (entries.length === 0) return 0;
  const text = entries.reduce((w, e) => Math.max(w, textWidthPx(e.label, FONT_TICK_PX)), 0);
  return LEGEND_PAD_PX * 2 + LEGEND_SWATCH_PX + 6 + text;
}

function drawLegend(entries: readonly LegendEntry[], layout: FrameLayout, widthPx: number): string {
  if (entries.length === 0) return '';
  const x0 = layout.rect.left + layout.rect.width + LEGEND_GAP_PX;
  const y0 = layout.rect.top;
  const w = legendWidthPx(entries);
  const hasBoth =
    entries.some((e) => e.kind === 'series') && entries.some((e) => e.kind === 'category');
  const sepPx = hasBoth ? 8 : 0;
  const h = LEGEND_PAD_PX * 2 + entries.length * LEGEND_ROW_PX + sepPx - 4;
  const parts = [
    `<g class="legend"><rect x="${px(x0)}" y="${px(y0)}" width="${px(Math.min(w, widthPx - x0 - 2))}" height="${px(h)}" fill="#ffffff" stroke="#cccccc" rx="3"/>`,
  ];
  let y = y0 + LEGEND_PAD_PX + LEGEND_ROW_PX / 2 - 2;
  let sawCategory = false;
  for (const e of entries) {
    if (e.kind === 'category' && !sawCategory && hasBoth) {
      const ly = y - LEGEND_ROW_PX / 2 + sepPx / 2 - 2;
      parts.push(
        `<line x1="${px(x0 + 6)}" y1="${px(ly)}" x2="${px(x0 + w - 6)}" y2="${px(ly)}" stroke="#e0e0e0"/>`,
      );
      y += sepPx;
    }
    if (e.kind === 'category') sawCategory = true;
    const sx = x0 + LEGEND_PAD_PX;
    const mid = sx + LEGEND_SWATCH_PX / 2;
    if (e.kind === 'series') {
      const { style, color, shape } = e.s;
      if (style !== 'points') {
        parts.push(
          `<line x1="${px(sx)}" y1="${px(y)}" x2="${px(sx + LEGEND_SWATCH_PX)}" y2="${px(y)}" stroke="${escapeXml(color)}" stroke-width="${LINE_WIDTH_PX}"${dashAttr(e.s.series.dash ?? 'solid')}/>`,
        );
      }
      if (style !== 'line') parts.push(markerEl(shape, mid, y, color, 'legend-marker'));
    } else if (e.kind === 'category') {
      parts.push(markerEl('circle', mid, y, e.color, 'legend-marker'));
    }
    parts.push(
      textEl(sx + LEGEND_SWATCH_PX + 6, y + FONT_TICK_PX * 0.35, e.label, {
        sizePx: FONT_TICK_PX,
        cssClass: 'legend-label',
        ...(e.kind === 'more' ? { fill: '#777777' } : {}),
      }),
    );
    y += LEGEND_ROW_PX;
  }
  parts.push('</g>');
  return parts.join('');
}

/** The line (with gaps at non-finite points) and the markers of one series. */
function drawSeries(
  rs: ResolvedSeries,
  index: number,
  layout: FrameLayout,
  categories: ReadonlyMap<string, string>,
): string {
  const { sx, sy } = layout;
  const points = rs.series.points;
  const drawLine = rs.style !== 'points';
  const path: string[] = [];
  const markers: string[] = [];
  let runStart = -1;
  let runLength = 0;
  const closeRun = (): void => {
    // A lone point between gaps draws nothing as a line: give it a marker so it stays visible.
    const lone = points[runStart];
    if (
      rs.style === 'line' &&
      runLength === 1 &&
      lone !== undefined &&
      lone.category === undefined
    ) {
      markers.push(markerEl(rs.shape, sx(lone.x), sy(lone.y), rs.color, 'marker'));
    }
    runLength = 0;
  };
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p === undefined || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      if (runLength > 0) closeRun();
      continue;
    }
    const x = sx(p.x);
    const y = sy(p.y);
    if (drawLine) {
      if (runLength === 0) runStart = i;
      path.push(`${runLength === 0 ? 'M' : 'L'}${px(x)} ${px(y)}`);
      runLength++;
    }
    if (p.category !== undefined) {
      markers.push(markerEl(rs.shape, x, y, categories.get(p.category) ?? rs.color, 'marker'));
    } else if (rs.style !== 'line') {
      markers.push(markerEl(rs.shape, x, y, rs.color, 'marker'));
    }
  }
  if (runLength > 0) closeRun();
  const parts = [`<g class="series" data-index="${index}">`];
  if (path.length > 0) {
    parts.push(
      `<path class="series-line" d="${path.join('')}" fill="none" stroke="${escapeXml(rs.color)}" stroke-width="${LINE_WIDTH_PX}" stroke-linejoin="round" stroke-linecap="round"${dashAttr(rs.series.dash ?? 'solid')}/>`,
    );
  }
  parts.push(...markers, '</g>');
  return parts.join('');
}

interface LabelBox {
  readonly top: number;
  readonly bottom: number;
}

/** Reference lines under the data; their labels are returned separately to go on top. */
function drawReferenceLines(
  lines: readonly HorizontalReferenceLine[],
  layout: FrameLayout,
): { lines: string; labels: string } {
  const { rect, sy } = layout;
  const right = rect.left + rect.width;
  const lineParts: string[] = [];
  const labelParts: string[] = [];
  const placed: LabelBox[] = [];
  const finite = lines.filter((l) => Number.isFinite(l.y)).sort((a, b) => b.y - a.y);
  for (const ref of finite) {
    const y = sy(ref.y);
    const color = ref.color ?? REFERENCE_COLOR;
    lineParts.push(
      `<line class="reference-line" x1="${px(rect.left)}" y1="${px(y)}" x2="${px(right)}" y2="${px(y)}" stroke="${escapeXml(color)}" stroke-width="1.5"${dashAttr(ref.dash ?? 'dashed')}/>`,
    );
    const label = truncate(ref.label ?? formatNumber(ref.y), 48);
    const h = FONT_TICK_PX + 4;
    // Above the line unless that leaves the plot or hits a label already placed; then below.
    const candidates = [y - 3 - h, y + 3, y - 3 - 2 * h, y + 3 + h];
    const top =
      candidates.find(
        (t) =>
          t >= rect.top &&
          t + h <= rect.top + rect.height &&
          placed.every((b) => t + h <= b.top || t >= b.bottom),
      ) ?? y - 3 - h;
    placed.push({ top, bottom: top + h });
    const w = textWidthPx(label, FONT_TICK_PX) + 8;
    labelParts.push(
      `<rect class="reference-label-bg" x="${px(right - 4 - w)}" y="${px(top)}" width="${px(w)}" height="${px(h)}" fill="#ffffff" fill-opacity="0.85"/>`,
      textEl(right - 8, top + h - 4, label, {
        sizePx: FONT_TICK_PX,
        anchor: 'end',
        fill: color,
        cssClass: 'reference-label',
      }),
    );
  }
  return { lines: lineParts.join(''), labels: labelParts.join('') };
}

/**
 * Renders a line / scatter chart as standalone SVG text (UTF-8, no external resources, white
 * background), e.g. a learning curve with one marker colour per episode source, or tick latency
 * over time with a budget line.
 *
 * Pure and synchronous; cost is linear in the number of points. Never throws on data: non-finite
 * points are skipped (a line breaks at them), empty data draws the axes and "no data", constant
 * or single values get a padded range. All text is XML-escaped.
 */
export function lineChartSvg(spec: LineChartSpec): string {
  const widthPx = chartSize(spec.widthPx, 900, 200);
  const heightPx = chartSize(spec.heightPx, 540, 150);
  const resolved: ResolvedSeries[] = spec.series.map((series, i) => ({
    series,
    style: series.style ?? 'line',
    color: series.color ?? SERIES_PALETTE[i % SERIES_PALETTE.length] ?? '#000000',
    shape: SHAPES[i % SHAPES.length] ?? 'circle',
  }));
  const categories = resolveCategories(spec);

  const xRange = emptyRange();
  const yRange = emptyRange();
  for (const s of spec.series) {
    for (const p of s.points) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) {
        extendRange(xRange, p.x);
        extendRange(yRange, p.y);
      }
    }
  }
  const hasData = hasRange(xRange);
  for (const ref of spec.referenceLines ?? []) extendRange(yRange, ref.y);

  const entries = legendEntries(spec, resolved, categories, widthPx, heightPx);
  const legendW = legendWidthPx(entries);
  const layout = layoutFrame({
    frame: spec,
    widthPx,
    heightPx,
    xRange: hasData ? xRange : [0, 1],
    yRange: hasRange(yRange) ? yRange : [0, 1],
    rightReservePx: legendW === 0 ? 0 : legendW + LEGEND_GAP_PX + 12,
    topReservePx: 0,
  });

  const refs = drawReferenceLines(spec.referenceLines ?? [], layout);
  const parts = [svgOpen(widthPx, heightPx, spec.title), drawFrame(layout, spec, widthPx, 'xy')];
  parts.push(refs.lines);
  resolved.forEach((rs, i) => parts.push(drawSeries(rs, i, layout, categories)));
  parts.push(refs.labels);
  if (!hasData) parts.push(noDataNote(layout.rect));
  parts.push(drawLegend(entries, layout, widthPx), '</svg>');
  return parts.join('');
}
