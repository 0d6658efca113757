import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SoakReport } from '../../../src/bench/soak.js';
import { mallocTuning, withMallocTuning } from '../../../src/util/mallocTuning.js';
import { tempDir } from '../../helpers/tmp.js';

const BIN = resolve('bin/strider.js');

describe('strider bench --soak (a short soak of strider run with a child trainer)', function () {
  this.timeout(180_000);

  it('samples both processes and writes soak.json with a summary and soak.svg', async () => {
    const tmp = tempDir('strider-soak-');
    const out = join(tmp.dir, 'soak');
    const sets = [
      'run.report_every_s=0',
      'trainer.refit_transitions=200',
      'trainer.refit_s=3',
      'model.ensemble_size=2',
      'model.hidden=[16, 16]',
      'model.epochs_first=2',
      'model.epochs_per_round=1',
      'model.h_step_horizon=5',
      'planner.population=20',
      'planner.horizon=5',
      'planner.iterations=1',
    ];
    const args = ['bench', '--soak', '--minutes', '0.3', '--sample-s', '3', '--out', out];
    const child = spawn(process.execPath, [BIN, ...args, ...sets.flatMap((s) => ['--set', s])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    try {
      assert.equal(code, 0, output);
      const r = JSON.parse(readFileSync(join(out, 'soak.json'), 'utf8')) as SoakReport;
      assert.equal(r.ended_by, 'duration');
      // the soak starts its run as bin/strider.js would, malloc tuned (the test's node may be without)
      assert.deepEqual(r.run_malloc, mallocTuning(withMallocTuning(process.env)));
      assert.ok(r.samples.length >= 2, `samples: ${r.samples.length}`);
      assert.ok(r.samples.every((s) => s.controller !== null && s.controller.rss_mib > 0));
      const withTrainer = r.samples.filter((s) => s.trainer !== null);
      assert.ok(withTrainer.length >= 1, 'the trainer child was found');
      assert.ok(withTrainer.every((s) => s.trainer!.rss_mib > 0 && s.trainer!.fds > 0));
      assert.notEqual(withTrainer[0]!.trainer!.pid, withTrainer[0]!.controller!.pid);
      assert.ok(
        r.samples.some((s) => (s.metrics?.ticks ?? 0) > 0),
        'ticks read from /metrics',
      );
      const scraped = r.samples.flatMap((s) => (s.metrics === null ? [] : [s.metrics]));
      assert.ok(
        scraped.some(
          (m) =>
            m.heap_total_mib !== null &&
            m.heap_total_mib > 1 &&
            m.heap_used_mib !== null &&
            m.heap_used_mib > 1 &&
            m.heap_used_mib <= m.heap_total_mib &&
            m.external_mib !== null &&
            m.external_mib > 0,
        ),
        'the controller heap figures read from /metrics',
      );
      assert.match(output, /controller slope by area: V8 heap/);
      assert.equal(r.summary.samples, r.samples.length);
      assert.ok(r.summary.fds.controller.min! > 0);
      assert.match(r.summary.warmup.rule, /first third/);
      assert.match(output, /RSS slope after warm-up/);
      assert.ok(existsSync(join(out, 'soak.svg')));
      assert.match(readFileSync(join(out, 'soak.svg'), 'utf8'), /controller RSS MiB/);
    } finally {
      tmp.cleanup();
    }
  });
});
