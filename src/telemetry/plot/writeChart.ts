import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../util/logger.js';
import { StriderError } from '../../util/StriderError.js';

/** Where the DejaVu fonts live on Debian/Ubuntu; used when present so PNG text is predictable. */
export const DEJAVU_FONT_DIR = '/usr/share/fonts/truetype/dejavu';

/** SVG text -> PNG bytes, `widthPx` wide. Injected in tests; default renderer: @resvg/resvg-js. */
export type PngRenderer = (svg: string, widthPx: number) => Promise<Uint8Array>;

/** Options of writeChart. */
export interface WriteChartOptions {
  /** Receives a warning when the PNG cannot be rendered. */
  readonly logger?: Logger;
  /** PNG width in px (height follows the SVG's aspect ratio); default 900, clamped to 16..8000. */
  readonly pngWidthPx?: number;
  /** Replaces the @resvg/resvg-js renderer (tests, or a caller that wants no native code). */
  readonly renderPng?: PngRenderer;
  /**
   * False: write the SVG only (pngPath null). For charts refreshed in a long-running process:
   * @resvg/resvg-js 2.6.2 keeps about 3.7 MiB of native memory per render (60 renders of the
   * learning curve: +184 MiB RSS, with or without a forced GC, sync or async), so a daemon renders
   * its PNGs once, at exit. Default true.
   */
  readonly png?: boolean;
}

/** Paths writeChart wrote; `pngPath` is null when the PNG could not be rendered. */
export interface WrittenChart {
  readonly svgPath: string;
  readonly pngPath: string | null;
}

/**
 * Renders with @resvg/resvg-js, loaded on first use so that a missing native binary only costs
 * the PNG, never the SVG or the import of this module. Rendering runs on the libuv thread pool
 * (renderAsync), so it does not block the event loop.
 */
export const resvgRenderer: PngRenderer = async (svg, widthPx) => {
  const { renderAsync } = await import('@resvg/resvg-js');
  const haveDejaVu = existsSync(DEJAVU_FONT_DIR);
  const image = await renderAsync(svg, {
    fitTo: { mode: 'width', value: widthPx },
    background: '#ffffff',
    font: haveDejaVu
      ? { loadSystemFonts: true, fontDirs: [DEJAVU_FONT_DIR], defaultFontFamily: 'DejaVu Sans' }
      : { loadSystemFonts: true },
    logLevel: 'off',
  });
  return image.asPng();
};

async function writeOrThrow(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (err) {
    throw new StriderError('IO', `cannot write ${what} "${path}": ${(err as Error).message}`, {
      cause: err,
      context: { path },
    });
  }
}

/**
 * Writes `${basePath}.svg`, then renders and writes `${basePath}.png` (white background,
 * `pngWidthPx` wide), creating the parent folder if needed. Call from reports and the CLI, never
 * from the control tick: it does file I/O and rendering (tens of ms).
 *
 * The SVG is written first and is kept whatever happens to the PNG. When rendering fails (e.g. no
 * native resvg binary for this platform) a warning goes to `options.logger` and `pngPath` is null.
 * Failing to create the folder or write either file throws StriderError 'IO' naming the path.
 */
export async function writeChart(
  svg: string,
  basePath: string,
  options: WriteChartOptions = {},
): Promise<WrittenChart> {
  const svgPath = `${basePath}.svg`;
  const pngPath = `${basePath}.png`;
  const folder = dirname(svgPath);
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw new StriderError(
      'IO',
      `cannot create folder "${folder}" for chart "${svgPath}": ${(err as Error).message}`,
      {
        cause: err,
        context: { path: folder },
      },
    );
  }
  await writeOrThrow(svgPath, svg, 'chart SVG');
  if (options.png === false) return { svgPath, pngPath: null };

  const requested = options.pngWidthPx ?? 900;
  const widthPx = Number.isFinite(requested)
    ? Math.min(8000, Math.max(16, Math.round(requested)))
    : 900;
  let png: Uint8Array;
  try {
    png = await (options.renderPng ?? resvgRenderer)(svg, widthPx);
  } catch (err) {
    options.logger?.warn({ err, svgPath, pngPath }, 'chart PNG rendering failed; SVG kept');
    return { svgPath, pngPath: null };
  }
  await writeOrThrow(pngPath, png, 'chart PNG');
  return { svgPath, pngPath };
}
