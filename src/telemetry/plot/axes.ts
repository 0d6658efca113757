import { formatTicks, niceTicks, type NiceTicks } from './niceTicks.js';
import {
  AXIS_COLOR,
  FONT_LABEL_PX,
  FONT_TICK_PX,
  FONT_TITLE_PX,
  GRID_COLOR,
  px,
  textEl,
  textWidthPx,
  truncate,
} from './svgParts.js';
import type { ChartFrame } from './types.js';

/** The plot area inside the margins, in SVG px. */
export interface PlotRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Ticks and their labels for one axis; the domain is ticks.min..ticks.max. */
export interface AxisTicks {
  readonly ticks: NiceTicks;
  readonly labels: readonly string[];
}

/** Everything a chart needs to place its marks. */
export interface FrameLayout {
  readonly rect: PlotRect;
  readonly x: AxisTicks;
  readonly y: AxisTicks;
  /** Data x -> SVG x. */
  readonly sx: (x: number) => number;
  /** Data y -> SVG y. */
  readonly sy: (y: number) => number;
}

/** Data range and reserved space passed to layoutFrame. */
export interface FrameRequest {
  readonly frame: ChartFrame;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  /** Space to the right of the plot area (legend), px. */
  readonly rightReservePx: number;
  /** Space between the title and the plot area (labels of vertical reference lines), px. */
  readonly topReservePx: number;
}

const TICK_LEN_PX = 5;
const EDGE_PAD_PX = 14;
const MIN_PLOT_PX = 40;

function axisTicks(min: number, max: number, target: number): AxisTicks {
  const ticks = niceTicks(min, max, target);
  return { ticks, labels: formatTicks(ticks) };
}

/** X ticks whose labels do not overlap: fewer ticks until the widest label fits its slot. */
function xAxisTicks(min: number, max: number, widthPx: number): AxisTicks {
  let target = Math.max(2, Math.min(12, Math.floor(widthPx / 80)));
  for (;;) {
    const axis = axisTicks(min, max, target);
    const slotPx = widthPx / Math.max(1, axis.ticks.values.length - 1);
    const widest = axis.labels.reduce((w, l) => Math.max(w, textWidthPx(l, FONT_TICK_PX)), 0);
    if (widest + 10 <= slotPx || target <= 2) return axis;
    target -= 1;
  }
}

function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  if (!(span > 0) || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / span;
  return (v) => r0 + (v - d0) * k;
}

/** Margins, ticks and scales for a chart of the given size and data range. */
export function layoutFrame(req: FrameRequest): FrameLayout {
  const { frame } = req;
  const top = EDGE_PAD_PX + (frame.title === undefined ? 0 : FONT_TITLE_PX + 12) + req.topReservePx;
  const bottom =
    TICK_LEN_PX + 4 + FONT_TICK_PX + (frame.xLabel === undefined ? 0 : 14 + FONT_LABEL_PX) + 12;
  const height = Math.max(MIN_PLOT_PX, req.heightPx - top - bottom);
  const y = axisTicks(req.yRange[0], req.yRange[1], Math.max(2, Math.min(10, height / 55)));
  const yLabelW = y.labels.reduce((w, l) => Math.max(w, textWidthPx(l, FONT_TICK_PX)), 0);
  const left =
    EDGE_PAD_PX + (frame.yLabel === undefined ? 0 : FONT_LABEL_PX + 12) + yLabelW + TICK_LEN_PX + 4;
  const right = Math.max(28, req.rightReservePx);
  const width = Math.max(MIN_PLOT_PX, req.widthPx - left - right);
  const x = xAxisTicks(req.xRange[0], req.xRange[1], width);
  const rect: PlotRect = { left, top, width, height };
  return {
    rect,
    x,
    y,
    sx: linear(x.ticks.min, x.ticks.max, left, left + width),
    sy: linear(y.ticks.min, y.ticks.max, top + height, top),
  };
}

/**
 * Title, gridlines, axis lines, tick marks, tick labels and axis labels. `gridX`: whether to draw
 * vertical gridlines (histograms skip them).
 */
export function drawFrame(
  layout: FrameLayout,
  frame: ChartFrame,
  widthPx: number,
  grid: 'xy' | 'y',
): string {
  const { rect, sx, sy } = layout;
  const bottom = rect.top + rect.height;
  const right = rect.left + rect.width;
  const parts: string[] = [];

  parts.push(`<g class="grid" stroke="${GRID_COLOR}" stroke-width="1">`);
  for (const v of layout.y.ticks.values) {
    parts.push(
      `<line x1="${px(rect.left)}" y1="${px(sy(v))}" x2="${px(right)}" y2="${px(sy(v))}"/>`,
    );
  }
  if (grid === 'xy') {
    for (const v of layout.x.ticks.values) {
      parts.push(
        `<line x1="${px(sx(v))}" y1="${px(rect.top)}" x2="${px(sx(v))}" y2="${px(bottom)}"/>`,
      );
    }
  }
  parts.push('</g>');

  parts.push(`<g class="axes" stroke="${AXIS_COLOR}" stroke-width="1">`);
  parts.push(
    `<line x1="${px(rect.left)}" y1="${px(bottom)}" x2="${px(right)}" y2="${px(bottom)}"/>`,
  );
  parts.push(
    `<line x1="${px(rect.left)}" y1="${px(rect.top)}" x2="${px(rect.left)}" y2="${px(bottom)}"/>`,
  );
  for (const v of layout.x.ticks.values) {
    const x = px(sx(v));
    parts.push(`<line x1="${x}" y1="${px(bottom)}" x2="${x}" y2="${px(bottom + TICK_LEN_PX)}"/>`);
  }
  for (const v of layout.y.ticks.values) {
    const y = px(sy(v));
    parts.push(
      `<line x1="${px(rect.left - TICK_LEN_PX)}" y1="${y}" x2="${px(rect.left)}" y2="${y}"/>`,
    );
  }
  parts.push('</g>');

  parts.push('<g class="tick-labels">');
  layout.x.ticks.values.forEach((v, i) => {
    const label = layout.x.labels[i] ?? '';
    parts.push(
      textEl(sx(v), bottom + TICK_LEN_PX + 3 + FONT_TICK_PX, label, {
        sizePx: FONT_TICK_PX,
        anchor: 'middle',
        cssClass: 'x-tick',
      }),
    );
  });
  layout.y.ticks.values.forEach((v, i) => {
    const label = layout.y.labels[i] ?? '';
    parts.push(
      textEl(rect.left - TICK_LEN_PX - 4, sy(v) + FONT_TICK_PX * 0.35, label, {
        sizePx: FONT_TICK_PX,
        anchor: 'end',
        cssClass: 'y-tick',
      }),
    );
  });
  parts.push('</g>');

  if (frame.title !== undefined) {
    const maxChars = Math.max(8, Math.floor(widthPx / (FONT_TITLE_PX * 0.62)) - 2);
    const title = truncate(frame.title, maxChars);
    const centreOnPlot = textWidthPx(title, FONT_TITLE_PX) <= rect.width;
    parts.push(
      textEl(
        centreOnPlot ? rect.left + rect.width / 2 : widthPx / 2,
        EDGE_PAD_PX + FONT_TITLE_PX,
        title,
        {
          sizePx: FONT_TITLE_PX,
          anchor: 'middle',
          weight: 'bold',
          cssClass: 'title',
        },
      ),
    );
  }
  if (frame.xLabel !== undefined) {
    const maxChars = Math.max(8, Math.floor(rect.width / (FONT_LABEL_PX * 0.62)));
    parts.push(
      textEl(
        rect.left + rect.width / 2,
        bottom + TICK_LEN_PX + 4 + FONT_TICK_PX + 12 + FONT_LABEL_PX,
        truncate(frame.xLabel, maxChars),
        { sizePx: FONT_LABEL_PX, anchor: 'middle', cssClass: 'x-label' },
      ),
    );
  }
  if (frame.yLabel !== undefined) {
    const maxChars = Math.max(8, Math.floor(rect.height / (FONT_LABEL_PX * 0.62)));
    parts.push(
      textEl(
        EDGE_PAD_PX + FONT_LABEL_PX,
        rect.top + rect.height / 2,
        truncate(frame.yLabel, maxChars),
        {
          sizePx: FONT_LABEL_PX,
          anchor: 'middle',
          rotateDeg: -90,
          cssClass: 'y-label',
        },
      ),
    );
  }
  return parts.join('');
}

/** The "no data" note in the middle of the plot area, on a white patch over gridlines. */
export function noDataNote(rect: PlotRect): string {
  const sizePx = FONT_LABEL_PX + 1;
  const cx = rect.left + rect.width / 2;
  const cy = rect.top + rect.height / 2;
  const w = textWidthPx('no data', sizePx) + 16;
  const h = sizePx + 10;
  return (
    `<rect x="${px(cx - w / 2)}" y="${px(cy - h / 2)}" width="${px(w)}" height="${px(h)}" fill="#ffffff"/>` +
    textEl(cx, cy + sizePx * 0.35, 'no data', {
      sizePx,
      anchor: 'middle',
      fill: '#888888',
      cssClass: 'no-data',
    })
  );
}

/** Extends [min, max] (either may be +-Infinity when nothing was seen) with finite `values`. */
export function extendRange(range: [number, number], value: number): void {
  if (!Number.isFinite(value)) return;
  if (value < range[0]) range[0] = value;
  if (value > range[1]) range[1] = value;
}

/** An empty range to be grown by extendRange. */
export function emptyRange(): [number, number] {
  return [Infinity, -Infinity];
}

/** True when extendRange saw at least one value. */
export function hasRange(range: readonly [number, number]): boolean {
  return range[0] <= range[1];
}
