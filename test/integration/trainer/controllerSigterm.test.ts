import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { EpisodeStore } from '../../../src/trainer/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { TINY_CONTINUOUS_MODEL } from '../../helpers/tinyRuns.js';

const BIN = resolve('bin/strider.js');

function outboxOf(r: RunReport): Record<string, number> | undefined {
  return (r.trainer?.transport as { outbox?: Record<string, number> } | null | undefined)?.outbox;
}

/**
 * `strider run` (run.mode continuous, child trainer) stopped by SIGTERM while the trainer refits:
 * every transition the controller queued is either acknowledged by the broker or in the spool,
 * and the child trainer's store loads whole.
 */
describe('strider run stopped by SIGTERM (continuous, child trainer)', function () {
  this.timeout(240_000);

  it('flushes or spools the outbox, writes the report, and leaves a consistent trainer store', async () => {
    const tmp = tempDir('strider-sigterm-');
    const out = join(tmp.dir, 'run');
    const report = join(out, 'report.json');
    const sets = [
      'run.mode=continuous',
      'run.report_every_s=1',
      'run.steps_per_episode=150',
      'trainer.mode=child',
      'trainer.refit_transitions=200',
      'trainer.refit_s=2',
      ...TINY_CONTINUOUS_MODEL,
      'model.epochs_per_round=20',
    ];
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--out', out, ...sets.flatMap((s) => ['--set', s])],
      { env: { ...process.env, STRIDER_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    try {
      // wait for a running report with a model swapped in and transitions queued
      const end = Date.now() + 180_000;
      for (;;) {
        assert.ok(Date.now() < end, `no running report with a swap: ${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
        if (!existsSync(report)) continue;
        let r: RunReport;
        try {
          r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
        } catch {
          continue; // caught mid-write
        }
        if (r.status === 'running' && r.swaps.length > 0 && (outboxOf(r)?.['queued'] ?? 0) > 0)
          break;
      }
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await exited;
      process.stdout.write(
        `      strider run exited ${((performance.now() - t0) / 1000).toFixed(2)} s after SIGTERM\n`,
      );
      assert.equal(code, 130, stderr.slice(-3000));
      const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
      assert.equal(r.status, 'interrupted');
      const o = outboxOf(r);
      assert.ok(o !== undefined, 'outbox figures in the report');
      const { queued = -1, published = 0, spooled = 0, drained = 0, dropped = -1 } = o;
      assert.ok(queued > 0);
      assert.equal(dropped, 0);
      assert.equal(
        published - drained + spooled,
        queued,
        `every queued transition acknowledged or spooled: ${JSON.stringify(o)}`,
      );
      // the child trainer's store loads whole: episodes, and a model that validates
      const [stored] = await new EpisodeStore({ dataDir: join(out, 'trainer') }).load();
      assert.ok(stored !== undefined, 'the trainer stored data');
      assert.ok(stored.episodes.length + stored.pending.length > 0);
      assert.ok(stored.latest !== undefined, 'a valid stored model');
      assert.equal(stored.latest.model.version, stored.lastVersion);
    } finally {
      child.kill('SIGKILL');
      tmp.cleanup();
    }
  });
});
