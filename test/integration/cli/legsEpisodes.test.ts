import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { meanHeadingVelocity, planarDrift } from '../../../src/control/episodeMotion.js';
import { learningCurveSvg } from '../../../src/telemetry/runPlots.js';
import { silentLogger } from '../../../src/util/logger.js';
import { QUADRUPED_EFFORT_URDF } from '../../helpers/quadruped.js';
import { tempDir } from '../../helpers/tmp.js';

const URDF = resolve('urdf/quadruped.urdf');
const STANCE =
  '{fl_hip_abd_joint: 0, fl_hip_joint: 0.7, fl_knee_joint: -1.4, fr_hip_abd_joint: 0, fr_hip_joint: 0.7, fr_knee_joint: -1.4, ' +
  'rl_hip_abd_joint: 0, rl_hip_joint: 0.7, rl_knee_joint: -1.4, rr_hip_abd_joint: 0, rr_hip_joint: 0.7, rr_knee_joint: -1.4}';

/**
 * The quadruped in MuJoCo, random actions, falls on, cmd_vel 0.4 m/s; `action` the action space,
 * `model` the URDF (the shipped position quadruped unless given).
 */
function configFile(dir: ReturnType<typeof tempDir>, action: string, model: string): string {
  return dir.write(
    'legs.yaml',
    [
      'robot:',
      `  model: ${model}`,
      '  mujoco: { reset_noise: 0.02 }',
      'control:',
      '  rate_hz: 50',
      '  policy: random',
      '  random: { scale: 0.3 }',
      `  action: ${action}`,
      'task:',
      '  reward: cmd_vel',
      '  cmd_vel: { linear_x: 0.4 }',
      '  fall: { enabled: true }',
      'trainer: { mode: in_process }',
      // this machine is shared: a stall of one tick must not latch a stale state mid-test
      'safety: { state_timeout_ms: 2000 }',
      'run: { steps_per_episode: 150 }',
      '',
    ].join('\n'),
  );
}

async function oneEpisode(action: string, model = URDF) {
  const dir = tempDir('strider-legs-');
  const { config } = loadConfig(configFile(dir, action, model));
  dir.cleanup();
  const session = new RunSession({ config, logger: silentLogger() });
  try {
    const parts = await session.open();
    const [record] = await parts.runner.runEpisodes(1);
    return { record: record!, layout: parts.assembler.layout };
  } finally {
    await session.close();
  }
}

describe('legged episodes in MuJoCo: stance start, falls, velocity and command (real MuJoCo WASM)', function () {
  this.timeout(120000);

  it('an effort quadruped under random torques falls: the episode ends early, terminated "fall"', async () => {
    const { record, layout } = await oneEpisode('{ space: effort }', QUADRUPED_EFFORT_URDF);
    assert.equal(record.terminated, 'fall');
    assert.ok(record.steps < 150, `ended after ${record.steps} steps`);
    // the record names the limit its last state passed (no keyframe: half the first state's height)
    const zi = layout.names.indexOf('base.pos.z');
    const z = record.states[record.steps * layout.dim + zi]!;
    assert.equal(record.fall, z < 0.5 * record.states[zi]! ? 'height' : 'tilt', `z ${z}`);
    const svg = learningCurveSvg([record], 'falls');
    assert.match(svg, />fall</, 'the learning curve marks the fall in its legend');
  });

  it('position targets around a config stance with PD from config: starts standing and does not fall', async () => {
    const { record, layout } = await oneEpisode(
      `{ space: position, nominal: config, stance: ${STANCE}, scale: 0.3, pd: { kp: 80, kv: 2 } }`,
    );
    assert.equal(record.terminated, null);
    assert.equal(record.fall, null);
    assert.equal(record.steps, 150);
    const z = layout.names.indexOf('base.pos.z');
    assert.ok(record.states[z]! > 0.3, `starts standing at z ${record.states[z]}`);
    assert.deepEqual(record.command, { x: 0.4, y: 0, yaw_rate: 0 });
    const v = meanHeadingVelocity(record.states, record.steps, layout);
    assert.ok(v !== null && Math.abs(v.x) < 1 && Number.isFinite(v.yaw_rate));
    // the drift is integrated at the control period (50 Hz) and lands in the record
    assert.ok(record.drift !== null && record.drift >= 0, `drift ${record.drift}`);
    assert.equal(record.drift, planarDrift(record.states, record.steps, layout, 1 / 50));
  });
});

describe('legged episodes: a URDF’s "home" keyframe', function () {
  this.timeout(120000);

  it('nominal keyframe on the position URDF: the ros2_control initial values are the stance, reset stands it', async () => {
    const dir = tempDir('strider-legs-');
    const { config } = loadConfig(
      configFile(dir, '{ space: position, nominal: keyframe, keyframe: home, scale: 0.3 }', URDF),
    );
    dir.cleanup();
    const session = new RunSession({ config, logger: silentLogger() });
    try {
      const parts = await session.open();
      const nominal = Array.from(parts.actionSpace.nominal);
      // 4 legs of hip_abd 0, hip 0.7, knee -1.4 (urdf/quadruped.urdf's initial_value params)
      assert.deepEqual(
        nominal.map((v) => Math.round(v * 100) / 100),
        [0, 0.7, -1.4, 0, 0.7, -1.4, 0, 0.7, -1.4, 0, 0.7, -1.4],
      );
      const [record] = await parts.runner.runEpisodes(1);
      const z = parts.assembler.layout.names.indexOf('base.pos.z');
      assert.ok(record!.states[z]! > 0.3, `starts standing at z ${record!.states[z]}`);
      // reset to the stance (not qpos0's straight legs), within the reset noise
      const knee = parts.assembler.layout.names.indexOf('joint.fl_knee_joint.pos');
      assert.ok(Math.abs(record!.states[knee]! + 1.4) < 0.1, `knee ${record!.states[knee]}`);
      assert.equal(record!.terminated, null, 'does not fall under random targets around it');
    } finally {
      await session.close();
    }
  });
});

describe('control/episodeMotion meanHeadingVelocity', () => {
  it('turns the world velocity into the heading frame', () => {
    const layout = {
      dim: 7,
      names: [
        'base.quat.w',
        'base.quat.x',
        'base.quat.y',
        'base.quat.z',
        'base.linvel.x',
        'base.linvel.y',
        'base.angvel.z',
      ],
    } as unknown as Parameters<typeof meanHeadingVelocity>[2];
    const h = Math.SQRT1_2; // yaw 90 degrees: facing world +y
    const row = [h, 0, 0, h, 0, 0.5, 0.2];
    const states = Float32Array.from([...row, ...row, ...row]);
    const v = meanHeadingVelocity(states, 2, layout)!;
    assert.ok(
      Math.abs(v.x - 0.5) < 1e-6 && Math.abs(v.y) < 1e-6 && Math.abs(v.yaw_rate - 0.2) < 1e-6,
    );
  });
});

describe('control/episodeMotion planarDrift', () => {
  const layout = {
    dim: 3,
    names: ['base.pos.z', 'base.linvel.x', 'base.linvel.y'],
  } as unknown as Parameters<typeof planarDrift>[2];

  it('sums the world-frame velocity of the states after the first over the period', () => {
    // first state (moving fast) is not counted: it is no action's result
    const rows = [[0.3, 9, 9], ...Array.from({ length: 50 }, () => [0.3, 0.3, -0.4])];
    const d = planarDrift(Float32Array.from(rows.flat()), 50, layout, 0.02)!;
    assert.ok(Math.abs(d - 0.5) < 1e-6, `0.5 m expected (1 s at 0.5 m/s), got ${d}`);
  });

  it('is zero for a walk that comes back, and null without linvel or a period', () => {
    const there = Array.from({ length: 10 }, () => [0.3, 0.2, 0]);
    const back = Array.from({ length: 10 }, () => [0.3, -0.2, 0]);
    const states = Float32Array.from([[0.3, 0, 0], ...there, ...back].flat());
    assert.ok(Math.abs(planarDrift(states, 20, layout, 0.02)!) < 1e-6);
    assert.equal(planarDrift(states, 20, layout, 0), null);
    const noVel = { dim: 1, names: ['base.pos.z'] } as unknown as typeof layout;
    assert.equal(planarDrift(Float32Array.of(0.3, 0.3), 1, noVel, 0.02), null);
  });
});
