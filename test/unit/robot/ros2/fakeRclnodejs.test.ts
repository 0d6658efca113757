import assert from 'node:assert/strict';
import { ros2Schema, Ros2Link } from '../../../../src/robot/ros2/index.js';
import { qosOptions } from '../../../../src/robot/ros2/ros2Qos.js';
import type { JointState } from '../../../../src/msgs/types.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeRclnodejs, FakeQoS, type FakeNode } from './fakeRclnodejs.js';

const QUADRUPED = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../urdf/quadruped.urdf',
);

async function node(
  name = 'probe',
  argv: string[] = [],
): Promise<{ node: FakeNode; settle: () => Promise<void> }> {
  const rcl = fakeRclnodejs();
  await rcl.api.init(undefined, argv);
  rcl.api.createNode(name);
  return { node: rcl.node(), settle: () => rcl.settle() };
}

const qos = (
  q: Partial<{
    reliability: 'reliable' | 'best_effort';
    durability: 'volatile' | 'transient_local';
  }>,
) =>
  qosOptions(FakeQoS, {
    history: 'keep_last',
    depth: 5,
    reliability: 'reliable',
    durability: 'volatile',
    ...q,
  });

describe('robot/ros2/fakeRclnodejs: strict where rclnodejs and rcl are', () => {
  it('refuses a published message with a wrong field type (CDR with the Jazzy definitions)', async () => {
    const { node: n } = await node();
    const pub = n.createPublisher('std_msgs/msg/Float64MultiArray', '/effort_controller/commands');
    assert.throws(() => {
      pub.publish({ layout: { dim: [], data_offset: 0 }, data: ['1.0'] });
    }, /data\[0\]: expected number \(float64\), got string/);
    assert.throws(() => {
      pub.publish({ layout: { dim: [], data_offset: '0' }, data: [1] });
    }, /layout\.data_offset: expected number \(uint32\)/);
    assert.throws(() => {
      pub.publish({ data: [1], stamp: 0 });
    }, /stamp: unknown field/);
    pub.publish({ layout: { dim: [], data_offset: 0 }, data: [1.5, 2] });
    assert.ok(n.publishers[0]!.decoded[0] !== undefined);
    const wire = n.publishers[0]!.decoded[0] as { data: unknown };
    assert.ok(wire.data instanceof Float64Array, 'float64[] arrives as a Float64Array');
    assert.deepEqual(Array.from(wire.data), [1.5, 2]);
  });

  it('refuses a misspelt message type, as rclnodejs\u2019s interface loader does', async () => {
    const { node: n } = await node();
    assert.throws(
      () => n.createPublisher('std_msgs/msg/Float64MultiArrray', '/x'),
      /does not exist/,
    );
    assert.throws(
      () => n.createSubscription('sensor_msgs/JointState', '/x', {}, () => undefined),
      /does not exist/,
    );
  });

  it('refuses a topic, node or namespace name rcl refuses', async () => {
    const { node: n } = await node();
    for (const bad of ['joint states', '/a//b', '1abc', '/x/', 'a/~b']) {
      assert.throws(
        () => n.createSubscription('std_msgs/msg/Bool', bad, {}, () => undefined),
        /Invalid topic name/,
        bad,
      );
    }
    const rcl = fakeRclnodejs();
    await rcl.api.init(undefined, []);
    assert.throws(() => rcl.api.createNode('my-node'), /Invalid node name/);
    assert.throws(() => rcl.api.createNode('ok', 'robot1'), /Invalid namespace/);
    // a relative name resolves under the namespace, ~ under the node
    rcl.api.createNode('ctrl', '/robot1');
    const m = rcl.node();
    assert.equal(m.resolve('joint_states'), '/robot1/joint_states');
    assert.equal(m.resolve('~/status'), '/robot1/ctrl/status');
  });

  it('delivers nothing across a QoS mismatch, as DDS matching decides (through the link)', async () => {
    const rcl = fakeRclnodejs();
    const link = new Ros2Link({
      config: ros2Schema.parse({
        topics: { odometry: null },
        qos: { state: { reliability: 'reliable' } },
      }),
      modelPath: QUADRUPED,
      controlPeriodSec: 0.02,
      rclnodejs: rcl.api,
      argv: [],
    });
    await link.configure();
    const got: JointState[] = [];
    await link.activate({
      jointState: (m) => got.push(m),
      odometry: () => undefined,
      imu: () => undefined,
    });
    const n = rcl.node();
    const js = {
      header: { stamp: { sec: 1, nanosec: 0 }, frame_id: '' },
      name: ['a'],
      position: [0],
      velocity: [0],
      effort: [0],
    };
    assert.equal(
      n.deliver('/joint_states', js, { reliability: 'best_effort' }),
      0,
      'reliable sub, best-effort pub',
    );
    await rcl.settle();
    assert.equal(got.length, 0);
    assert.equal(n.deliver('/joint_states', js, { reliability: 'reliable' }), 1);
    await rcl.settle();
    assert.equal(got.length, 1);
    assert.ok(got[0]!.position instanceof Float64Array);
    await link.close();
    // durability: a transient_local subscription gets nothing from a volatile publisher
    const { node: p, settle } = await node();
    const seen: unknown[] = [];
    p.createSubscription(
      'std_msgs/msg/Bool',
      '/latched',
      qos({ durability: 'transient_local' }),
      (m) => seen.push(m),
    );
    p.spin();
    const volatilePub = p.createPublisher(
      'std_msgs/msg/Bool',
      '/latched',
      qos({ durability: 'volatile' }),
    );
    volatilePub.publish({ data: true });
    await settle();
    assert.deepEqual(seen, []);
    const latchedPub = p.createPublisher(
      'std_msgs/msg/Bool',
      '/latched',
      qos({ durability: 'transient_local' }),
    );
    latchedPub.publish({ data: true });
    await settle();
    assert.deepEqual(seen, [{ data: true }]);
  });

  it('runs a callback only while the node spins, never inside publish', async () => {
    const { node: n, settle } = await node();
    const seen: boolean[] = [];
    n.createSubscription('std_msgs/msg/Bool', '/stop', {}, (m) =>
      seen.push((m as { data: boolean }).data),
    );
    assert.equal(n.deliver('/stop', { data: true }), 1);
    await settle();
    assert.deepEqual(seen, [], 'not spinning: the message waits');
    n.spin();
    assert.deepEqual(seen, [], 'not inside spin() either: on the event loop');
    await settle();
    assert.deepEqual(seen, [true]);
    assert.throws(() => {
      n.spin();
    }, /already spinning/);
  });

  it('takes parameter overrides from --ros-args -p, typed as rcl parses them', async () => {
    const { node: n } = await node('strider', [
      'node',
      'x',
      '--ros-args',
      '-p',
      'use_sim_time:=true',
      '-p',
      'strider:rate:=1',
      '-p',
      'other:rate:=2',
    ]);
    assert.equal(n.getParameter('use_sim_time').value, true);
    const P = (name: string, type: number, value: unknown) => ({ name, type, value });
    // an integer override (1) replaces a declared double: rclnodejs refuses the type change
    assert.throws(() => n.declareParameter(P('rate', 3, 1.5)), /does not match/);
    assert.equal(n.declareParameter(P('rate', 2, 5n)).value, 1n);
  });
});
