import * as assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import {
  escapeXml,
  histogramBins,
  histogramSvg,
  lineChartSvg,
  type ChartPoint,
  type LineChartSpec,
} from '../../../src/telemetry/plot/index.js';

function assertWellFormed(svg: string): void {
  // The suggested replacement (fast-xml-validator) is not a dependency; this one still validates.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const result = XMLValidator.validate(svg);
  assert.equal(result, true, JSON.stringify(result));
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
}

function count(svg: string, cssClass: string): number {
  return svg.match(new RegExp(`class="${cssClass}"`, 'g'))?.length ?? 0;
}

/** Text content of every <text class="..."> element, unescaped only for the test's needs. */
function texts(svg: string, cssClass: string): string[] {
  const re = new RegExp(`<text class="${cssClass}"[^>]*>([^<]*)</text>`, 'g');
  return Array.from(svg.matchAll(re), (m) => m[1] ?? '');
}

/** The numeric values behind tick labels like 1.2k / 3e-5. */
function tickValues(svg: string, cssClass: string): number[] {
  const scale: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return texts(svg, cssClass).map((t) => {
    const s = scale[t.slice(-1)];
    return s === undefined ? Number(t) : Number(t.slice(0, -1)) * s;
  });
}

function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

function learningCurve(): LineChartSpec {
  const points: ChartPoint[] = Array.from({ length: 10 }, (_, i) => ({
    x: i + 1,
    y: -100 + 11 * i,
    category: i < 3 ? 'random' : 'mpc',
  }));
  return {
    title: 'Learning curve',
    xLabel: 'episode',
    yLabel: 'return',
    series: [
      { name: 'return', points, style: 'line+points' },
      {
        name: 'baseline',
        points: [
          { x: 1, y: -50 },
          { x: 10, y: -50 },
        ],
        style: 'line',
      },
      {
        name: 'evals',
        points: [
          { x: 2, y: -80 },
          { x: 5, y: -40 },
          { x: 8, y: -5 },
        ],
        style: 'points',
      },
    ],
    categoryColors: { random: '#999999', mpc: '#0072b2', policy: '#d55e00' },
    referenceLines: [{ y: 0, label: 'solved' }],
  };
}

describe('telemetry/plot lineChartSvg', () => {
  it('draws one line per line series, one marker per point, and a legend with categories', () => {
    const svg = lineChartSvg(learningCurve());
    assertWellFormed(svg);
    assert.equal(count(svg, 'series-line'), 2); // 'points' style draws no line
    assert.equal(count(svg, 'marker'), 10 + 3); // 'line' style draws no markers
    assert.deepEqual(texts(svg, 'legend-label'), ['return', 'baseline', 'evals', 'random', 'mpc']);
    assert.equal(count(svg, 'reference-line'), 1);
    assert.deepEqual(texts(svg, 'reference-label'), ['solved']);
    assert.deepEqual(texts(svg, 'title'), ['Learning curve']);
    assert.deepEqual(texts(svg, 'x-label'), ['episode']);
    assert.deepEqual(texts(svg, 'y-label'), ['return']);
    // Category colours come from the map; the unused 'policy' is not in the legend.
    assert.equal(svg.match(/fill="#999999"/g)?.length, 3 + 1);
    assert.equal(svg.match(/fill="#0072b2"/g)?.length, 7 + 1);
    assert.doesNotMatch(svg, /#d55e00/);
  });

  it('gives unmapped categories palette colours, distinct from each other', () => {
    const svg = lineChartSvg({
      series: [
        {
          name: 's',
          style: 'points',
          points: [
            { x: 0, y: 0, category: 'a' },
            { x: 1, y: 1, category: 'b' },
          ],
        },
      ],
    });
    assertWellFormed(svg);
    assert.deepEqual(texts(svg, 'legend-label'), ['s', 'a', 'b']);
    const fills = Array.from(svg.matchAll(/class="marker"[^>]*fill="([^"]+)"/g), (m) => m[1]);
    assert.equal(fills.length, 2);
    assert.notEqual(fills[0], fills[1]);
  });

  it('has nice ticks covering the data range', () => {
    const svg = lineChartSvg({
      series: [
        {
          name: 'lat',
          points: [
            { x: 3, y: 0.7 },
            { x: 1234, y: 97.3 },
            { x: 77, y: 12 },
          ],
        },
      ],
    });
    assertWellFormed(svg);
    for (const [cls, lo, hi] of [
      ['x-tick', 3, 1234],
      ['y-tick', 0.7, 97.3],
    ] as const) {
      const ticks = tickValues(svg, cls);
      assert.ok(ticks.length >= 3, `${cls}: ${ticks.join()}`);
      assert.ok(ticks[0]! <= lo && ticks[ticks.length - 1]! >= hi, `${cls}: ${ticks.join()}`);
      const step = ticks[1]! - ticks[0]!;
      assert.ok(isNiceStep(step), `${cls} step ${step}`);
      for (let i = 1; i < ticks.length; i++) {
        assert.ok(Math.abs(ticks[i]! - ticks[i - 1]! - step) < step * 1e-6);
      }
    }
    assert.deepEqual(texts(svg, 'y-tick'), [
      '0',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
  });

  it('skips non-finite points and breaks the line at them', () => {
    const svg = lineChartSvg({
      series: [
        {
          name: 'with gaps',
          style: 'line+points',
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
            { x: 2, y: NaN },
            { x: Infinity, y: 3 },
            { x: 4, y: 4 },
            { x: 5, y: -Infinity },
            { x: 6, y: 5 },
          ],
        },
      ],
      referenceLines: [{ y: NaN, label: 'bad' }],
    });
    assertWellFormed(svg);
    assert.equal(count(svg, 'marker'), 4);
    const d = /class="series-line" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    assert.equal(d.match(/M/g)?.length, 3, d); // three runs: [0,1], [4], [6]
    assert.equal(count(svg, 'reference-line'), 0);
    // Ticks reflect the finite data only.
    const x = tickValues(svg, 'x-tick');
    assert.ok(x[0]! <= 0 && x[x.length - 1]! >= 6 && x[x.length - 1]! < 100);
  });

  it('escapes text for XML', () => {
    const nasty = `a < b & "c" > 'd' \u0001`;
    const svg = lineChartSvg({
      title: nasty,
      xLabel: '<x>',
      yLabel: 'y & z',
      series: [
        { name: '</text><script>', points: [{ x: 1, y: 1, category: 'r&d' }], style: 'points' },
        { name: 'b"', points: [], color: '"red' },
      ],
      categoryColors: { 'r&d': '#123456' },
      referenceLines: [{ y: 1, label: '<budget>' }],
    });
    assertWellFormed(svg);
    assert.doesNotMatch(svg, /<script>|<x>|<budget>/);
    assert.match(svg, /a &lt; b &amp; &quot;c&quot; &gt; &apos;d&apos; </);
    assert.match(svg, /&lt;\/text&gt;&lt;script&gt;/);
    assert.equal(escapeXml('\u0000ok\uD800'), 'ok');
  });

  it('draws axes and "no data" for empty series', () => {
    for (const series of [
      [],
      [{ name: 'empty', points: [] }],
      [{ name: 'nan', points: [{ x: NaN, y: 1 }] }],
    ]) {
      const svg = lineChartSvg({ title: 'nothing yet', series });
      assertWellFormed(svg);
      assert.deepEqual(texts(svg, 'no-data'), ['no data']);
      assert.equal(count(svg, 'series-line'), 0);
      assert.equal(count(svg, 'marker'), 0);
      assert.ok(texts(svg, 'x-tick').length >= 2 && texts(svg, 'y-tick').length >= 2);
    }
  });

  it('shows a single point (even as a line series) and pads constant values', () => {
    const single = lineChartSvg({ series: [{ name: 'one', points: [{ x: 5, y: 5 }] }] });
    assertWellFormed(single);
    assert.equal(count(single, 'marker'), 1);
    const y = tickValues(single, 'y-tick');
    assert.ok(y[0]! < 5 && y[y.length - 1]! > 5);

    const flat = lineChartSvg({
      series: [{ name: 'flat', points: [0, 1, 2, 3].map((x) => ({ x, y: 0 })) }],
    });
    assertWellFormed(flat);
    const fy = tickValues(flat, 'y-tick');
    assert.ok(fy[0]! < 0 && fy[fy.length - 1]! > 0);
    assert.equal(count(flat, 'series-line'), 1);
  });

  it('formats very large and very small values compactly', () => {
    const big = lineChartSvg({
      series: [
        {
          name: 'b',
          points: [
            { x: 0, y: 1.2e6 },
            { x: 2e4, y: 3.4e6 },
          ],
        },
      ],
    });
    assertWellFormed(big);
    assert.ok(
      texts(big, 'y-tick').every((t) => /^-?[\d.]+M?$/.test(t) || t === '0'),
      texts(big, 'y-tick').join(),
    );
    assert.ok(texts(big, 'x-tick').some((t) => t.endsWith('k')));
    const small = lineChartSvg({
      series: [
        {
          name: 's',
          points: [
            { x: 0, y: 1e-5 },
            { x: 1, y: 4.5e-5 },
          ],
        },
      ],
      referenceLines: [{ y: 3.4e-5 }],
    });
    assertWellFormed(small);
    assert.ok(texts(small, 'y-tick').every((t) => /^\d(\.\d+)?e-\d+$/.test(t) || t === '0'));
    assert.deepEqual(texts(small, 'reference-label'), ['3.4e-5']);
  });

  it('hides the legend for a single plain series unless asked', () => {
    const spec: LineChartSpec = {
      series: [
        {
          name: 'only',
          points: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
      ],
    };
    assert.equal(count(lineChartSvg(spec), 'legend-label'), 0);
    assert.equal(count(lineChartSvg({ ...spec, legend: 'always' }), 'legend-label'), 1);
    assert.equal(count(lineChartSvg({ ...learningCurve(), legend: 'never' }), 'legend-label'), 0);
  });

  it('keeps the legend and labels inside the canvas with many long-named series', () => {
    const series = Array.from({ length: 40 }, (_, i) => ({
      name: `a rather long series name number ${i} that goes on`,
      points: [
        { x: 0, y: i },
        { x: 1, y: i + 1 },
      ],
    }));
    const svg = lineChartSvg({ series, widthPx: 600, heightPx: 300 });
    assertWellFormed(svg);
    const labels = texts(svg, 'legend-label');
    assert.ok(labels.length < 40 && labels[labels.length - 1]!.startsWith('+'), labels.join('|'));
    const xs = Array.from(svg.matchAll(/ x="([-\d.]+)"/g), (m) => Number(m[1]));
    assert.ok(
      xs.every((x) => x >= 0 && x <= 600),
      `${Math.min(...xs)}..${Math.max(...xs)}`,
    );
  });
});

describe('telemetry/plot histogramSvg', () => {
  it('draws one bar per non-empty bin from edges and counts, with labelled reference lines', () => {
    const svg = histogramSvg({
      title: 'tick latency',
      xLabel: 'latency (ms)',
      data: { kind: 'bins', binEdges: [0, 5, 10, 15, 20, 25], counts: [3, 10, 0, 4, 1] },
      referenceLines: [
        { x: 7, label: 'p50 7 ms' },
        { x: 8, label: 'p99 8 ms' },
        { x: 40, label: 'budget 40 ms', color: '#d62728' },
      ],
    });
    assertWellFormed(svg);
    assert.equal(count(svg, 'bar'), 4);
    assert.equal(count(svg, 'reference-line'), 3);
    assert.deepEqual(texts(svg, 'reference-label'), ['p50 7 ms', 'p99 8 ms', 'budget 40 ms']);
    assert.deepEqual(texts(svg, 'y-label'), ['count']);
    const x = tickValues(svg, 'x-tick');
    assert.ok(x[0]! <= 0 && x[x.length - 1]! >= 40, x.join()); // widened to the budget line
    // p50 and p99 labels would collide in one row: they are stacked at different heights.
    const ys = Array.from(
      svg.matchAll(/<text class="reference-label" x="[\d.]+" y="([\d.]+)"/g),
      (m) => m[1],
    );
    assert.notEqual(ys[0], ys[1]);
  });

  it('bins raw samples, skipping non-finite ones', () => {
    const samples = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, NaN, Infinity];
    const bins = histogramBins({ kind: 'samples', samples, binCount: 4 });
    assert.deepEqual(
      bins.map((b) => b.count),
      [1, 2, 3, 4],
    );
    assert.equal(bins[0]!.lo, 1);
    assert.equal(bins[3]!.hi, 4);
    const svg = histogramSvg({
      data: { kind: 'samples', samples: Float64Array.from(samples), binCount: 4 },
    });
    assertWellFormed(svg);
    assert.equal(count(svg, 'bar'), 4);
  });

  it('handles constant samples, bad bins and empty data', () => {
    const constant = histogramBins({ kind: 'samples', samples: [7, 7, 7], binCount: 3 });
    assert.equal(
      constant.reduce((s, b) => s + b.count, 0),
      3,
    );
    assert.ok(constant[0]!.lo < 7 && constant[2]!.hi > 7);
    const bad = histogramBins({
      kind: 'bins',
      binEdges: [0, 1, 1, NaN, 4, 5, 6],
      counts: [1, 2, 3, 4, -1, 9, 9],
    });
    assert.deepEqual(
      bad.map((b) => b.count),
      [1, 9], // the last edge pairs with the 6th count; the 7th count has no bin
    );
    for (const data of [
      { kind: 'samples', samples: [] },
      { kind: 'samples', samples: [NaN] },
      { kind: 'bins', binEdges: [0, 1], counts: [0] },
    ] as const) {
      const svg = histogramSvg({ data });
      assertWellFormed(svg);
      assert.deepEqual(texts(svg, 'no-data'), ['no data']);
      assert.equal(count(svg, 'bar'), 0);
    }
  });
});
