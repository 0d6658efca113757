import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { tempDir } from '../../helpers/tmp.js';

const BIN = resolve('bin/strider.js');

function strider(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, STRIDER_LOG_LEVEL: 'warn' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('strider run (CLI, embedded MuJoCo)', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('strider-cli-');
  });
  after(() => {
    tmp.cleanup();
  });

  it('runs the planar runner with random actions, writes the report contract and both plots, exits 0', () => {
    const out = join(tmp.dir, 'default');
    const r = strider([
      'run',
      '--out',
      out,
      '--set',
      'control.policy=random',
      '--set',
      'run.episodes=2',
      '--set',
      'run.steps_per_episode=30',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /strider run completed: 2 episodes on planar_runner/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    assert.equal(report.status, 'completed');
    assert.equal(report.episodes.length, 2);
    for (const [i, e] of report.episodes.entries()) {
      assert.equal(e.index, i);
      assert.equal(e.steps, 30);
      assert.equal(e.source, 'random');
      assert.ok(Number.isFinite(e.return));
    }
    assert.equal(report.ticks.count, 60);
    assert.equal(report.ticks.budget_ms, 40);
    assert.ok(
      report.ticks.p50_ms > 0 &&
        report.ticks.p50_ms <= report.ticks.p99_ms &&
        report.ticks.p99_ms <= report.ticks.max_ms,
    );
    assert.equal(typeof report.ticks.misses, 'number');
    assert.equal(report.ticks.fallbacks, 0);
    assert.deepEqual(report.robot.joints, ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot']);
    assert.equal(report.robot.base, 'planar');
    assert.ok(!report.state.names.includes('base.pos.x'), 'world x is excluded by default');
    for (const name of ['learning_curve', 'tick_latency']) {
      assert.ok(existsSync(join(out, `${name}.svg`)), `${name}.svg`);
      const png = readFileSync(join(out, `${name}.png`));
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    }
  });

  it('honours --report and runs another MuJoCo model of the same class given by --set robot.model', () => {
    const out = join(tmp.dir, 'heavy');
    const reportPath = join(tmp.dir, 'heavy-report.json');
    const model = resolve('urdf/planar_runner_heavy.xml');
    const r = strider([
      'run',
      '--out',
      out,
      '--report',
      reportPath,
      '--set',
      `robot.model=${model}`,
      '--set',
      'control.policy=random',
      '--set',
      'run.episodes=1',
      '--set',
      'run.steps_per_episode=20',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport;
    assert.equal(report.robot.model, model);
    assert.equal(report.episodes.length, 1);
  });

  it('exits non-zero with MuJoCo\u2019s own message and the file name for a model with an XML error', () => {
    const bad = tmp.write(
      'broken.xml',
      '<mujoco model="b">\n  <worldbody>\n    <geom type="sphere" size="oops"/>\n  </worldbody>\n</mujoco>\n',
    );
    const r = strider(['run', '--out', join(tmp.dir, 'bad'), '--set', `robot.model=${bad}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /MODEL_LOAD/);
    assert.match(r.stderr, /broken\.xml/);
    assert.doesNotMatch(r.stderr, /mjXError|at .*\.ts:\d+/); // MuJoCo's text, no stack trace
    assert.match(r.stderr, /size|line 3|geom/i);
  });

  it('exits 2 naming the file and key path for a wrong key or an out-of-range value', () => {
    const cfg = tmp.write(
      'bad.yaml',
      `robot:\n  model: ${resolve('urdf/planar_runner.xml')}\ncontrol:\n  rate_hz: 20\n  budgt_ms: 10\n`,
    );
    const r = strider(['run', '--config', cfg]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /CONFIG_INVALID: invalid config .*bad\.yaml/);
    assert.match(r.stderr, /control: unknown key "budgt_ms"/);
    const r2 = strider([
      'run',
      '--config',
      cfg.replace('bad.yaml', 'bad.yaml'),
      '--set',
      'run.episodes=0',
    ]);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /run\.episodes: .*>=1.*\(from --set run\.episodes=0\)/);
  });

  it('prints help for every command and rejects unknown ones', () => {
    const h = strider(['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Usage: strider <command>/);
    const rh = strider(['run', '--help']);
    assert.equal(rh.status, 0);
    assert.match(rh.stdout, /--set PATH=VALUE/);
    assert.match(rh.stdout, /robot\.link ros2 the robot is a ROS 2 robot or Gazebo/);
    assert.match(rh.stdout, /config\/quadruped_ros2\.yaml/);
    const bad = strider(['fly']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /CLI_USAGE: unknown command "fly"/);
  });
});
