import * as assert from 'node:assert/strict';
import { parseCliArgs } from '../../../src/cli/args.js';
import { unlabelledSamples } from '../../../src/bench/soakProbe.js';
import {
  leastSquaresSlope,
  parseSoakOptions,
  retentionBytes,
  soakChartSpec,
  soakOverrides,
  summarizeSoak,
  warmup,
  type SoakSample,
} from '../../../src/bench/soakStats.js';
import { isStriderError } from '../../../src/util/StriderError.js';

function sample(
  tMin: number,
  ctlRss: number,
  trnRss: number | null,
  fds = 30,
  heap: { total: number; external: number; used?: number } | null = null,
): SoakSample {
  return {
    t_min: tMin,
    controller: { pid: 10, rss_mib: ctlRss, fds },
    trainer: trnRss === null ? null : { pid: 11, rss_mib: trnRss, fds: fds - 5 },
    disk_mib: { run: tMin, trainer: tMin / 2 },
    metrics: {
      ticks: tMin * 1200,
      misses: 0,
      model_version: Math.floor(tMin / 5),
      heap_total_mib: heap?.total ?? null,
      heap_used_mib: heap?.used ?? null,
      external_mib: heap?.external ?? null,
    },
  };
}

describe('strider bench --soak (pure parts)', () => {
  it('fits the least-squares slope of a line exactly, and of noisy points to the known value', () => {
    const line = [0, 1, 2, 3].map((x) => ({ x, y: 5 + 0.25 * x }));
    assert.ok(Math.abs(leastSquaresSlope(line)! - 0.25) < 1e-12);
    // y = 2x with residuals +1, -1, -1, +1 (symmetric): slope stays 2
    const noisy = [0, 1, 2, 3].map((x, i) => ({ x, y: 2 * x + [1, -1, -1, 1][i]! }));
    assert.ok(Math.abs(leastSquaresSlope(noisy)! - 2) < 1e-12);
    // x 0,1,2 y 0,2,1: mean x 1, mean y 1, sxy = (−1)(−1) + 0 + 1*0 = 1, sxx = 2 -> 0.5
    assert.equal(
      leastSquaresSlope([
        { x: 0, y: 0 },
        { x: 1, y: 2 },
        { x: 2, y: 1 },
      ]),
      0.5,
    );
    assert.equal(leastSquaresSlope([{ x: 1, y: 3 }]), null);
    assert.equal(
      leastSquaresSlope([
        { x: 1, y: 3 },
        { x: 1, y: 4 },
      ]),
      null,
    );
  });

  it('takes the warm-up as 10 minutes, or the first third of a soak under 30 minutes', () => {
    assert.deepEqual(warmup(60), { minutes: 10, rule: 'first 10 minutes' });
    assert.equal(warmup(30).minutes, 10);
    assert.equal(warmup(12).minutes, 4);
    assert.match(warmup(12).rule, /first third/);
  });

  it('summarises RSS slope after the warm-up per 10 minutes, fd ranges and disk vs retention', () => {
    // 60 minutes: a start-up jump of 100 MiB in the warm-up, then 0.05 MiB/min (0.5 per 10 min)
    const samples: SoakSample[] = [];
    for (let t = 1; t <= 60; t++) {
      const ctl = t < 10 ? 100 + 10 * t : 300 + 0.05 * t;
      samples.push(sample(t, ctl, t % 7 === 0 ? null : 200 - 0.1 * t, 30 + (t % 3)));
    }
    const s = summarizeSoak(samples, 60, { max_mib: 40 });
    assert.equal(s.samples, 60);
    assert.equal(s.warmup.minutes, 10);
    assert.ok(Math.abs(s.rss_slope_mib_per_10min.controller! - 0.5) < 1e-9);
    assert.ok(Math.abs(s.rss_slope_mib_per_10min.trainer! + 1) < 1e-9);
    assert.deepEqual(s.fds.controller, { min: 30, max: 32 });
    assert.deepEqual(s.fds.trainer, { min: 25, max: 27 });
    assert.equal(s.disk_mib.trainer_max, 30);
    assert.equal(s.disk_mib.retention_limit_mib, 40);
    assert.equal(s.disk_mib.within_retention, true);
    assert.equal(
      summarizeSoak(samples, 60, { max_bytes: 20 * 1024 * 1024 }).disk_mib.within_retention,
      false,
    );
    const none = summarizeSoak(samples, 60, null);
    assert.equal(none.disk_mib.within_retention, null);
    assert.equal(none.disk_mib.retention, null);
    assert.equal(s.ticks, 72000);
    assert.equal(s.model_version, 12);
    assert.deepEqual(s.trainer_pids, [11]);
    // a last scrape during shutdown reads version 0 (random actions): the newest served stays
    const ending = [
      ...samples,
      { ...sample(61, 300, 200), metrics: { ...sample(61, 300, 200).metrics!, model_version: 0 } },
    ];
    assert.equal(summarizeSoak(ending, 61, null).model_version, 12);
    // with no samples after the warm-up there is no slope
    assert.equal(
      summarizeSoak(samples.slice(0, 5), 60, null).rss_slope_mib_per_10min.controller,
      null,
    );
  });

  it('splits the controller slope into V8 heap, external and the rest', () => {
    // after the warm-up: heap +0.02 MiB/min, external flat, native +0.1 MiB/min (a step at 40)
    const samples: SoakSample[] = [];
    for (let t = 1; t <= 60; t++) {
      const total = 60 + 0.02 * t;
      const used = 40 + 0.005 * t;
      const external = 8;
      const native = 150 + 0.1 * t;
      samples.push(sample(t, total + external + native, 200, 30, { total, external, used }));
    }
    const s = summarizeSoak(samples, 60, null);
    assert.ok(Math.abs(s.controller_slope_by_area.heap_total! - 0.2) < 1e-9);
    assert.ok(Math.abs(s.controller_slope_by_area.heap_used! - 0.05) < 1e-9);
    assert.ok(Math.abs(s.controller_slope_by_area.external!) < 1e-9);
    assert.ok(Math.abs(s.controller_slope_by_area.other! - 1) < 1e-9);
    assert.ok(Math.abs(s.rss_slope_mib_per_10min.controller! - 1.2) < 1e-9);
    // the net change: medians of the first and the last 5 samples after the warm-up (10..14, 56..60)
    assert.ok(Math.abs(s.controller_rss_net_change!.from_mib - (218 + 0.12 * 12)) < 1e-9);
    assert.ok(Math.abs(s.controller_rss_net_change!.to_mib - (218 + 0.12 * 58)) < 1e-9);
    assert.ok(Math.abs(s.controller_rss_net_change!.change_mib - 0.12 * 46) < 1e-9);

    // without the endpoint's figures there is no split
    const bare = summarizeSoak([sample(20, 300, 200), sample(30, 301, 200)], 60, null);
    assert.deepEqual(bare.controller_slope_by_area, {
      heap_total: null,
      heap_used: null,
      external: null,
      other: null,
    });
  });

  it('gives the net change after the warm-up from medians, so one swing at either end does not decide it', () => {
    // flat at 240 MiB, but a dip just after the warm-up and a peak at the end
    const samples: SoakSample[] = [];
    for (let t = 1; t <= 60; t++)
      samples.push(sample(t, t === 10 ? 205 : t === 60 ? 275 : 240, 200));
    const s = summarizeSoak(samples, 60, null);
    assert.deepEqual(s.controller_rss_net_change, { from_mib: 240, to_mib: 240, change_mib: 0 });
    assert.ok(s.rss_slope_mib_per_10min.controller! > 1, 'while least squares sees a slope');
    // fewer than 2 x 5 samples after the warm-up: none
    assert.equal(summarizeSoak(samples.slice(0, 18), 60, null).controller_rss_net_change, null);
  });

  it('reads a retention limit in bytes or MiB, and nothing else', () => {
    assert.equal(retentionBytes({ max_bytes: 1000 }), 1000);
    assert.equal(retentionBytes({ max_mib: 2 }), 2 * 1024 * 1024);
    assert.equal(retentionBytes({ max_transitions: 1000 }), null);
    assert.equal(retentionBytes(undefined), null);
  });

  it('puts the soak overrides before the user\u2019s, with a metrics port and continuous mode', () => {
    const sets = soakOverrides({
      minutes: 0.5,
      metricsPort: 1234,
      defaultConfig: true,
      user: ['run.seed=3'],
    });
    assert.ok(sets.includes('run.mode=continuous'));
    assert.ok(sets.includes('run.duration_s=30'));
    assert.ok(sets.includes('trainer.mode=child'));
    assert.ok(sets.includes('metrics.port=1234'));
    assert.ok(sets.includes('robot.mujoco.pacing=realtime'));
    assert.equal(sets.at(-1), 'run.seed=3');
    assert.ok(
      !soakOverrides({ minutes: 1, metricsPort: 1, defaultConfig: false, user: [] }).some((s) =>
        s.startsWith('robot.'),
      ),
    );
  });

  it('parses --soak, --minutes and --sample-s, and refuses bad values and other commands', () => {
    const p = parseCliArgs(['bench', '--soak', '--minutes', '0.5', '--sample-s', '3']);
    assert.ok(p.kind === 'command');
    assert.equal(p.args.soak, true);
    assert.deepEqual(parseSoakOptions({ minutes: p.args.minutes, sampleS: p.args.sampleS }), {
      minutes: 0.5,
      sampleS: 3,
    });
    assert.deepEqual(parseSoakOptions({}), { minutes: 60, sampleS: 60 });
    for (const bad of [{ minutes: '0' }, { minutes: 'x' }, { sampleS: '-1' }]) {
      assert.throws(
        () => parseSoakOptions(bad),
        (e) => isStriderError(e) && e.code === 'CLI_USAGE',
      );
    }
    assert.throws(() => parseCliArgs(['run', '--soak']), /options of strider bench/);
    assert.throws(() => parseCliArgs(['bench', '--soak', '--learning']), /not both/);
  });

  it('reads unlabelled samples of Prometheus text, and draws RSS and fds against minutes', () => {
    const m = unlabelledSamples(
      '# TYPE strider_ticks_total counter\nstrider_ticks_total 42\nstrider_fallbacks_total{kind="x"} 3\nstrider_model_version 2\n',
    );
    assert.equal(m.get('strider_ticks_total'), 42);
    assert.equal(m.get('strider_model_version'), 2);
    assert.equal(m.has('strider_fallbacks_total'), false);
    const spec = soakChartSpec(
      [sample(1, 100, null), sample(2, 101, 50, 30, { total: 40, external: 5 })],
      't',
    );
    assert.deepEqual(
      spec.series.map((s) => s.name),
      [
        'controller RSS MiB',
        'trainer RSS MiB',
        'controller V8 heap MiB',
        'controller heap used MiB',
        'controller fds',
        'trainer fds',
      ],
    );
    assert.ok(Number.isNaN(spec.series[1]!.points[0]!.y), 'no trainer yet: a gap');
    assert.equal(spec.series[1]!.points[1]!.y, 50);
    assert.ok(Number.isNaN(spec.series[2]!.points[0]!.y), 'no heap figure: a gap');
    assert.equal(spec.series[2]!.points[1]!.y, 40);
  });
});
