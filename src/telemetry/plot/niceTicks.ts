/** Tick values at a 1-2-5 step that cover a range, and their compact labels. */
export interface NiceTicks {
  /** Ascending; first <= the range minimum, last >= the range maximum. */
  readonly values: readonly number[];
  /** Distance between neighbouring ticks: 1, 2 or 5 times a power of ten. */
  readonly step: number;
  /** values[0] and values[values.length - 1]: the axis domain. */
  readonly min: number;
  readonly max: number;
}

const MAX_TICKS = 60;

/** The 1-2-5 step nearest above `rough` (rough > 0 and finite). */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  // Thresholds at the geometric means of 1-2, 2-5 and 5-10, so the step is the nearest 1-2-5.
  if (fraction <= 1.4142) return power;
  if (fraction <= 3.1623) return 2 * power;
  if (fraction <= 7.0711) return 5 * power;
  return 10 * power;
}

/**
 * Widens a degenerate range so it can be drawn: equal ends (a constant or a single value) get a
 * pad of 10 % of the value (1 for zero); a span lost to floating-point precision is treated as
 * equal; non-finite ends fall back to 0..1.
 */
export function padRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) return [0, 1];
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (max - min <= magnitude * 1e-9) {
    const mid = min / 2 + max / 2;
    const pad = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    return [mid - pad, mid + pad];
  }
  return [min, max];
}

/**
 * About `targetCount` ticks at a 1-2-5 step covering [min, max]. Degenerate ranges are padded
 * first (see padRange). Never returns fewer than 2 ticks or more than 60.
 */
export function niceTicks(min: number, max: number, targetCount = 6): NiceTicks {
  const [lo, hi] = padRange(min, max);
  const intervals = Math.max(1, Math.min(MAX_TICKS - 1, Math.round(targetCount) - 1));
  // Halve before subtracting so spans near Number.MAX_VALUE do not overflow.
  const span = (hi / 2 - lo / 2) * 2;
  let step = niceStep(span / intervals);
  // The 1e-9 slack keeps float noise (4e-5 / 1e-5 = 4.000000000000001) from adding a tick.
  const firstIndex = (s: number): number => Math.floor(lo / s + 1e-9);
  const lastIndex = (s: number): number => Math.ceil(hi / s - 1e-9);
  while (lastIndex(step) - firstIndex(step) + 1 > MAX_TICKS) step = niceStep(step * 1.5);
  const first = firstIndex(step) * step;
  const count = lastIndex(step) - firstIndex(step);
  if (!Number.isFinite(step) || !Number.isFinite(first) || !Number.isFinite(count)) {
    return { values: [lo, hi], step: hi - lo, min: lo, max: hi };
  }
  const values: number[] = [];
  for (let i = 0; i <= Math.max(1, count); i++) values.push(roundToStep(first + i * step, step));
  const last = values[values.length - 1] ?? hi;
  return { values, step, min: values[0] ?? lo, max: last };
}

/** Removes float noise (0.30000000000000004 -> 0.3, -1e-17 -> 0) relative to the tick step. */
function roundToStep(value: number, step: number): number {
  if (Math.abs(value) < step * 1e-9) return 0;
  const decimals = Math.max(0, Math.min(100, 1 - Math.floor(Math.log10(step))));
  return Number(value.toFixed(Math.min(decimals, 100)));
}

type NumberMode = 'exponential' | 'compact';

const SUFFIXES: readonly (readonly [number, string])[] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function trimZeros(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

function modeFor(magnitude: number): NumberMode {
  return magnitude !== 0 && (magnitude >= 1e15 || magnitude < 1e-3) ? 'exponential' : 'compact';
}

/** `digits`: mantissa decimals in exponential mode, decimals after scaling in compact mode. */
function formatWith(value: number, digits: number, mode: NumberMode): string {
  if (value === 0 || !Number.isFinite(value)) return Number.isFinite(value) ? '0' : String(value);
  const abs = Math.abs(value);
  let text: string;
  if (mode === 'exponential') {
    const [mantissa = '', exponent = ''] = value.toExponential(digits).split('e');
    text = `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  } else {
    const suffix = SUFFIXES.find(([divisor]) => abs >= divisor);
    text =
      suffix === undefined
        ? trimZeros(value.toFixed(digits))
        : `${trimZeros((value / suffix[0]).toFixed(digits))}${suffix[1]}`;
  }
  return text === '-0' ? '0' : text;
}

function parseFormatted(text: string): number {
  const last = text.slice(-1);
  const suffix = SUFFIXES.find(([, s]) => s === last);
  return suffix === undefined ? Number(text) : Number(text.slice(0, -1)) * suffix[0];
}

/**
 * A short label for any number: 3 significant digits, k/M/G/T from 1000 up (1.2k, 3.5M),
 * exponential below 0.001 and from 1e15 up (3.4e-5, 1.2e21). Non-finite values print as
 * 'NaN' / 'Infinity' (callers skip them before drawing).
 */
export function formatNumber(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return formatWith(value, 0, 'compact');
  const abs = Math.abs(value);
  const mode = modeFor(abs);
  if (mode === 'exponential') return formatWith(value, 2, mode);
  const divisor = SUFFIXES.find(([d]) => abs >= d)?.[0] ?? 1;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs / divisor)));
  return formatWith(value, digits, mode);
}

/**
 * Labels for a set of ticks, in one notation for the whole axis, with the fewest decimals that
 * keep every label distinct and within 1 % of a step of its value.
 */
export function formatTicks(ticks: NiceTicks): string[] {
  const magnitude = ticks.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const mode = modeFor(magnitude);
  let labels: string[] = [];
  for (let digits = 0; digits <= 12; digits++) {
    labels = ticks.values.map((v) => formatWith(v, digits, mode));
    const distinct = new Set(labels).size === labels.length;
    const accurate = labels.every(
      (label, i) => Math.abs(parseFormatted(label) - (ticks.values[i] ?? 0)) <= ticks.step * 0.01,
    );
    if (distinct && accurate) return labels;
  }
  return labels;
}
