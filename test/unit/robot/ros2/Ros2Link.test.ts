import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import sinon from 'sinon';
import { SafetyGate } from '../../../../src/safety/SafetyGate.js';
import { defaultSafetyConfig } from '../../../../src/safety/safetyConfig.js';
import { StateWatchdog } from '../../../../src/safety/StateWatchdog.js';
import type { JointState } from '../../../../src/msgs/types.js';
import {
  Diagnostics,
  flattenParameters,
  loadRclnodejs,
  Ros2Link,
  ros2Schema,
  SafetyTopics,
  TaskInputs,
  type ControllerDiagnostics,
  type Ros2Config,
} from '../../../../src/robot/ros2/index.js';
import type { DiagnosticArray, JointTrajectory } from '../../../../src/robot/ros2/ros2Msgs.js';
import type { RobotDescription } from '../../../../src/robot/types.js';
import { StateAssembler } from '../../../../src/state/StateAssembler.js';
import type { Timers } from '../../../../src/util/clock.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { fakeRclnodejs, FakeQoS, ParameterType, type FakeRclnodejs } from './fakeRclnodejs.js';
import {
  assertQuadrupedJointsAndActuators,
  QUADRUPED_EFFORT_URDF,
  QUADRUPED_JOINTS,
} from '../../../helpers/quadruped.js';

/** Whether this machine has rclnodejs (a ROS 2 machine); the tests below hold either way. */
const RCLNODEJS_INSTALLED = ((): boolean => {
  try {
    createRequire(import.meta.url).resolve('rclnodejs');
    return true;
  } catch {
    return false;
  }
})();

/**
 * The link's own mechanics (configure, publish, safe command, SIGINT) on the effort quadruped:
 * the default command topic is /effort_controller/commands and the safe command is zero effort.
 */
const QUADRUPED = QUADRUPED_EFFORT_URDF;
const JOINTS = QUADRUPED_JOINTS;

function config(partial: unknown = {}): Ros2Config {
  return ros2Schema.parse(partial);
}

interface Setup {
  link: Ros2Link;
  rcl: FakeRclnodejs;
  clock: sinon.SinonFakeTimers;
}

function makeLink(
  partial: unknown = {},
  extra: { rosArgs?: string[]; modelPath?: string } = {},
): Setup {
  const clock = sinon.useFakeTimers({
    now: 0,
    toFake: ['setTimeout', 'clearTimeout', 'performance'],
  });
  const rcl = fakeRclnodejs();
  const timers: Timers = {
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => {
      clearTimeout(h as NodeJS.Timeout);
    },
  };
  const link = new Ros2Link({
    config: config(partial),
    modelPath: extra.modelPath ?? QUADRUPED,
    controlPeriodSec: 0.02,
    rclnodejs: rcl.api,
    timers,
    argv: [
      'node',
      'strider',
      ...(extra.rosArgs === undefined ? [] : ['--ros-args', ...extra.rosArgs]),
    ],
    parameters: [
      ...flattenParameters('control', { rate_hz: 50, budget_ms: 16, actuators: ['x'] }),
      ...flattenParameters('safety', {
        state_timeout_ms: 60,
        tilt: { enabled: true, max_rad: 0.8 },
      }),
    ],
  });
  return { link, rcl, clock };
}

/** What the wiring attaches to the node (RunSession): task inputs and the gate's safety topics. */
function attachInputs(link: Ros2Link, desc: RobotDescription): void {
  const layout = new StateAssembler(desc, { base: [] }).layout;
  const gate = new SafetyGate(
    link,
    desc.actuators,
    desc.actuators.map((a) => a.name),
    layout,
    {
      config: defaultSafetyConfig(),
    },
  );
  link.attach(new TaskInputs());
  link.attach(new SafetyTopics(gate));
}

function jointState(names: string[], t: number, q = 0): JointState {
  return {
    header: { stamp: { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) }, frame_id: '' },
    name: names,
    position: Float64Array.from(names, () => q),
    velocity: new Float64Array(names.length),
    effort: new Float64Array(names.length),
  };
}

function command(values: number[]) {
  return { layout: { dim: [], data_offset: 0 }, data: Float64Array.from(values) };
}

describe('robot/ros2/Ros2Link (through a sinon fake of rclnodejs)', () => {
  let s: Setup | null = null;
  afterEach(async () => {
    await s?.link.close();
    s?.clock.restore();
    s = null;
  });

  it('configures: the URDF description, one node, init with argv, spin, publishers and task topics as configured', async () => {
    s = makeLink(
      { node_name: 'ctrl', namespace: '/robot1' },
      { rosArgs: ['-p', 'use_sim_time:=true'] },
    );
    const desc = await s.link.configure();
    attachInputs(s.link, desc);
    s.link.attach(new Diagnostics());
    assert.equal(s.link.state, 'inactive');
    assertQuadrupedJointsAndActuators(desc, 'effort');
    assert.deepEqual(desc.actuators[2]!.commandLimits, [-35.5, 35.5]);
    assert.deepEqual(desc.base, { body: 'base_link', kind: 'free' });
    assert.equal(s.rcl.init.callCount, 1);
    assert.deepEqual(s.rcl.init.firstCall.args[1], [
      'node',
      'strider',
      '--ros-args',
      '-p',
      'use_sim_time:=true',
    ]);
    assert.deepEqual(s.rcl.createNode.firstCall.args, ['ctrl', '/robot1']);
    const node = s.rcl.node();
    assert.equal(node.spin.callCount, 1);
    const cmd = node.publisher('/effort_controller/commands');
    assert.equal(cmd.typeClass, 'std_msgs/msg/Float64MultiArray');
    assert.deepEqual(cmd.options?.qos, new FakeQoS(1, 1, 1, 2)); // keep_last 1, reliable, volatile
    const diag = node.publisher('/diagnostics');
    assert.equal(diag.typeClass, 'diagnostic_msgs/msg/DiagnosticArray');
    const subs = Object.fromEntries(node.subscriptions.map((x) => [x.topic, x.typeClass]));
    assert.deepEqual(subs, {
      '/cmd_vel': 'geometry_msgs/msg/Twist',
      '/plan': 'nav_msgs/msg/Path',
      '/strider/stop': 'std_msgs/msg/Bool',
      '/strider/rearm': 'std_msgs/msg/Empty',
    });
    for (const x of node.subscriptions) assert.deepEqual(x.options.qos, new FakeQoS(1, 10, 1, 2));
  });

  it('activate subscribes to exactly the configured state topics, types and QoS; deactivate unsubscribes', async () => {
    s = makeLink({
      topics: { joint_states: 'joint_states', odometry: '/odometry/filtered', imu: '/imu/data' },
      qos: { state: { reliability: 'reliable', durability: 'transient_local', depth: 3 } },
    });
    attachInputs(s.link, await s.link.configure());
    const node = s.rcl.node();
    const got: string[] = [];
    await s.link.activate({
      jointState: () => got.push('js'),
      odometry: () => got.push('odom'),
      imu: () => got.push('imu'),
    });
    assert.equal(s.link.state, 'active');
    const state = node.subscriptions.slice(4);
    assert.deepEqual(
      state.map((x) => [x.topic, x.typeClass]),
      [
        ['joint_states', 'sensor_msgs/msg/JointState'],
        ['/odometry/filtered', 'nav_msgs/msg/Odometry'],
        ['/imu/data', 'sensor_msgs/msg/Imu'],
      ],
    );
    for (const x of state) assert.deepEqual(x.options.qos, new FakeQoS(1, 3, 1, 1));
    // the robot's publishers offer what the subscriptions request (transient_local)
    const offered = { durability: 'transient_local' } as const;
    node.deliver('joint_states', jointState(JOINTS, 1), offered);
    node.deliver('/odometry/filtered', {}, offered);
    node.deliver('/imu/data', {}, offered);
    assert.deepEqual(got, [], 'callbacks run from the executor, not inside publish');
    await s.rcl.settle();
    assert.deepEqual(got, ['js', 'odom', 'imu']);
    await s.link.deactivate();
    assert.equal(s.link.state, 'inactive');
    assert.equal(node.destroySubscription.callCount, 3);
    assert.equal(node.deliver('joint_states', jointState(JOINTS, 2), offered), 0);
  });

  it('publishes Float64MultiArray commands in command_joints order, only while active', async () => {
    const order = [...JOINTS].reverse();
    s = makeLink({ command_joints: order, topics: { command: '/forward_effort/commands' } });
    await s.link.configure();
    const pub = s.rcl.node().publisher('/forward_effort/commands');
    s.link.sendCommand(command(JOINTS.map((_, i) => i)));
    assert.equal(pub.messages.length, 0);
    assert.equal(s.link.droppedCommands, 1);
    await s.link.activate({
      jointState: () => undefined,
      odometry: () => undefined,
      imu: () => undefined,
    });
    s.link.sendCommand(command(JOINTS.map((_, i) => i)));
    s.link.sendCommand(command(JOINTS.map((_, i) => 2 * i)));
    assert.deepEqual(pub.snapshots[0], {
      layout: { dim: [], data_offset: 0 },
      data: JOINTS.map((_, i) => 11 - i),
    });
    assert.deepEqual(
      (pub.snapshots[1] as { data: number[] }).data,
      JOINTS.map((_, i) => 2 * (11 - i)),
    );
    assert.equal(pub.messages[0], pub.messages[1], 'one message object, reused');
    assert.throws(
      () => {
        s!.link.sendCommand(command([Number.NaN, ...new Array<number>(11).fill(0)]));
      },
      (e: unknown) => isStriderError(e, 'COMMAND_INVALID'),
    );
    assert.throws(
      () => {
        s!.link.sendCommand(command([1, 2]));
      },
      (e: unknown) =>
        isStriderError(e, 'COMMAND_INVALID') && /2 values.*12 actuators/.test(e.message),
    );
    assert.equal(s.link.publishedCommands, 2);
  });

  it('publishes a one-point JointTrajectory of positions, zero-stamped (start on arrival), on position interfaces', async () => {
    // the quadruped with position command interfaces, as a joint_trajectory_controller expects
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strider-jtc-'));
    const urdf = path.join(dir, 'quadruped_position.urdf');
    fs.writeFileSync(
      urdf,
      fs
        .readFileSync(QUADRUPED, 'utf8')
        .replaceAll('command_interface name="effort"', 'command_interface name="position"'),
    );
    s = makeLink(
      { command_type: 'joint_trajectory', topics: { command: '/jtc/joint_trajectory' } },
      { modelPath: urdf },
    );
    await s.link.configure();
    await s.link.activate({
      jointState: () => undefined,
      odometry: () => undefined,
      imu: () => undefined,
    });
    const node = s.rcl.node();
    node.clockNs = 12_500_000_000n;
    s.link.sendCommand(command(JOINTS.map(() => 0.25)));
    const pub = node.publisher('/jtc/joint_trajectory');
    assert.equal(pub.typeClass, 'trajectory_msgs/msg/JointTrajectory');
    const msg = pub.snapshots[0] as JointTrajectory;
    assert.deepEqual(
      msg.header.stamp,
      { sec: 0, nanosec: 0 },
      'zero: the controller starts it now',
    );
    assert.deepEqual(msg.joint_names, JOINTS);
    assert.equal(msg.points.length, 1);
    assert.deepEqual(
      msg.points[0]!.positions,
      JOINTS.map(() => 0.25),
    );
    assert.deepEqual(msg.points[0]!.effort, []);
    assert.deepEqual(msg.points[0]!.velocities, []);
    assert.deepEqual(msg.points[0]!.time_from_start, { sec: 0, nanosec: 20_000_000 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses joint_trajectory on effort interfaces at configure, naming the key and what it needs', async () => {
    s = makeLink({ command_type: 'joint_trajectory' });
    await assert.rejects(
      s.link.configure(),
      (e: unknown) =>
        isStriderError(e, 'CONFIG_INVALID') &&
        /robot\.ros2\.command_type: joint_trajectory needs a position command interface/.test(
          e.message,
        ) &&
        /declares effort/.test(e.message),
    );
    assert.equal(s.rcl.createNode.callCount, 0, 'before ROS is touched');
  });

  it('declares the tunables as read-only parameters, readable through the node', async () => {
    s = makeLink();
    await s.link.configure();
    const node = s.rcl.node();
    assert.equal(node.getParameter('control.rate_hz').value, 50);
    assert.equal(node.getParameter('control.rate_hz').type, ParameterType.PARAMETER_DOUBLE);
    assert.equal(node.getParameter('safety.tilt.max_rad').value, 0.8);
    assert.equal(node.getParameter('safety.tilt.enabled').type, ParameterType.PARAMETER_BOOL);
    assert.equal(node.hasParameter('control.actuators'), false, 'arrays are not parameters');
    assert.equal(node.descriptors.get('safety.state_timeout_ms')?.readOnly, true);
    const ignoreOverride = node.declareParameter.getCalls().every((c) => c.args[2] === true);
    assert.ok(ignoreOverride, 'config is the truth: overrides ignored');
    const r = node.setParameter(
      new s.rcl.api.Parameter('control.rate_hz', ParameterType.PARAMETER_DOUBLE, 5),
    );
    assert.equal(r.successful, false);
  });

  it('honours use_sim_time: config true sets it; auto keeps the launch override; stamps follow the node clock', async () => {
    s = makeLink({ use_sim_time: true });
    await s.link.configure();
    const node = s.rcl.node();
    assert.equal(node.setParameter.callCount, 1);
    assert.equal(node.setParameter.firstCall.args[0].name, 'use_sim_time');
    assert.equal(node.setParameter.firstCall.args[0].value, true);
    assert.equal(s.link.useSimTime, true);
    assert.ok(Number.isNaN(s.link.stampClock.nowSec()), 'no /clock yet: unknown');
    node.clockNs = 3_250_000_000n;
    assert.equal(s.link.stampClock.nowSec(), 3.25);
    await s.link.close();
    s.clock.restore();

    s = makeLink({}, { rosArgs: ['-p', 'use_sim_time:=true'] });
    await s.link.configure();
    assert.equal(s.rcl.node().setParameter.callCount, 0);
    assert.equal(s.link.useSimTime, true);
    await s.link.close();
    s.clock.restore();

    s = makeLink({ use_sim_time: false }, { rosArgs: ['-p', 'use_sim_time:=true'] });
    await s.link.configure();
    assert.equal(s.link.useSimTime, false);
  });

  it('publishes /diagnostics at the configured rate with latency, misses, model version and safety state', async () => {
    s = makeLink({ diagnostics_rate_hz: 2 });
    await s.link.configure();
    const diag: ControllerDiagnostics = {
      ticks: 1000,
      misses: 0,
      budgetMs: 16,
      p50Ms: 1.25,
      p99Ms: 3.5,
      maxMs: 7,
      modelVersion: 4,
      safety: { mode: 'running', latch: null, stopRequested: false },
    };
    let current = diag;
    s.link.attach(new Diagnostics(() => current));
    const pub = s.rcl.node().publisher('/diagnostics');
    s.clock.tick(499);
    assert.equal(pub.messages.length, 0);
    s.clock.tick(1);
    assert.equal(pub.messages.length, 1);
    const first = pub.snapshots[0] as DiagnosticArray;
    const st = first.status[0]!;
    assert.equal(st.level, 0);
    assert.equal(st.hardware_id, 'strider_quadruped');
    const kv = Object.fromEntries(st.values.map((v) => [v.key, v.value]));
    assert.equal(kv['tick_p99_ms'], '3.500');
    assert.equal(kv['tick_misses'], '0');
    assert.equal(kv['model_version'], '4');
    assert.equal(kv['safety_mode'], 'running');
    assert.equal(kv['policy_version'], undefined, 'no policy key without DAgger');
    assert.equal(kv['lifecycle_state'], undefined, 'no lifecycle key on a plain node');
    current = {
      ...diag,
      policyVersion: 2,
      lifecycleState: 'inactive',
      misses: 3,
      safety: { mode: 'latched', latch: 'tilt', stopRequested: false },
    };
    s.clock.tick(500);
    const second = (pub.snapshots[1] as DiagnosticArray).status[0]!;
    assert.equal(second.level, 2);
    assert.match(
      second.message,
      /^lifecycle inactive, safety latched \(tilt\), 3 misses in 1000 ticks/,
    );
    const kv2 = Object.fromEntries(second.values.map((v) => [v.key, v.value]));
    assert.equal(kv2['policy_version'], '2');
    assert.equal(kv2['lifecycle_state'], 'inactive');
  });

  it('routes stop / release / re-arm topics to the safety gate: stop sends the safe command at once', async () => {
    s = makeLink();
    const desc = await s.link.configure();
    const cfg = defaultSafetyConfig();
    const assembler = new StateAssembler(desc, { base: [] });
    const watchdog = new StateWatchdog({
      downstream: assembler,
      clock: { nowMs: () => performance.now() },
      timeoutMs: 100,
      stamps: 'strict',
      required: { jointState: true, odometry: false, imu: false },
    });
    const gate = new SafetyGate(
      s.link,
      desc.actuators,
      desc.actuators.map((a) => a.name),
      assembler.layout,
      {
        config: { ...cfg, soft_start: { duration_s: 0 } },
        joints: desc.joints,
        watchdog,
        clock: { nowMs: () => performance.now() },
      },
    );
    s.link.attach(new SafetyTopics(gate));
    await s.link.activate(watchdog);
    const node = s.rcl.node();
    const pub = node.publisher('/effort_controller/commands');
    const exec = new Float32Array(12);
    const action = new Float32Array(12).fill(5);
    node.deliver('/joint_states', jointState(JOINTS, 1, -0.5));
    await s.rcl.settle();
    assert.equal(gate.send(assembler.state, action, exec), 'ok');
    assert.equal(pub.messages.length, 1);
    node.deliver('/strider/stop', { data: true });
    await s.rcl.settle();
    assert.equal(pub.messages.length, 2, 'the safe command went out inside the stop callback');
    assert.deepEqual((pub.snapshots[1] as { data: number[] }).data, new Array<number>(12).fill(0));
    node.deliver('/joint_states', jointState(JOINTS, 1.02, -0.5));
    await s.rcl.settle();
    assert.equal(gate.send(assembler.state, action, exec), 'stopped');
    node.deliver('/strider/stop', { data: false });
    await s.rcl.settle();
    node.deliver('/joint_states', jointState(JOINTS, 1.04, -0.5));
    await s.rcl.settle();
    assert.equal(
      gate.send(assembler.state, action, exec),
      'stopped',
      'release alone does not restart',
    );
    node.deliver('/strider/rearm', {});
    await s.rcl.settle();
    node.deliver('/joint_states', jointState(JOINTS, 1.06, -0.5));
    await s.rcl.settle();
    assert.equal(gate.send(assembler.state, action, exec), 'ok');
  });

  it('takes SIGINT from rclnodejs: after Ctrl-C the gate\u2019s final safe command still goes out, then close() shuts ROS down', async () => {
    s = makeLink();
    const desc = await s.link.configure();
    assert.ok(s.rcl.removeSignalHandlers.calledBefore(s.rcl.init), 'before the context exists');
    const assembler = new StateAssembler(desc, { base: [] });
    const gate = new SafetyGate(
      s.link,
      desc.actuators,
      desc.actuators.map((a) => a.name),
      assembler.layout,
      {
        config: { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } },
      },
    );
    await s.link.activate(assembler);
    const node = s.rcl.node();
    node.deliver('/joint_states', jointState(JOINTS, 1, -0.5));
    await s.rcl.settle();
    assert.equal(
      gate.send(assembler.state, new Float32Array(12).fill(3), new Float32Array(12)),
      'ok',
    );
    s.rcl.sigint(); // Ctrl-C, or ros2 launch stopping strider: strider's own handler takes over
    assert.equal(s.rcl.shutdown.callCount, 0);
    gate.deactivate();
    const pub = node.publisher('/effort_controller/commands');
    assert.equal(pub.messages.length, 2, 'the policy command, then the final safe command');
    assert.deepEqual((pub.snapshots[0] as { data: number[] }).data, new Array<number>(12).fill(3));
    assert.deepEqual((pub.snapshots[1] as { data: number[] }).data, new Array<number>(12).fill(0));
    await s.link.deactivate();
    await s.link.close();
    assert.equal(s.rcl.shutdown.callCount, 1);
    assert.ok(node.destroyed);
  });

  it('exposes cmd_vel and path to the task layer and ignores non-finite ones', async () => {
    s = makeLink();
    await s.link.configure();
    const twists: number[] = [];
    const paths: number[] = [];
    const inputs = new TaskInputs({
      cmdVel: (t) => twists.push(t.linear.x),
      path: (w) => paths.push(w.length),
    });
    s.link.attach(inputs);
    const node = s.rcl.node();
    assert.equal(inputs.cmdVel, null);
    node.deliver('/cmd_vel', { linear: { x: 0.4, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.1 } });
    await s.rcl.settle();
    node.deliver('/cmd_vel', {
      linear: { x: Number.NaN, y: 0, z: 0 },
      angular: { x: 0, y: 0, z: 0 },
    });
    await s.rcl.settle();
    const latest = (task: TaskInputs) => task.cmdVel;
    assert.equal(latest(inputs)?.linear.x, 0.4);
    assert.equal(latest(inputs)?.angular.z, 0.1);
    const pose = (x: number) => ({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'map' },
      pose: { position: { x, y: 1, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    });
    node.deliver('/plan', {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'map' },
      poses: [pose(1), pose(2)],
    });
    await s.rcl.settle();
    assert.deepEqual(inputs.waypoints, [
      { x: 1, y: 1, z: 0 },
      { x: 2, y: 1, z: 0 },
    ]);
    assert.equal(inputs.pathFrameId, 'map');
    assert.deepEqual(twists, [0.4]);
    assert.deepEqual(paths, [2]);
    assert.equal(inputs.rejectedMessages, 1);
  });

  it('observe-only: no command publisher, and the gate never sends to it', async () => {
    s = makeLink({ actuation: 'observe' });
    const desc = await s.link.configure();
    s.link.attach(new Diagnostics());
    const node = s.rcl.node();
    assert.deepEqual(
      node.publishers.map((p) => p.topic),
      ['/diagnostics'],
    );
    assert.equal(s.link.actuation, 'replay');
    const assembler = new StateAssembler(desc, { base: [] });
    const spy = sinon.spy(s.link, 'sendCommand');
    const gate = new SafetyGate(
      s.link,
      desc.actuators,
      desc.actuators.map((a) => a.name),
      assembler.layout,
      {
        config: defaultSafetyConfig(),
        joints: desc.joints,
      },
    );
    await s.link.activate(assembler);
    node.deliver('/joint_states', jointState(JOINTS, 1));
    await s.rcl.settle();
    const exec = new Float32Array(12);
    assert.equal(gate.send(assembler.state, new Float32Array(12).fill(3), exec), 'replay');
    gate.sendSafe(assembler.state, exec);
    gate.stop();
    gate.deactivate();
    assert.equal(spy.callCount, 0);
  });

  it('close() releases everything: timer cleared, node destroyed, rclnodejs shut down; idempotent', async () => {
    s = makeLink({ diagnostics_rate_hz: 10 });
    await s.link.configure();
    s.link.attach(new Diagnostics());
    await s.link.activate({
      jointState: () => undefined,
      odometry: () => undefined,
      imu: () => undefined,
    });
    assert.equal(s.clock.countTimers(), 1);
    const node = s.rcl.node();
    await s.link.close();
    await s.link.close();
    assert.equal(s.link.state, 'finalized');
    assert.equal(s.clock.countTimers(), 0);
    assert.equal(node.destroy.callCount, 1);
    assert.equal(s.rcl.shutdown.callCount, 1);
    s.link.sendCommand(command(JOINTS.map(() => 0)));
    assert.equal(s.link.publishedCommands, 0);
    await assert.rejects(s.link.configure(), (e: unknown) => isStriderError(e, 'LOOP_STATE'));
  });

  it('attaches adapters only between configure() and close()', async () => {
    s = makeLink();
    const isLoopState = (e: unknown): boolean => isStriderError(e, 'LOOP_STATE');
    assert.throws(() => {
      s!.link.attach(new Diagnostics());
    }, isLoopState);
    await s.link.configure();
    s.link.attach(new Diagnostics());
    await s.link.close();
    assert.throws(() => {
      s!.link.attach(new Diagnostics());
    }, isLoopState);
  });

  it('releases the node and context when configure fails half way', async () => {
    s = makeLink({ command_joints: ['fl_hip_joint'] });
    await assert.rejects(s.link.configure(), (e: unknown) => isStriderError(e, 'CONFIG_INVALID'));
    assert.equal(s.rcl.init.callCount, 0, 'config errors come before touching ROS');
    await s.link.close();
    s.clock.restore();
    const rcl = fakeRclnodejs();
    rcl.api.createNode = () => {
      throw new Error('rcl node creation failed');
    };
    const link = new Ros2Link({
      config: config(),
      modelPath: QUADRUPED,
      controlPeriodSec: 0.02,
      rclnodejs: rcl.api,
    });
    await assert.rejects(
      link.configure(),
      (e: unknown) =>
        isStriderError(e, 'ROS2_UNAVAILABLE') && /rcl node creation failed/.test(e.message),
    );
    assert.equal(rcl.shutdown.callCount, 1);
    s = null;
  });
});

describe('robot/ros2/loadRclnodejs', () => {
  it('names the missing dependency and where to get it; loads rclnodejs where it is installed', async () => {
    const missing = Object.assign(new Error("Cannot find package 'rclnodejs'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await assert.rejects(
      loadRclnodejs(() => Promise.reject(missing)),
      (e: unknown) =>
        isStriderError(e, 'ROS2_UNAVAILABLE') &&
        e.message ===
          'rclnodejs is not installed: it needs a sourced ROS 2 Jazzy; see docs/ros2.md / the Dockerfile',
    );
    // the real import: either outcome is checked, so this holds with and without ROS 2
    if (RCLNODEJS_INSTALLED) {
      const rcl = await loadRclnodejs();
      assert.equal(typeof rcl.createNode, 'function');
    } else {
      await assert.rejects(loadRclnodejs(), (e: unknown) => isStriderError(e, 'ROS2_UNAVAILABLE'));
    }
  });

  it('takes the CommonJS default export and checks its shape', async () => {
    const rcl = fakeRclnodejs();
    assert.equal(await loadRclnodejs(() => Promise.resolve({ default: rcl.api })), rcl.api);
    await assert.rejects(
      loadRclnodejs(() => Promise.resolve({ default: {} })),
      (e: unknown) =>
        isStriderError(e, 'ROS2_UNAVAILABLE') && /init\/createNode\/shutdown/.test(e.message),
    );
  });

  it('a link without an injected rclnodejs loads the real one: ROS2_UNAVAILABLE where it is missing', async () => {
    const link = new Ros2Link({
      config: config({ node_name: 'strider_load_test' }),
      modelPath: QUADRUPED,
      controlPeriodSec: 0.02,
      argv: ['node', 'strider'],
    });
    try {
      if (RCLNODEJS_INSTALLED) {
        await link.configure();
        assert.equal(link.state, 'inactive');
      } else {
        await assert.rejects(link.configure(), (e: unknown) =>
          isStriderError(e, 'ROS2_UNAVAILABLE'),
        );
      }
    } finally {
      await link.close();
    }
  });
});

describe('robot/ros2/ros2Config', () => {
  it('has defaults for every field', () => {
    const c = config();
    assert.equal(c.node_name, 'strider');
    assert.equal(c.topics.joint_states, '/joint_states');
    assert.equal(c.topics.imu, null);
    assert.equal(c.qos.state.reliability, 'best_effort');
    assert.equal(c.qos.command.reliability, 'reliable');
    assert.equal(c.command_type, 'float64_multi_array');
  });

  it('rejects unknown keys, bad topic names and out-of-range values', () => {
    assert.equal(ros2Schema.safeParse({ topic: {} }).success, false);
    assert.equal(ros2Schema.safeParse({ topics: { joint_states: 'joint states' } }).success, false);
    // rcl's topic and namespace rules, so a name it would refuse is a config error, not a ROS one
    for (const bad of ['~foo', 'foo/', 'a//b', 'a/1b', '1a', '/']) {
      assert.equal(
        ros2Schema.safeParse({ topics: { command: bad } }).success,
        false,
        `topic ${bad}`,
      );
    }
    for (const good of ['~/commands', 'commands', '/robot1/effort_controller/commands', '/_a/b2']) {
      assert.equal(
        ros2Schema.safeParse({ topics: { command: good } }).success,
        true,
        `topic ${good}`,
      );
    }
    assert.equal(ros2Schema.safeParse({ namespace: '/robot1/' }).success, false);
    for (const ns of ['', '/', '/robot1', '/fleet/robot_2'])
      assert.equal(ros2Schema.safeParse({ namespace: ns }).success, true, `namespace ${ns}`);
    assert.equal(ros2Schema.safeParse({ qos: { state: { depth: 0 } } }).success, false);
    assert.equal(ros2Schema.safeParse({ node_name: '9lives' }).success, false);
    assert.equal(ros2Schema.safeParse({ diagnostics_rate_hz: 1000 }).success, false);
  });
});
