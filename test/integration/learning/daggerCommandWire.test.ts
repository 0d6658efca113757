import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { tempDir } from '../../helpers/tmp.js';
import { TINY_DAGGER_RUN } from '../../helpers/tinyRuns.js';

const BIN = resolve('bin/strider.js');

describe('strider run control.policy dagger, trainer.mode child, task.reward cmd_vel (planar runner)', function () {
  this.timeout(300_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('strider-dagger-cmd-');
  });
  after(() => {
    tmp.cleanup();
  });

  it('streams the command with each transition: the trainer process publishes policies taking state ++ command, and the controller accepts them', () => {
    const out = join(tmp.dir, 'run');
    const set = ['task.reward=cmd_vel', 'trainer.mode=child', ...TINY_DAGGER_RUN].flatMap((s) => [
      '--set',
      s,
    ]);
    const r = spawnSync(process.execPath, [BIN, 'run', '--out', out, ...set], {
      encoding: 'utf8',
      timeout: 280_000,
      maxBuffer: 256 << 20,
      // info: the trainer process logs each published policy's input layout (as its manifest)
      env: { ...process.env, STRIDER_LOG_LEVEL: 'info' },
    });
    assert.equal(r.status, 0, r.stderr.slice(-4000));
    const published = readFileSync(join(out, 'trainer', 'console.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"policy published"'))
      .map((l) => JSON.parse(l) as { inputLayout: { state_dim: number; command: string[] } });
    assert.ok(published.length >= 1, 'the trainer process published a policy');
    for (const p of published) assert.deepEqual(p.inputLayout.command, ['vx', 'vy', 'yaw_rate']);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const p = report.policy;
    assert.ok(p !== null, 'report.policy is filled');
    // the gate rejects a state-only policy on a task with a command: an accepted one took it
    assert.ok(
      p.decisions.some((d) => d.decision === 'accepted'),
      JSON.stringify(p.decisions),
    );
    assert.ok(!p.decisions.some((d) => /state only/.test(d.reason ?? '')));
    assert.ok(p.dagger.learner_acted > 0, 'the policy acted');
  });
});
