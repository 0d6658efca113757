import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { RunMetrics } from '../../../src/cli/runMetrics.js';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { parsePrometheus, value } from './metricsText.js';

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
      // the gate's tally: a verdict for every tick, the policy's command on the random episode
      const verdicts = first.samples.filter((s) => s.name === 'strider_gate_verdicts_total');
      assert.equal(
        verdicts.reduce((a, s) => a + s.value, 0),
        20,
      );
      assert.equal(
        value(first.samples, 'strider_gate_verdicts_total', { verdict: 'ok' }) +
          value(first.samples, 'strider_gate_verdicts_total', { verdict: 'clamped' }),
        20,
      );
      assert.equal(value(first.samples, 'strider_gate_verdicts_total', { verdict: 'stale' }), 0);
      assert.ok(
        !first.samples.some((s) => s.name === 'strider_policy_version'),
        'no DAgger policy: no policy version sample',
      );
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
