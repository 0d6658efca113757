/**
 * Charts for telemetry and reports: SVG text built without dependencies (lineChartSvg,
 * histogramSvg), written to disk with a PNG beside it (writeChart, via @resvg/resvg-js).
 */
export { lineChartSvg } from './lineChartSvg.js';
export { histogramSvg, histogramBins } from './histogramSvg.js';
export type { HistogramBin } from './histogramSvg.js';
export { writeChart, resvgRenderer, DEJAVU_FONT_DIR } from './writeChart.js';
export type { PngRenderer, WriteChartOptions, WrittenChart } from './writeChart.js';
export { niceTicks, formatNumber, formatTicks, padRange } from './niceTicks.js';
export type { NiceTicks } from './niceTicks.js';
export { escapeXml } from './svgParts.js';
export type {
  BinnedHistogramData,
  ChartFrame,
  ChartPoint,
  DashStyle,
  HistogramData,
  HistogramSpec,
  HorizontalReferenceLine,
  LegendMode,
  LineChartSpec,
  SampleHistogramData,
  Series,
  SeriesStyle,
  VerticalReferenceLine,
} from './types.js';
