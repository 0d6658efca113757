/**
 * Data types of the plot specs. A spec is plain data (no callbacks), so it can be built anywhere
 * (trainer, latency recorder, CLI report) and rendered later; rendering never throws on bad data:
 * non-finite values are skipped, empty data draws the axes and "no data".
 */

/** How a series is drawn. Points that carry a category are always drawn as markers. */
export type SeriesStyle = 'line' | 'points' | 'line+points';

/** Stroke pattern of a line or a reference line. */
export type DashStyle = 'solid' | 'dashed' | 'dotted';

/**
 * When the line chart draws its legend (to the right of the plot area). 'auto': when there is more
 * than one series or any point carries a category.
 */
export type LegendMode = 'auto' | 'always' | 'never';

/** One data point. Points with a non-finite x or y are skipped (a line breaks at the gap). */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  /**
   * Optional category (e.g. the episode source 'random' | 'mpc' | 'policy'); its marker is filled
   * with `LineChartSpec.categoryColors[category]` and the category gets a legend entry.
   */
  readonly category?: string;
}

/** One named series of a line chart. */
export interface Series {
  /** Legend label. */
  readonly name: string;
  /** Points in drawing order (a line joins them in this order; sort by x for a curve). */
  readonly points: readonly ChartPoint[];
  /** Default 'line'. */
  readonly style?: SeriesStyle;
  /** CSS colour of the line and of markers without a category; default from the palette. */
  readonly color?: string;
  /** Default 'solid'. */
  readonly dash?: DashStyle;
}

/** A labelled horizontal line across the plot, e.g. `{ y: 40, label: 'budget 40 ms' }`. */
export interface HorizontalReferenceLine {
  readonly y: number;
  /** Drawn above the line at its right end; default: the formatted value. */
  readonly label?: string;
  /** CSS colour; default dark grey. */
  readonly color?: string;
  /** Default 'dashed'. */
  readonly dash?: DashStyle;
}

/** A labelled vertical line, e.g. `{ x: 12.5, label: 'p99 12.5 ms' }`. */
export interface VerticalReferenceLine {
  readonly x: number;
  /** Drawn in a band above the plot area; default: the formatted value. */
  readonly label?: string;
  /** CSS colour; default dark grey. */
  readonly color?: string;
  /** Default 'dashed'. */
  readonly dash?: DashStyle;
}

/** Size and titles shared by all charts. */
export interface ChartFrame {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Width of the SVG in px (user units); default 900, clamped to 200..4000. */
  readonly widthPx?: number;
  /** Height of the SVG in px; default 540, clamped to 150..4000. */
  readonly heightPx?: number;
}

/**
 * A line and/or scatter chart. The axes span "nice" (1-2-5) ticks that cover every finite point
 * and every reference line.
 */
export interface LineChartSpec extends ChartFrame {
  readonly series: readonly Series[];
  /**
   * Category -> CSS colour for points that carry a category. Categories missing here get colours
   * from a second palette in order of first appearance. Legend order: this map's order, then the
   * unmapped categories; only categories that occur in the data are listed.
   */
  readonly categoryColors?: Readonly<Record<string, string>>;
  readonly referenceLines?: readonly HorizontalReferenceLine[];
  /** Default 'auto'. */
  readonly legend?: LegendMode;
}

/**
 * Histogram input, pre-binned: `binEdges.length === counts.length + 1`, edges increasing. Bins with
 * non-finite or non-increasing edges, or a non-finite or negative count, are skipped; extra edges
 * or counts beyond the shorter of the two are ignored.
 */
export interface BinnedHistogramData {
  readonly kind: 'bins';
  readonly binEdges: ArrayLike<number>;
  readonly counts: ArrayLike<number>;
}

/** Histogram input as raw samples (e.g. tick latencies in ms); non-finite samples are skipped. */
export interface SampleHistogramData {
  readonly kind: 'samples';
  readonly samples: ArrayLike<number>;
  /**
   * Number of equal-width bins between the smallest and largest sample; default
   * ceil(sqrt(n)) clamped to 5..50. Clamped to 1..1000.
   */
  readonly binCount?: number;
}

/** Either form of histogram input. */
export type HistogramData = BinnedHistogramData | SampleHistogramData;

/** A histogram (bars over bin edges) with optional labelled vertical reference lines. */
export interface HistogramSpec extends ChartFrame {
  readonly data: HistogramData;
  /** Bar fill, CSS colour; default the first palette colour. */
  readonly color?: string;
  /** E.g. p50, p99 and the tick budget. The x axis is widened to include them. */
  readonly referenceLines?: readonly VerticalReferenceLine[];
}
