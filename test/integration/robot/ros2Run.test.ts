import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sinon from 'sinon';
import { runCommand } from '../../../src/cli/runCommand.js';
import { loadConfig } from '../../../src/config/index.js';
import { urdfDescription } from '../../../src/robot/ros2/urdfDescription.js';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { SimulatedRosRobot } from '../../helpers/simulatedRosRobot.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  fakeRclnodejs,
  type FakeQoS,
  type FakeRclnodejs,
} from '../../unit/robot/ros2/fakeRclnodejs.js';

/**
 * `strider run` with robot.link ros2, end to end: the real Ros2Link, RunSession, safety gate,
 * learning loop (with the default child trainer over the embedded broker) and report, talking to a sinon fake of rclnodejs behind which MuJoCo simulates
 * the quadruped in real time (test/helpers/simulatedRosRobot.ts plays Gazebo). What this cannot
 * show: that the real rclnodejs, DDS and gz_ros2_control behave as the fake does (docs/ros2.md).
 */

const CONFIG = resolve('config/quadruped_ros2.yaml');
const MODEL = resolve('urdf/quadruped.urdf');

type Values = Map<string, string>;

/** The key/values of the controller's status in a /diagnostics snapshot. */
function diagValues(snapshot: unknown): Values {
  const s = snapshot as { status: { values: { key: string; value: string }[] }[] };
  return new Map(s.status[0]!.values.map((kv) => [kv.key, kv.value]));
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Run {
  readonly code: number;
  readonly report: RunReport;
  readonly stdout: string;
}

/** `strider run --config config/quadruped_ros2.yaml --set ...` against the simulated robot. */
async function striderRun(
  fake: FakeRclnodejs,
  out: string,
  overrides: readonly string[],
  during: (robot: SimulatedRosRobot) => Promise<void>,
): Promise<{ run: Run; robot: SimulatedRosRobot }> {
  // state_timeout_ms: staleness has its own tests (test/integration/safety); here a CI machine's
  // event-loop stalls must not latch the gate mid-scenario.
  const set = [
    'robot.ros2.use_sim_time=true',
    'robot.ros2.diagnostics_rate_hz=20',
    'safety.state_timeout_ms=500',
    'log.level=error',
    ...overrides,
  ];
  const { config } = loadConfig(CONFIG, { overrides: set });
  const t = config.robot.ros2.topics;
  const robot = await SimulatedRosRobot.start(fake, {
    modelPath: MODEL,
    periodMs: 1000 / config.control.rate_hz,
    topics: { joint_states: t.joint_states, odometry: t.odometry, imu: t.imu, command: t.command },
    // the robot's stamps run 4 ms behind /clock, with 1 ms of jitter
    clock: { offsetMs: -4, jitterMs: 1, seed: 7 },
  });
  const write = sinon.stub(process.stdout, 'write').returns(true);
  try {
    const args = {
      command: 'run' as const,
      config: CONFIG,
      set,
      out,
      report: undefined,
      help: false,
    };
    const running = runCommand(args, 'test', { rclnodejs: fake.api });
    await Promise.all([running, during(robot)]);
    const code = await running;
    write.restore();
    const stdout = write
      .getCalls()
      .map((c) => String(c.args[0]))
      .join('');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    return { run: { code, report, stdout }, robot };
  } finally {
    write.restore();
    await robot.stop();
  }
}

describe('strider run on the ROS 2 link (rclnodejs fake, MuJoCo as the robot)', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  const urdf = urdfDescription(MODEL, 'free');
  before(() => {
    tmp = tempDir('strider-ros2-run-');
  });
  after(() => {
    tmp.cleanup();
  });
  afterEach(() => {
    sinon.restore(); // a test that timed out must not leave process.stdout stubbed for the rest
  });

  it('wires topics, QoS and parameters as configured; random exploration never moves a robot that needs a model; cmd_vel, then a path, set the target; shutdown releases everything', async () => {
    const fake = fakeRclnodejs();
    let teleopMessages = 0;
    const { run, robot } = await striderRun(
      fake,
      join(tmp.dir, 'random'),
      ['control.policy=random', 'run.episodes=2', 'run.steps_per_episode=40'],
      async (r) => {
        await until('the node', () => r.node !== null);
        const node = r.node!;
        await until('the state subscriptions', () =>
          node.subscriptions.some((s) => s.topic === '/joint_states'),
        );
        node.deliver('/strider/rearm', {}); // arm: manual in this config
        // a teleop at 20 Hz for half a second, then a path (in the odometry frame) 5 m ahead
        for (let i = 0; i < 10; i++) {
          teleopMessages += node.deliver('/cmd_vel', {
            linear: { x: 0.3, y: 0, z: 0 },
            angular: { x: 0, y: 0, z: 0.2 },
          });
          await new Promise((res) => setTimeout(res, 50));
        }
        const pose = { position: { x: 5, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
        const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' };
        node.deliver('/plan', { header, poses: [{ header, pose }] });
      },
    );
    assert.equal(run.code, 0);
    assert.match(
      run.stdout,
      /strider run completed: 2 episodes on strider_quadruped \(12 actuators/,
    );
    assert.ok(teleopMessages > 0, 'the link subscribed to cmd_vel');

    const node = fake.node();
    assert.deepEqual(fake.createNode.firstCall.args.slice(0, 2), ['strider', '']);
    const cmdPub = node.publisher('/position_controller/commands');
    assert.equal(cmdPub.typeClass, 'std_msgs/msg/Float64MultiArray');
    const cmdQos = cmdPub.options?.qos as FakeQoS;
    assert.deepEqual(
      [cmdQos.reliability, cmdQos.depth],
      [1, 1],
      'reliable, depth 1 (config qos.command)',
    );
    const js = node.subscriptions.find((s) => s.topic === '/joint_states')!;
    assert.equal(js.typeClass, 'sensor_msgs/msg/JointState');
    const stateQos = js.options.qos as FakeQoS;
    assert.deepEqual(
      [stateQos.reliability, stateQos.depth],
      [2, 5],
      'best effort, depth 5 (config qos.state)',
    );
    assert.equal(node.getParameter('use_sim_time').value, true);
    assert.equal(node.getParameter('control.rate_hz').value, 50);
    assert.equal(node.getParameter('safety.state_timeout_ms').value, 500);
    assert.equal(node.getParameter('safety.tilt.max_rad').value, 0.8);

    // Every command: 12 finite joint position targets within the URDF's joint ranges.
    assert.ok(
      urdf.actuators.every((a) => a.interface === 'position'),
      'position actuators',
    );
    assert.ok(
      cmdPub.snapshots.length >= run.report.ticks.count - 5,
      'a command every tick once state flows',
    );
    for (const snap of cmdPub.snapshots) {
      const data = (snap as { data: number[] }).data;
      assert.equal(data.length, 12);
      data.forEach((v, c) => {
        assert.ok(Number.isFinite(v), `command slot ${c} is ${v}`);
        const a = urdf.actuators[c]!;
        assert.ok(
          v >= a.commandLimits[0] && v <= a.commandLimits[1],
          `slot ${c}: ${v} outside ${a.commandLimits.join('..')}`,
        );
      });
    }
    assert.ok(robot.applied > 0, 'the simulated robot received the commands');
    // The safe command on position actuators holds the measured pose: every command is the joint
    // positions of a /joint_states message the robot published (so the robot never moved itself).
    // The robot records every state it delivered, from the node's creation on (a hook installed
    // from the test could miss the first ones, and with them the pose the controller holds).
    const measured = robot.jointStates.map((js) =>
      urdf.actuators.map((a) => js.position[js.name.indexOf(a.joint)]!),
    );
    assert.ok(measured.length > 0, 'the robot published joint states');
    for (const snap of cmdPub.snapshots) {
      const data = (snap as { data: number[] }).data;
      const held = measured.some((q) => q.every((v, c) => Math.abs(v - data[c]!) < 1e-6));
      assert.ok(held, `a command that is no measured pose: ${data.join(', ')}`);
    }

    // require_model (auto: true on ROS 2): the random policy never drove the robot.
    assert.equal(
      run.report.ticks.fallbacks,
      run.report.ticks.count,
      'every tick sent the safe command',
    );
    const diags = node.publisher('/diagnostics').snapshots.map(diagValues);
    assert.ok(diags.length > 0, '/diagnostics published');
    assert.ok(diags.every((d) => d.get('model_version') === 'none'));
    assert.ok(diags.some((d) => d.get('safety_mode') === 'waiting'));
    const teleop = diags.find((d) => d.get('task_mode') === 'cmd_vel');
    assert.ok(teleop !== undefined, 'cmd_vel reached the task target');
    assert.equal(teleop.get('target_linear_x'), '0.300');
    assert.equal(teleop.get('target_angular_z'), '0.200');
    const following = diags.find((d) => d.get('task_mode') === 'path');
    assert.ok(following !== undefined, 'the path took over from cmd_vel');
    assert.ok(
      Number(following.get('target_linear_x')) > 0.3,
      'towards the waypoint ahead at about speed_mps (0.4)',
    );

    // Shutdown: state unsubscribed, node destroyed, rclnodejs shut down, nothing published after.
    assert.ok(fake.shutdown.calledOnce);
    assert.ok(node.destroyed);
    const published = cmdPub.snapshots.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(cmdPub.snapshots.length, published, 'no command after shutdown');
  });

  it('learns on the robot: the gate holds until model v1 serves, the robot gets the safe command while the ensemble trains, /diagnostics reports the version, and the stop topic latches', async () => {
    const fake = fakeRclnodejs();
    let stopSent = false;
    const { run } = await striderRun(
      fake,
      join(tmp.dir, 'mpc'),
      [
        // the learning loop in episodes (run.mode auto is continuous on a robot link)
        'run.mode=episodes',
        'run.steps_per_episode=25',
        'model.ensemble_size=2',
        'model.hidden=[16, 16]',
        'model.epochs_first=3',
        'model.epochs_per_round=2',
        'model.h_step_horizon=5',
        'planner.population=50',
        'planner.horizon=5',
        'learning.random_episodes=1',
        // one MPC episode: the stop below may land in its first ticks, and an episode stopped
        // before 2 transitions gives the trainer nothing to refit on (a v2 would never come)
        'learning.iterations=1',
        'learning.episodes_per_iteration=1',
        'hotswap.max_disagreement=1000000',
        'safety.tilt.enabled=false',
      ],
      async (r) => {
        await until(
          'the state subscriptions',
          () => r.node?.subscriptions.some((s) => s.topic === '/joint_states') === true,
        );
        r.node!.deliver('/strider/rearm', {});
        const diag = r.node!.publisher('/diagnostics');
        await until('model v1 serving', () =>
          diag.snapshots.some((s) => diagValues(s).get('model_version') === '1'),
        );
        await until('the gate running', () =>
          diag.snapshots.some((s) => diagValues(s).get('safety_mode') !== 'waiting'),
        );
        r.node!.deliver('/strider/stop', { data: true });
        stopSent = true;
      },
    );
    assert.equal(run.code, 0);
    assert.ok(stopSent);
    const node = fake.node();
    const diags = node.publisher('/diagnostics').snapshots.map(diagValues);
    const first = diags.findIndex((d) => d.get('model_version') === '1');
    assert.ok(
      diags.slice(0, first).every((d) => d.get('safety_mode') === 'waiting'),
      'no motion before a model',
    );
    assert.ok(
      diags
        .slice(first)
        .some((d) => d.get('safety_mode') === 'soft_start' || d.get('safety_mode') === 'running'),
    );
    const last = diags.at(-1)!;
    assert.equal(last.get('safety_latch'), 'stop');
    assert.equal(last.get('stop_requested'), 'true');
    assert.ok(run.report.models.length >= 1);
    assert.ok(run.report.swaps.some((s) => s.version === 1 && s.decision === 'accepted'));
    // Held between episodes (while the ensemble trained): those ticks published the safe command too.
    const t = run.report.ticks;
    assert.ok(t.held > 0, 'ticks between episodes');
    const published = node.publisher('/position_controller/commands').snapshots.length;
    assert.ok(
      published >= t.count + t.held - 5,
      `${published} commands for ${t.count} episode ticks and ${t.held} held`,
    );
  });
});
