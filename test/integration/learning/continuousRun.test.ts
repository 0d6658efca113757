import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { tempDir } from '../../helpers/tmp.js';
import { TINY_CONTINUOUS_MODEL } from '../../helpers/tinyRuns.js';

const BIN = resolve('bin/strider.js');

/**
 * run.mode continuous on the planar runner with a child trainer refitting on a small transition
 * count: model versions take over in the middle of an episode, the runner is started once (control
 * never paused for the trainer), the simulator is reset by the episode length and control goes on,
 * and a periodic report (status running) exists before the run ends.
 */
describe('strider run, run.mode continuous (child trainer, embedded MuJoCo)', function () {
  this.timeout(240_000);

  it('swaps versions in mid-episode without pausing control, and writes the report periodically', async () => {
    const tmp = tempDir('strider-continuous-');
    const out = join(tmp.dir, 'run');
    const report = join(out, 'report.json');
    const sets = [
      'run.mode=continuous',
      'run.duration_s=25',
      'run.report_every_s=1',
      'run.steps_per_episode=150',
      'trainer.mode=child',
      'trainer.refit_transitions=300',
      'trainer.refit_s=3',
      ...TINY_CONTINUOUS_MODEL,
      'model.epochs_per_round=1',
    ];
    const args = ['run', '--out', out, ...sets.flatMap((s) => ['--set', s])];
    // node started directly, malloc's arenas uncapped: the run says so (docs/daemon.md)
    const env = { ...process.env };
    delete env.MALLOC_ARENA_MAX;
    env.MALLOC_MMAP_THRESHOLD_ = '131072';
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, STRIDER_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const seenWhileRunning: string[] = [];
    const watch = setInterval(() => {
      if (!existsSync(report)) return;
      try {
        const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
        seenWhileRunning.push(r.status);
      } catch {
        // caught mid-write: the next look reads it whole
      }
    }, 250);
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    clearInterval(watch);
    try {
      assert.equal(code, 0, stderr);
      assert.ok(
        seenWhileRunning.includes('running'),
        `periodic report before the end: ${seenWhileRunning.join(',')}`,
      );
      const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
      assert.equal(r.status, 'completed');
      assert.ok(r.continuous !== undefined, 'continuous section in the report');
      const c = r.continuous;
      assert.equal(c.runner_starts, 1, 'the runner was started once: no pause for training');
      const mid = c.takeovers.filter((t) => t.version !== null && t.mid_episode);
      assert.ok(mid.length >= 1, `a version took over mid-episode: ${JSON.stringify(c.takeovers)}`);
      assert.ok(mid.every((t) => t.step > 1));
      assert.ok(r.swaps.some((s) => s.decision === 'accepted'));
      // the episode length reset the simulator and control went on: several episodes, no halt
      assert.ok(r.episodes.length >= 2, `episodes: ${r.episodes.length}`);
      const steps = r.episodes.reduce((a, e) => a + e.steps, 0);
      // every tick was a recorded step: no tick spent holding or waiting
      assert.equal(r.ticks.held, 0);
      assert.ok(r.ticks.count >= steps && r.ticks.count <= steps + r.episodes.length + 1);
      const transport = r.trainer?.transport as { outbox: Record<string, number> } | null;
      assert.ok(transport, 'transport figures of the trainer process');
      assert.equal(transport.outbox['dropped'] ?? 0, 0);
      const log = readFileSync(join(out, 'strider.log'), 'utf8');
      assert.match(log, /"MALLOC_ARENA_MAX":"unset".*MALLOC_ARENA_MAX unset: native memory/);
    } finally {
      tmp.cleanup();
    }
  });
});
