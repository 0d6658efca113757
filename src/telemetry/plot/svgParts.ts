import type { DashStyle } from './types.js';

/** Default series colours (distinct hues, readable on white). */
export const SERIES_PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Default category colours (Okabe-Ito, distinguishable with colour-vision deficiency). */
export const CATEGORY_PALETTE: readonly string[] = [
  '#E69F00',
  '#0072B2',
  '#009E73',
  '#CC79A7',
  '#D55E00',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

export const FONT_FAMILY = "'DejaVu Sans', Arial, Helvetica, sans-serif";
export const TEXT_COLOR = '#222222';
export const AXIS_COLOR = '#444444';
export const GRID_COLOR = '#e3e3e3';
export const REFERENCE_COLOR = '#555555';

export const FONT_TICK_PX = 12;
export const FONT_LABEL_PX = 13;
export const FONT_TITLE_PX = 17;

// Characters outside XML 1.0 (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/F).
const INVALID_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for XML character data and attribute values; drops characters XML forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate for the SVG: at most 2 decimals; never NaN (callers filter; this is a backstop). */
export function px(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/**
 * Estimated rendered width of `text` in px. DejaVu Sans averages about 0.6 em for digits and
 * lower case; narrow and wide glyphs are weighted so labels are rarely underestimated.
 */
export function textWidthPx(text: string, fontPx: number): number {
  let em = 0;
  for (const ch of text) {
    if (".,:;!|il1'ijtf ()[]".includes(ch)) em += 0.36;
    else if ('mwMW@%'.includes(ch)) em += 0.9;
    else if (ch >= 'A' && ch <= 'Z') em += 0.7;
    else em += 0.62;
  }
  return em * fontPx;
}

/** Shortens `text` with an ellipsis to at most `maxChars` characters. */
export function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}\u2026`;
}

/** The stroke-dasharray attribute for a dash style ('' for solid). */
export function dashAttr(dash: DashStyle): string {
  switch (dash) {
    case 'solid':
      return '';
    case 'dashed':
      return ' stroke-dasharray="7 4"';
    case 'dotted':
      return ' stroke-dasharray="2 3"';
  }
}

/** Options of a text element. */
export interface TextOptions {
  readonly sizePx: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly weight?: 'normal' | 'bold';
  readonly fill?: string;
  readonly rotateDeg?: number;
  readonly cssClass?: string;
}

/** A `<text>` element; `content` is escaped here. `y` is the baseline. */
export function textEl(x: number, y: number, content: string, options: TextOptions): string {
  const anchor = options.anchor ?? 'start';
  const rotate =
    options.rotateDeg === undefined
      ? ''
      : ` transform="rotate(${px(options.rotateDeg)} ${px(x)} ${px(y)})"`;
  const weight = options.weight === 'bold' ? ' font-weight="bold"' : '';
  const cls = options.cssClass === undefined ? '' : ` class="${escapeXml(options.cssClass)}"`;
  const fill = escapeXml(options.fill ?? TEXT_COLOR);
  return (
    `<text${cls} x="${px(x)}" y="${px(y)}" font-size="${px(options.sizePx)}"` +
    ` text-anchor="${anchor}"${weight} fill="${fill}"${rotate}>${escapeXml(content)}</text>`
  );
}

/** The opening `<svg>` tag with a white background rectangle and the default font. */
export function svgOpen(widthPx: number, heightPx: number, title: string | undefined): string {
  const w = px(widthPx);
  const h = px(heightPx);
  const label = title === undefined ? '' : `<title>${escapeXml(title)}</title>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"` +
    ` font-family="${escapeXml(FONT_FAMILY)}">${label}` +
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>`
  );
}

/** Clamps a requested chart size, falling back to `fallback` when absent or non-finite. */
export function chartSize(requested: number | undefined, fallback: number, min: number): number {
  if (requested === undefined || !Number.isFinite(requested)) return fallback;
  return Math.round(Math.min(4000, Math.max(min, requested)));
}
