import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { budgetMs, loadConfig, parseOverride } from '../../../src/config/index.js';
import { StriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';

function expectError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StriderError, `expected StriderError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('config/loadConfig', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.cleanup();
  });

  it('fills defaults, resolves the model relative to the file, and freezes the result', () => {
    const file = tmp.write('c.yaml', 'robot:\n  model: robots/runner.xml\n');
    const { config, path } = loadConfig(file);
    assert.equal(path, file);
    assert.equal(config.robot.model, join(tmp.dir, 'robots/runner.xml'));
    assert.equal(config.robot.link, 'mujoco');
    assert.equal(config.robot.mujoco.pacing, 'lockstep');
    assert.equal(config.control.rate_hz, 20);
    assert.deepEqual(config.state.base, ['pos_z', 'quat', 'linvel', 'angvel']);
    assert.equal(config.run.episodes, 5);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.control));
    assert.throws(() => {
      (config.control as { rate_hz: number }).rate_hz = 1;
    }, TypeError);
  });

  it('loads the shipped configs', () => {
    const shipped = readdirSync('config').filter(
      (f) => f.endsWith('.yaml') && f !== 'ros2_controllers.yaml',
    );
    assert.deepEqual(shipped.sort(), [
      'diffdrive_replay.yaml',
      'planar_runner.yaml',
      'quadruped.yaml',
      'quadruped_ros2.yaml',
    ]);
    for (const name of shipped) {
      const { config } = loadConfig(join('config', name));
      assert.ok(existsSync(config.robot.model), `${name}: robot.model ${config.robot.model}`);
    }
  });

  it('rejects an unknown key naming the file, key path, line and valid keys', () => {
    const file = tmp.write(
      'c.yaml',
      'robot:\n  model: m.xml\ncontrol:\n  rate_hz: 50\n  rat_hz: 20\n',
    );
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /c\.yaml[\s\S]*control: unknown key "rat_hz".*valid keys: rate_hz, budget_ms/,
    );
  });

  it('rejects an out-of-range value naming the key path, the bound, the value and the line', () => {
    const file = tmp.write('c.yaml', 'robot:\n  model: m.xml\ncontrol:\n  rate_hz: 5000\n');
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /control\.rate_hz: .*<=1000.*\(got 5000\).*\(line 4\)/,
    );
  });

  it('rejects a wrong type and a bad enum value', () => {
    const file = tmp.write(
      'c.yaml',
      'robot:\n  model: m.xml\n  mujoco:\n    pacing: fast\nrun:\n  episodes: many\n',
    );
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /robot\.mujoco\.pacing: .*"lockstep".*"realtime"[\s\S]*run\.episodes: .*expected number/,
    );
  });

  it('requires robot.model', () => {
    const file = tmp.write('c.yaml', 'control:\n  rate_hz: 10\n');
    expectError(() => loadConfig(file), 'CONFIG_INVALID', /robot: .*expected object/);
  });

  it('rejects a budget longer than the control period', () => {
    const file = tmp.write(
      'c.yaml',
      'robot:\n  model: m.xml\ncontrol:\n  rate_hz: 50\n  budget_ms: 30\n',
    );
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /control\.budget_ms: 30 ms exceeds the control period 20\.000 ms/,
    );
  });

  it("rejects planner.execute 'mean' with random shooting, naming the key", () => {
    const file = tmp.write(
      'c.yaml',
      'robot:\n  model: m.xml\nplanner:\n  optimizer: random\n  execute: mean\n',
    );
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /planner\.execute: 'mean' needs a sampling distribution: planner\.optimizer cem, icem or mppi/,
    );
    const ok = loadConfig(file, { overrides: ['planner.optimizer=mppi'] });
    assert.equal(ok.config.planner.execute, 'mean');
  });

  it('rejects policy.return_weight without an in-process trainer', () => {
    const file = tmp.write(
      'r.yaml',
      'robot:\n  model: m.xml\ncontrol:\n  policy: dagger\npolicy:\n  return_weight: 1\n',
    );
    expectError(
      () => loadConfig(file),
      'CONFIG_INVALID',
      /policy\.return_weight: > 0 needs trainer\.mode in_process .* got trainer\.mode child/,
    );
    // every task reward has a differentiable form (rewardGraph): cmd_vel and legged pass
    for (const reward of ['cmd_vel', 'legged']) {
      const c = loadConfig(file, {
        overrides: ['trainer.mode=in_process', `task.reward=${reward}`],
      });
      assert.equal(c.config.task.reward, reward);
    }
    const ok = loadConfig(file, { overrides: ['trainer.mode=in_process'] });
    assert.equal(ok.config.policy.return_weight, 1);
    assert.equal(ok.config.policy.return_horizon, 10);
    // unused without DAgger: no error
    const mpc = loadConfig(file, { overrides: ['control.policy=mpc'] });
    assert.equal(mpc.config.trainer.mode, 'child');
  });

  it('reports invalid YAML and missing files with their own codes', () => {
    const bad = tmp.write('bad.yaml', 'robot: [unclosed\n');
    expectError(() => loadConfig(bad), 'CONFIG_YAML', /bad\.yaml: invalid YAML/);
    expectError(
      () => loadConfig(join(tmp.dir, 'none.yaml')),
      'CONFIG_NOT_FOUND',
      /none\.yaml cannot be read/,
    );
  });

  it('applies --set overrides with YAML-typed values; a relative model path resolves from cwd', () => {
    const file = tmp.write('c.yaml', 'robot:\n  model: m.xml\n');
    const { config } = loadConfig(file, {
      overrides: [
        'control.rate_hz=50',
        'state.base=[pos_z, quat]',
        'robot.model=other/x.xml',
        'run.seed=7',
      ],
      cwd: '/work/somewhere',
    });
    assert.equal(config.control.rate_hz, 50);
    assert.deepEqual(config.state.base, ['pos_z', 'quat']);
    assert.equal(config.robot.model, '/work/somewhere/other/x.xml');
    assert.equal(config.run.seed, 7);
  });

  it('names the --set that caused a validation error', () => {
    const file = tmp.write('c.yaml', 'robot:\n  model: m.xml\n');
    expectError(
      () => loadConfig(file, { overrides: ['control.rate_hz=-3'] }),
      'CONFIG_INVALID',
      /control\.rate_hz: .*>=1.*\(got -3\) \(from --set control\.rate_hz=-3\)/,
    );
    expectError(
      () => loadConfig(file, { overrides: ['control.nope=1'] }),
      'CONFIG_INVALID',
      /control: unknown key "nope"/,
    );
  });

  it('rejects malformed overrides', () => {
    expectError(() => parseOverride('rate_hz'), 'CONFIG_OVERRIDE', /expected path=value/);
    expectError(() => parseOverride('=3'), 'CONFIG_OVERRIDE', /expected path=value/);
    expectError(() => parseOverride('a..b=3'), 'CONFIG_OVERRIDE', /expected path=value/);
    const file = tmp.write('c.yaml', 'robot:\n  model: m.xml\ncontrol:\n  rate_hz: 20\n');
    expectError(
      () => loadConfig(file, { overrides: ['control.rate_hz.x=1'] }),
      'CONFIG_OVERRIDE',
      /control\.rate_hz is a value, not a section/,
    );
  });

  it('parses override values as YAML', () => {
    assert.deepEqual(parseOverride('a.b=1.5').value, 1.5);
    assert.deepEqual(parseOverride('a=true').value, true);
    assert.deepEqual(parseOverride('a=/abs/path.xml').value, '/abs/path.xml');
    assert.deepEqual(parseOverride('a=x=y').value, 'x=y');
  });

  it('derives the default budget as 80% of the period', () => {
    const file = tmp.write('c.yaml', 'robot:\n  model: m.xml\ncontrol:\n  rate_hz: 50\n');
    assert.equal(budgetMs(loadConfig(file).config.control), 16);
  });
});

describe('config reference (docs/config.md)', () => {
  it('is the one generated from the schema (run npm run docs:config after a schema change)', async () => {
    const { readFileSync } = await import('node:fs');
    const { configReferenceMarkdown } = await import('../../../src/config/configReference.js');
    assert.equal(readFileSync('docs/config.md', 'utf8'), configReferenceMarkdown());
  });
});
