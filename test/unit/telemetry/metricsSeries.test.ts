import assert from 'node:assert/strict';
import { GATE_VERDICTS } from '../../../src/safety/index.js';
import { LatencyHistogram } from '../../../src/telemetry/LatencyHistogram.js';
import { ControllerMetrics } from '../../../src/telemetry/metrics/ControllerMetrics.js';
import { parsePrometheus, value } from '../../integration/telemetry/metricsText.js';

/** The series issue 14 asks for, by name and type. */
const SERIES = [
  ['strider_ticks_total', 'counter'],
  ['strider_tick_misses_total', 'counter'],
  ['strider_tick_latency_seconds', 'histogram'],
  ['strider_fallbacks_total', 'counter'],
  ['strider_gate_verdicts_total', 'counter'],
  ['strider_gate_safe_commands_total', 'counter'],
  ['strider_model_version', 'gauge'],
  ['strider_policy_version', 'gauge'],
  ['strider_model_swaps_total', 'counter'],
  ['strider_transitions_queued_total', 'counter'],
  ['strider_transitions_spooled_total', 'counter'],
  ['strider_transitions_dropped_total', 'counter'],
  ['strider_trainer_fit_seconds', 'gauge'],
  ['strider_trainer_train_loss', 'gauge'],
  ['strider_trainer_val_loss', 'gauge'],
  ['strider_resident_memory_bytes', 'gauge'],
  ['strider_heap_total_bytes', 'gauge'],
  ['strider_heap_used_bytes', 'gauge'],
  ['strider_external_memory_bytes', 'gauge'],
] as const;

describe('ControllerMetrics (the strider_* series, read at scrape time)', () => {
  it('gives every series of the issue with its figures, in text a strict parser reads', async () => {
    const m = new ControllerMetrics();
    const latency = new LatencyHistogram();
    for (const ms of [0.8, 3, 12, 40]) latency.record(ms);
    const verdicts = Object.fromEntries(GATE_VERDICTS.map((v) => [v, 0]));
    verdicts['ok'] = 90;
    verdicts['clamped'] = 6;
    verdicts['stale'] = 4;
    m.attach({
      loop: () => ({ ticks: 100, misses: 2, fallbacks: 7, waiting: 3, held: 0 }),
      latency,
      gate: () => ({ safeCommands: 4, clamps: 6, latches: 1, sendErrors: 0 }),
      gateVerdicts: () => verdicts,
      modelVersion: () => 3,
      policyVersion: () => 2,
      plannerMissed: () => 5,
      swaps: () => [{ decision: 'accepted' }, { decision: 'rejected' }, { decision: 'accepted' }],
      outbox: () => ({ queued: 100, published: 90, spooled: 10, dropped: 1 }),
      trainer: () => ({ up: true, restarts: 1 }),
      lastModel: () => ({ version: 4, train_loss: 0.25, val_loss: 0.5, train_seconds: 2.5 }),
    });
    const { types, samples } = parsePrometheus(await m.registry.metrics());
    for (const [name, type] of SERIES) assert.equal(types.get(name), type, name);
    assert.equal(value(samples, 'strider_ticks_total'), 100);
    assert.equal(value(samples, 'strider_tick_misses_total'), 2);
    assert.equal(value(samples, 'strider_tick_latency_seconds_count'), 4);
    assert.equal(value(samples, 'strider_tick_latency_seconds_bucket', { le: '0.001' }), 1);
    assert.equal(value(samples, 'strider_tick_latency_seconds_bucket', { le: '+Inf' }), 4);
    assert.equal(value(samples, 'strider_fallbacks_total', { kind: 'waiting_state' }), 3);
    assert.equal(value(samples, 'strider_fallbacks_total', { kind: 'safe_command' }), 4);
    assert.equal(value(samples, 'strider_fallbacks_total', { kind: 'planner_missed' }), 5);
    const gate = samples.filter((s) => s.name === 'strider_gate_verdicts_total');
    assert.deepEqual(gate.map((s) => s.labels['verdict']).sort(), [...GATE_VERDICTS].sort());
    assert.equal(value(samples, 'strider_gate_verdicts_total', { verdict: 'ok' }), 90);
    assert.equal(value(samples, 'strider_gate_verdicts_total', { verdict: 'stale' }), 4);
    assert.equal(value(samples, 'strider_gate_verdicts_total', { verdict: 'tilt' }), 0);
    assert.equal(value(samples, 'strider_gate_safe_commands_total'), 4);
    assert.equal(value(samples, 'strider_model_version'), 3);
    assert.equal(value(samples, 'strider_policy_version'), 2);
    assert.equal(value(samples, 'strider_model_swaps_total', { decision: 'accepted' }), 2);
    assert.equal(value(samples, 'strider_model_swaps_total', { decision: 'rejected' }), 1);
    assert.equal(value(samples, 'strider_model_swaps_total', { decision: 'rolled_back' }), 0);
    assert.equal(value(samples, 'strider_transitions_queued_total'), 100);
    assert.equal(value(samples, 'strider_transitions_spooled_total'), 10);
    assert.equal(value(samples, 'strider_transitions_dropped_total'), 1);
    assert.equal(value(samples, 'strider_trainer_up'), 1);
    assert.equal(value(samples, 'strider_trainer_restarts_total'), 1);
    assert.equal(value(samples, 'strider_trainer_model_version'), 4);
    assert.equal(value(samples, 'strider_trainer_fit_seconds'), 2.5);
    assert.equal(value(samples, 'strider_trainer_train_loss'), 0.25);
    assert.equal(value(samples, 'strider_trainer_val_loss'), 0.5);
  });

  it('gives the process memory of the moment of the scrape', async () => {
    const m = new ControllerMetrics();
    const held = new Float64Array(4 * 1024 * 1024); // 32 MiB outside the heap, after construction
    held[0] = 1;
    // bracketed by readings just before and after the scrape: a GC may free other tests' buffers
    // at any time, so the figure is compared with the moment, not with one taken earlier
    const justBefore = process.memoryUsage().external;
    const { samples } = parsePrometheus(await m.registry.metrics());
    const justAfter = process.memoryUsage().external;
    const rss = value(samples, 'strider_resident_memory_bytes');
    const total = value(samples, 'strider_heap_total_bytes');
    const used = value(samples, 'strider_heap_used_bytes');
    const external = value(samples, 'strider_external_memory_bytes');
    assert.ok(used > 0 && used <= total, `heap used ${used} within total ${total}`);
    const slack = 4 * 1024 * 1024;
    assert.ok(
      external >= held.byteLength &&
        external >= Math.min(justBefore, justAfter) - slack &&
        external <= Math.max(justBefore, justAfter) + slack,
      `external ${external} holds the array and is read at the scrape (${justBefore}..${justAfter})`,
    );
    assert.ok(rss > total, `rss ${rss} above the heap ${total}`);
    assert.equal(held[0], 1);
  });

  it('leaves out the samples of parts not attached, and reads a DAgger run without a learner as 0', async () => {
    const m = new ControllerMetrics();
    m.attach({ modelVersion: () => null, policyVersion: () => undefined });
    const first = parsePrometheus(await m.registry.metrics());
    assert.equal(value(first.samples, 'strider_model_version'), 0);
    for (const name of [
      'strider_ticks_total',
      'strider_policy_version',
      'strider_trainer_model_version',
      'strider_transitions_dropped_total',
      'strider_gate_verdicts_total',
    ])
      assert.ok(!first.samples.some((s) => s.name === name), `${name} has no sample`);
    m.attach({ policyVersion: () => null });
    const second = parsePrometheus(await m.registry.metrics());
    assert.equal(value(second.samples, 'strider_policy_version'), 0);
  });
});
