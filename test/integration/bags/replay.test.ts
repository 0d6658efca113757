import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BagRecorder } from '../../../src/bags/BagRecorder.js';
import type { CommonArgs } from '../../../src/cli/args.js';
import { replayCommand, type ReplayReport } from '../../../src/cli/replayCommand.js';
import { readModelArtifactDir } from '../../../src/transport/ModelArtifactDir.js';
import { Rng } from '../../../src/util/rng.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';

const T0 = 1_700_000_000_000_000_000n;
const FAST = ['log.level=warn', 'model.epochs_first=120', 'model.ensemble_size=3'];

/**
 * A diff-drive base (unicycle, first-order velocity response with tau 0.3 s to a piecewise
 * constant cmd_vel) recorded at 20 Hz odometry: 60 s, odometry silent for 2 s at t = 30 s.
 */
async function recordDiffDrive(dir: string): Promise<void> {
  const rec = await BagRecorder.open(dir, [
    { name: '/odom', type: 'nav_msgs/msg/Odometry' },
    { name: '/cmd_vel', type: 'geometry_msgs/msg/Twist' },
  ]);
  const rng = new Rng(7);
  const dt = 0.05;
  let x = 0;
  let y = 0;
  let yaw = 0;
  let v = 0;
  let w = 0;
  let cmdV = 0;
  let cmdW = 0;
  for (let k = 0; k < 1200; k++) {
    const t = T0 + BigInt(k) * 50_000_000n;
    if (k % 20 === 0) {
      cmdV = 0.5 * rng.next();
      cmdW = 2 * rng.next() - 1;
      rec.write('/cmd_vel', t, {
        linear: { x: cmdV, y: 0, z: 0 },
        angular: { x: 0, y: 0, z: cmdW },
      });
    }
    const silent = k >= 600 && k < 640;
    if (!silent) {
      rec.write('/odom', t + 1000n, {
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' },
        child_frame_id: 'base_link',
        pose: {
          pose: {
            position: { x, y, z: 0 },
            orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
          },
          covariance: new Float64Array(36),
        },
        twist: {
          twist: { linear: { x: v, y: 0, z: 0 }, angular: { x: 0, y: 0, z: w } },
          covariance: new Float64Array(36),
        },
      });
    }
    v += ((cmdV - v) * dt) / 0.3;
    w += ((cmdW - w) * dt) / 0.3;
    x += v * Math.cos(yaw) * dt;
    y += v * Math.sin(yaw) * dt;
    yaw += w * dt;
    if (k % 100 === 99) await new Promise((r) => setTimeout(r, 0)); // let the recorder drain
  }
  await rec.close();
}

function args(bag: string, out: string, set: string[] = []): CommonArgs {
  return {
    command: 'replay',
    config: 'config/diffdrive_replay.yaml',
    set: [...FAST, ...set],
    out,
    report: undefined,
    help: false,
    bag,
  };
}

describe('strider replay', function () {
  this.timeout(180_000);
  const tmp = tempDir('strider-replay-');
  const bag = join(tmp.dir, 'diffdrive');
  before(async () => {
    await recordDiffDrive(bag);
  });
  after(() => {
    tmp.cleanup();
  });

  it('trains on a recorded diff-drive bag: episodes split at the gap, the model beats both baselines at H', async () => {
    const out = join(tmp.dir, 'out');
    assert.equal(await replayCommand(args(bag, out), 'test'), 0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReplayReport;
    assert.ok(report.gaps >= 1, `gaps ${report.gaps}`);
    assert.ok(
      report.episodes >= 10 && report.transitions > 500,
      `${report.episodes} episodes, ${report.transitions} transitions`,
    );
    assert.equal(report.train.transitions + report.held_out.transitions, report.transitions);
    assert.ok(report.held_out.episodes >= 2);
    assert.deepEqual(report.action_names, ['cmd.linear.x', 'cmd.angular.z']);
    assert.equal(report.horizon, 10);
    assert.ok(
      report.h_step_error < report.baselines.zero_delta.h_step_error,
      JSON.stringify(report),
    );
    assert.ok(
      report.h_step_error < report.baselines.constant_velocity.h_step_error,
      JSON.stringify(report),
    );
    const artifact = await readModelArtifactDir(join(out, 'model'));
    assert.ok(artifact.ok);
    assert.equal(artifact.value.model.snapshot.architecture.stateDim, report.state_names.length);
    assert.equal(artifact.value.model.snapshot.architecture.actionDim, 2);
  });

  it('bad input: missing topic, type mismatch, non-bag file, empty bag, each named with what was expected', async () => {
    const out = join(tmp.dir, 'bad');
    await assert.rejects(
      replayCommand(args(bag, out, ['replay.odometry=/wheel_odom']), 'test'),
      (e: unknown) =>
        isStriderError(e, 'BAG_TOPIC_MISSING') &&
        /"\/wheel_odom" \(expected nav_msgs\/msg\/Odometry\)/.test(e.message),
    );
    await assert.rejects(
      replayCommand(args(bag, out, ['replay.action.topic=/odom']), 'test'),
      (e: unknown) =>
        isStriderError(e, 'BAG_TYPE_MISMATCH') &&
        /"\/odom".*nav_msgs\/msg\/Odometry; expected geometry_msgs\/msg\/Twist/.test(e.message),
    );
    await assert.rejects(
      replayCommand(args(bag, out, ['replay.action.kind=float64_multi_array']), 'test'),
      (e: unknown) =>
        isStriderError(e, 'BAG_TYPE_MISMATCH') &&
        /"\/cmd_vel".*expected std_msgs\/msg\/Float64MultiArray/.test(e.message),
    );
    const text = tmp.write('readme.mcap', 'not a bag\n');
    await assert.rejects(
      replayCommand(args(text, out), 'test'),
      (e: unknown) => isStriderError(e, 'BAG_NOT_A_BAG') && e.message.includes('readme.mcap'),
    );
    const empty = join(tmp.dir, 'emptybag');
    await (
      await BagRecorder.open(empty, [
        { name: '/odom', type: 'nav_msgs/msg/Odometry' },
        { name: '/cmd_vel', type: 'geometry_msgs/msg/Twist' },
      ])
    ).close();
    await assert.rejects(
      replayCommand(args(empty, out), 'test'),
      (e: unknown) =>
        isStriderError(e, 'BAG_EMPTY') &&
        /"\/odom".*no messages \(expected nav_msgs\/msg\/Odometry\)/.test(e.message),
    );
  });

  it('replay.robot model: JointState names matched to the robot model, a Float64MultiArray action', async () => {
    const joints = ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot'];
    const dir = join(tmp.dir, 'runner');
    const rec = await BagRecorder.open(dir, [
      { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
      { name: '/cmd', type: 'std_msgs/msg/Float64MultiArray' },
    ]);
    const rng = new Rng(3);
    const pos = new Float64Array(6);
    const vel = new Float64Array(6);
    const cmd = new Float64Array(6);
    for (let k = 0; k < 400; k++) {
      const t = T0 + BigInt(k) * 50_000_000n;
      if (k % 10 === 0) {
        for (let d = 0; d < 6; d++) cmd[d] = 2 * rng.next() - 1;
        rec.write('/cmd', t, { layout: { dim: [], data_offset: 0 }, data: cmd.slice() });
      }
      // the bag lists the joints in another order than the model, plus one the model lacks
      rec.write('/joint_states', t + 1000n, {
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
        name: ['camera_pan', ...[...joints].reverse()],
        position: Float64Array.from([9, ...[...pos].reverse()]),
        velocity: Float64Array.from([0, ...[...vel].reverse()]),
        effort: new Float64Array(),
      });
      for (let d = 0; d < 6; d++) {
        vel[d] = 0.9 * vel[d]! + 0.1 * cmd[d]!;
        pos[d] = pos[d]! + 0.05 * vel[d]!;
      }
      if (k % 100 === 99) await new Promise((r) => setTimeout(r, 0));
    }
    await rec.close();
    const set = [
      'log.level=warn',
      'model.hidden=[32,32]',
      'model.epochs_first=30',
      'model.ensemble_size=2',
      'state.base=[]',
      'replay.robot=model',
      'replay.odometry=null',
      'replay.joint_states=/joint_states',
      'replay.action.kind=float64_multi_array',
      'replay.action.topic=/cmd',
      'replay.episode_s=4',
    ];
    const out = join(tmp.dir, 'runner_out');
    const base = {
      command: 'replay',
      config: 'config/planar_runner.yaml',
      out,
      report: undefined,
      help: false,
      bag: dir,
    } as const;
    assert.equal(await replayCommand({ ...base, set }, 'test'), 0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReplayReport;
    assert.deepEqual(report.state_names, [
      ...joints.map((j) => `joint.${j}.pos`),
      ...joints.map((j) => `joint.${j}.vel`),
    ]);
    assert.deepEqual(report.action_names, ['cmd.0', 'cmd.1', 'cmd.2', 'cmd.3', 'cmd.4', 'cmd.5']);
    assert.ok(report.transitions >= 350, `${report.transitions}`);
    await assert.rejects(
      replayCommand({ ...base, set: [...set, 'state.joints=[bthigh,camera_pan]'] }, 'test'),
      (e: unknown) => isStriderError(e, 'MODEL_MAPPING') && /camera_pan/.test(e.message),
    );
  });

  it('the CLI exits non-zero naming the file when --bag is not a bag', () => {
    const text = tmp.write('notes.txt', 'hello\n');
    const r = spawnSync(
      process.execPath,
      ['bin/strider.js', 'replay', '--bag', text, '--out', join(tmp.dir, 'cli')],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /BAG_NOT_A_BAG: .*notes\.txt is not a rosbag2 bag: expected a bag folder, a \.mcap or a \.db3 file/,
    );
  });
});
