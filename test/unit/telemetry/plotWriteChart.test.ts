import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sinon from 'sinon';
import {
  histogramSvg,
  lineChartSvg,
  writeChart,
  type WriteChartOptions,
} from '../../../src/telemetry/plot/index.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import type { Logger } from '../../../src/util/logger.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG's IHDR chunk (big-endian at bytes 16 and 20). */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const chart = lineChartSvg({
  title: 'return',
  xLabel: 'episode',
  yLabel: 'return',
  series: [{ name: 'r', points: [1, 2, 3].map((x) => ({ x, y: x * x })), style: 'line+points' }],
});

describe('telemetry/plot writeChart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strider-plot-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the SVG and a PNG rendered with resvg, creating the folder', async () => {
    const base = join(dir, 'nested', 'learning_curve');
    const written = await writeChart(chart, base);
    assert.deepEqual(written, { svgPath: `${base}.svg`, pngPath: `${base}.png` });
    assert.equal(readFileSync(`${base}.svg`, 'utf8'), chart);
    const png = readFileSync(`${base}.png`);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
    // 900 x 540 SVG fitted to 900 px wide.
    assert.deepEqual(pngSize(png), { width: 900, height: 540 });
    assert.ok(png.length > 5000, `PNG of ${png.length} bytes is suspiciously small`);
  });

  it('png: false writes the SVG only and never calls the renderer (charts refreshed in a daemon)', async () => {
    const base = join(dir, 'curve');
    const renderPng = sinon.stub().resolves(new Uint8Array([1]));
    const written = await writeChart(chart, base, { png: false, renderPng });
    assert.deepEqual(written, { svgPath: `${base}.svg`, pngPath: null });
    assert.equal(readFileSync(`${base}.svg`, 'utf8'), chart);
    assert.equal(existsSync(`${base}.png`), false);
    assert.equal(renderPng.callCount, 0);
  });

  it('scales the PNG to the requested width, keeping the aspect ratio', async () => {
    const svg = histogramSvg({
      data: { kind: 'samples', samples: [1, 2, 2, 3] },
      widthPx: 600,
      heightPx: 400,
    });
    const { pngPath } = await writeChart(svg, join(dir, 'hist'), { pngWidthPx: 300 });
    assert.ok(pngPath !== null);
    assert.deepEqual(pngSize(readFileSync(pngPath)), { width: 300, height: 200 });
  });

  it('keeps the SVG and warns when PNG rendering fails', async () => {
    const warn = sinon.spy();
    const options: WriteChartOptions = {
      logger: { warn } as unknown as Logger,
      renderPng: () => Promise.reject(new Error('no native binary for this platform')),
    };
    const base = join(dir, 'c');
    const written = await writeChart(chart, base, options);
    assert.deepEqual(written, { svgPath: `${base}.svg`, pngPath: null });
    assert.equal(readFileSync(`${base}.svg`, 'utf8'), chart);
    assert.equal(existsSync(`${base}.png`), false);
    assert.equal(warn.callCount, 1);
    assert.match(String(warn.firstCall.args[1]), /PNG rendering failed/);
    // Without a logger it still succeeds quietly.
    const quiet = await writeChart(chart, base, {
      renderPng: () => Promise.reject(new Error('x')),
    });
    assert.equal(quiet.pngPath, null);
  });

  it('throws IO naming the path when the folder cannot be created or the file written', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await assert.rejects(writeChart(chart, join(file, 'chart')), (err: unknown) => {
      assert.ok(isStriderError(err, 'IO'), String(err));
      assert.ok(err.message.includes(file), err.message);
      assert.ok(err.cause instanceof Error);
      return true;
    });
    // The SVG path is an existing folder.
    mkdirSync(join(dir, 'taken.svg'));
    await assert.rejects(writeChart(chart, join(dir, 'taken')), (err: unknown) => {
      assert.ok(isStriderError(err, 'IO'), String(err));
      assert.match(err.message, /taken\.svg/);
      return true;
    });
    // The PNG path is an existing folder: the SVG is written, then IO for the PNG.
    mkdirSync(join(dir, 'half.png'));
    await assert.rejects(writeChart(chart, join(dir, 'half')), (err: unknown) => {
      assert.ok(isStriderError(err, 'IO'), String(err));
      assert.match(err.message, /half\.png/);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'half.svg'), 'utf8'), chart);
  });
});
