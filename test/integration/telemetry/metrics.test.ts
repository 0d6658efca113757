import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { RunMetrics } from '../../../src/cli/runMetrics.js';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?)|NaN|\+Inf|-Inf)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A strict reader of the Prometheus text format (0.0.4): throws on any line it does not know. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      if (meta[1] === 'TYPE') {
        assert.ok(TYPES.has(meta[3]!), `unknown type in: ${line}`);
        assert.ok(!types.has(meta[2]!), `second TYPE for ${meta[2]}`);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m !== null, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(
      types.has(name) || types.get(base) === 'histogram',
      `sample before its TYPE: ${name}`,
    );
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name, labels, value: Number(m[3]!.replace('+Inf', 'Infinity')) });
  }
  return { types, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  assert.ok(s !== undefined, `no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('metrics endpoint (Prometheus, strider_*)', function () {
  this.timeout(60_000);
  const overrides = ['run.steps_per_episode=20', 'metrics.enabled=true', 'metrics.port=0'];

  it('serves valid Prometheus text with the controller series, and the counters move', async () => {
    const { config } = loadConfig(join('config', 'planar_runner.yaml'), { overrides });
    const logger = pino({ level: 'silent' });
    const session = new RunSession({ config, logger });
    await session.open();
    const metrics = await RunMetrics.start(config.metrics, logger);
    assert.ok(metrics !== null);
    try {
      metrics.attachSession(session);
      await session.parts.runner.runEpisodes(1);
      const first = parsePrometheus(await scrape(metrics.address.port));
      for (const [name, type] of [
        ['strider_ticks_total', 'counter'],
        ['strider_tick_misses_total', 'counter'],
        ['strider_fallbacks_total', 'counter'],
        ['strider_gate_verdicts_total', 'counter'],
        ['strider_gate_latches_total', 'counter'],
        ['strider_model_version', 'gauge'],
        ['strider_tick_latency_seconds', 'histogram'],
      ])
        assert.equal(first.types.get(name!), type, name);
      const ticks = value(first.samples, 'strider_ticks_total');
      assert.equal(ticks, 20);
      assert.equal(value(first.samples, 'strider_tick_latency_seconds_count'), 20);
      assert.equal(value(first.samples, 'strider_tick_latency_seconds_bucket', { le: '+Inf' }), 20);
      assert.equal(value(first.samples, 'strider_model_version'), 0);
      assert.ok(value(first.samples, 'strider_fallbacks_total', { kind: 'waiting_state' }) >= 0);
      // buckets are cumulative
      const buckets = first.samples.filter((s) => s.name === 'strider_tick_latency_seconds_bucket');
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);

      await session.parts.runner.runEpisodes(1);
      const second = parsePrometheus(await scrape(metrics.address.port));
      assert.equal(value(second.samples, 'strider_ticks_total'), 40);
      assert.equal(value(second.samples, 'strider_tick_latency_seconds_count'), 40);
      const other = await fetch(`http://127.0.0.1:${metrics.address.port}/other`);
      assert.equal(other.status, 404);
    } finally {
      await metrics.close();
      await session.close();
    }
  });

  it('refuses a port in use with a logged METRICS_UNAVAILABLE, and control goes on', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const { config } = loadConfig(join('config', 'planar_runner.yaml'), {
      overrides: [...overrides.slice(0, 2), `metrics.port=${port}`],
    });
    const session = new RunSession({ config, logger });
    try {
      await session.open();
      const metrics = await RunMetrics.start(config.metrics, logger);
      assert.equal(metrics, null);
      const refusal = lines
        .map((l) => JSON.parse(l) as { level: number; err?: { code?: string; message?: string } })
        .find((l) => l.err?.code === 'METRICS_UNAVAILABLE');
      assert.ok(refusal !== undefined, 'a METRICS_UNAVAILABLE error was logged');
      assert.equal(refusal.level, 50);
      assert.match(refusal.err?.message ?? '', new RegExp(`127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      const [record] = await session.parts.runner.runEpisodes(1);
      assert.equal(record?.steps, 20, 'control went on');
    } finally {
      await session.close();
      await new Promise<void>((resolve) =>
        busy.close(() => {
          resolve();
        }),
      );
    }
  });
});
