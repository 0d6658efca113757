import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BagReader } from '../../../src/bags/BagReader.js';
import { requireSharedBags } from './sharedBags.js';

/** [topic, type, count, definition source] for every decodable topic of a bag. */
type TopicRow = readonly [string, string, number, 'embedded' | 'builtin'];

interface Expected {
  readonly files: number;
  readonly topics: readonly TopicRow[];
  /** Topics left out, with a pattern their note must match. */
  readonly skipped?: readonly (readonly [string, RegExp])[];
}

const SERVICE = /a service-event topic/;
const NO_DEF = /records no definition.*not among the built-in/;
const RCL = [
  ['/parameter_events', 'rcl_interfaces/msg/ParameterEvent', 7, 'embedded'],
  ['/rosout', 'rcl_interfaces/msg/Log', 0, 'embedded'],
  ['/events/write_split', 'rosbag2_interfaces/msg/WriteSplitEvent', 0, 'embedded'],
] as const;
const WBAG = (def: 'embedded' | 'builtin'): TopicRow[] =>
  (
    [
      ['AAA', 804],
      ['BBB', 742],
      ['CCC', 742],
      ['DDD', 753],
      ['EEE', 804],
      ['FFF', 772],
      ['GGG', 731],
      ['HHH', 726],
    ] as const
  ).map(([t, n]) => [t, 'std_msgs/msg/String', n, def]);
const SVC_EVENTS = [
  ['/add_two_ints/_service_event', SERVICE],
  ['/add_two_ints2/_service_event', SERVICE],
] as const;
const TEST_SERVICES = [
  ['/test_service1/_service_event', SERVICE],
  ['/test_service2/_service_event', SERVICE],
] as const;
const STRINGS_TOPICS: TopicRow[] = [
  ['/test_topic1', 'test_msgs/msg/Strings', 1, 'embedded'],
  ['/test_topic2', 'test_msgs/msg/Strings', 1, 'embedded'],
  ['/events/write_split', 'rosbag2_interfaces/msg/WriteSplitEvent', 0, 'embedded'],
];
const CDR: TopicRow[] = [
  ['/test_topic', 'test_msgs/msg/BasicTypes', 3, 'embedded'],
  ['/array_topic', 'test_msgs/msg/Arrays', 4, 'embedded'],
];

/** Every bag under ../shared/testdata/bags (paths relative to it). */
const EXPECTED: Readonly<Record<string, Expected>> = {
  'robots/neato_real_fsc': {
    files: 1,
    topics: [
      ['/odom', 'nav_msgs/msg/Odometry', 301, 'builtin'],
      ['/cmd_vel', 'geometry_msgs/msg/Twist', 479, 'builtin'],
      ['/scan', 'sensor_msgs/msg/LaserScan', 280, 'builtin'],
      ['/stable_scan', 'sensor_msgs/msg/LaserScan', 280, 'builtin'],
      ['/projected_stable_scan', 'sensor_msgs/msg/PointCloud2', 280, 'builtin'],
      ['/tf', 'tf2_msgs/msg/TFMessage', 903, 'builtin'],
      ['/tf_static', 'tf2_msgs/msg/TFMessage', 2, 'builtin'],
    ],
    skipped: [
      ['/bump', NO_DEF],
      ['/accel', NO_DEF],
    ],
  },
  'robots/turtlebot3_gazebo_walker': {
    files: 1,
    topics: [
      ['/odom', 'nav_msgs/msg/Odometry', 826, 'builtin'],
      ['/joint_states', 'sensor_msgs/msg/JointState', 826, 'builtin'],
      ['/imu', 'sensor_msgs/msg/Imu', 5636, 'builtin'],
      ['/cmd_vel', 'geometry_msgs/msg/Twist', 140, 'builtin'],
      ['/clock', 'rosgraph_msgs/msg/Clock', 282, 'builtin'],
      ['/scan', 'sensor_msgs/msg/LaserScan', 140, 'builtin'],
      ['/tf', 'tf2_msgs/msg/TFMessage', 1376, 'builtin'],
      ['/tf_static', 'tf2_msgs/msg/TFMessage', 1, 'builtin'],
      ['/rosout', 'rcl_interfaces/msg/Log', 19, 'builtin'],
      ['/robot_description', 'std_msgs/msg/String', 1, 'builtin'],
      ['/parameter_events', 'rcl_interfaces/msg/ParameterEvent', 43, 'builtin'],
    ],
    skipped: [
      ['/performance_metrics', /gazebo_msgs\/msg\/PerformanceMetrics is not among the built-in/],
      ['/events/write_split', NO_DEF],
    ],
  },
  'rosbag2/rosbag2_cpp/test/rosbag2_cpp/bags/only_topics.mcap': { files: 1, topics: [...RCL] },
  'rosbag2/rosbag2_cpp/test/rosbag2_cpp/bags/topics_and_services.mcap': {
    files: 1,
    topics: [...RCL],
    skipped: SVC_EVENTS,
  },
  'rosbag2/rosbag2_cpp/test/rosbag2_cpp/bags/topics_and_services.db3': {
    files: 1,
    topics: [...RCL],
    skipped: SVC_EVENTS,
  },
  'rosbag2/rosbag2_py/test/resources/mcap/convert_b': {
    files: 1,
    topics: [
      ['a_empty', 'test_msgs/msg/Empty', 25, 'embedded'],
      ['c_strings', 'test_msgs/msg/Strings', 50, 'embedded'],
    ],
  },
  'rosbag2/rosbag2_py/test/resources/sqlite3/convert_b': {
    files: 1,
    topics: [],
    skipped: [
      ['a_empty', NO_DEF],
      ['c_strings', NO_DEF],
    ],
  },
  'rosbag2/rosbag2_py/test/resources/mcap/talker': {
    files: 1,
    topics: [
      ['/topic', 'std_msgs/msg/String', 10, 'embedded'],
      ['/rosout', 'rcl_interfaces/msg/Log', 10, 'embedded'],
      ['/parameter_events', 'rcl_interfaces/msg/ParameterEvent', 0, 'embedded'],
    ],
  },
  'rosbag2/rosbag2_py/test/resources/sqlite3/talker': {
    files: 1,
    topics: [
      ['/topic', 'std_msgs/msg/String', 10, 'embedded'],
      ['/rosout', 'rcl_interfaces/msg/Log', 10, 'embedded'],
      ['/parameter_events', 'rcl_interfaces/msg/ParameterEvent', 0, 'builtin'],
    ],
  },
  'rosbag2/rosbag2_py/test/resources/mcap/wbag': { files: 5, topics: WBAG('embedded') },
  'rosbag2/rosbag2_py/test/resources/sqlite3/wbag': { files: 5, topics: WBAG('builtin') },
  'rosbag2/rosbag2_tests/resources/mcap/bag_with_topics_and_service_events': {
    files: 1,
    topics: STRINGS_TOPICS,
    skipped: TEST_SERVICES,
  },
  'rosbag2/rosbag2_tests/resources/sqlite3/bag_with_topics_and_service_events': {
    files: 1,
    topics: STRINGS_TOPICS,
    skipped: TEST_SERVICES,
  },
  'rosbag2/rosbag2_tests/resources/mcap/cdr_test': { files: 1, topics: CDR },
  'rosbag2/rosbag2_tests/resources/sqlite3/cdr_test': { files: 1, topics: CDR },
  'rosbag2/rosbag2_transport/test/resources/mcap/test_bag_for_seek': {
    files: 1,
    topics: [['topic1', 'test_msgs/msg/BasicTypes', 5, 'embedded']],
  },
  'rosbag2/rosbag2_transport/test/resources/sqlite3/test_bag_for_seek': {
    files: 1,
    topics: [],
    skipped: [['topic1', NO_DEF]],
  },
  'rosbag2js_sample/sample.db3': {
    files: 1,
    topics: [
      ['/text', 'std_msgs/msg/String', 1, 'builtin'],
      ['/image', 'sensor_msgs/msg/Image', 1, 'builtin'],
      ['/image/compressed', 'sensor_msgs/msg/CompressedImage', 1, 'builtin'],
      ['/fix', 'sensor_msgs/msg/NavSatFix', 1, 'builtin'],
      ['/imu', 'sensor_msgs/msg/Imu', 1, 'builtin'],
    ],
  },
  'rosbags-rs/test_bag_mcap': { files: 1, topics: [] },
  'rosbags-rs/test_bag_sqlite3': { files: 1, topics: [] },
};

/** Bag roots on disk: folders with metadata.yaml, and bare .mcap/.db3 files in other folders. */
function findBags(root: string, dir = root, out: string[] = []): string[] {
  const entries = readdirSync(dir);
  if (entries.includes('metadata.yaml')) {
    out.push(dir.slice(root.length + 1));
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) findBags(root, p, out);
    else if (/\.(mcap|db3)$/.test(e)) out.push(p.slice(root.length + 1));
  }
  return out;
}

/** Topic counts from a bag's metadata.yaml (an independent record of what rosbag2 wrote). */
function metadataCounts(dir: string): Map<string, number> | null {
  const p = join(dir, 'metadata.yaml');
  if (!existsSync(p)) return null;
  const doc = parseYaml(readFileSync(p, 'utf8')) as {
    rosbag2_bagfile_information: {
      topics_with_message_count: { topic_metadata: { name: string }; message_count: number }[];
    };
  };
  return new Map(
    doc.rosbag2_bagfile_information.topics_with_message_count.map((t) => [
      t.topic_metadata.name,
      t.message_count,
    ]),
  );
}

describe('bags/BagReader conformance over ../shared/testdata/bags', function () {
  this.timeout(120_000);

  it('finds exactly the bags this test expects', function () {
    const root = requireSharedBags(this);
    assert.deepEqual(findBags(root).sort(), Object.keys(EXPECTED).sort());
  });

  for (const [rel, exp] of Object.entries(EXPECTED)) {
    it(`reads ${rel}: topics, types, counts, notes; every message decodes`, async function () {
      const root = requireSharedBags(this);
      const bag = await BagReader.open(join(root, rel));
      assert.equal(bag.error, null);
      assert.equal(bag.files.length, exp.files);
      if (exp.topics.length > 0) {
        const got = [...bag.topics.values()].map((t) => [t.name, t.type, t.count, t.definition]);
        assert.deepEqual(
          got.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          [...exp.topics]
            .map((r) => [...r])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        );
      }
      for (const [topic, why] of exp.skipped ?? []) {
        assert.ok(!bag.topics.has(topic), `${topic} should be skipped`);
        const note = bag.notes.find((n) => n.startsWith(`topic "${topic}"`));
        assert.ok(note !== undefined && why.test(note), `note for ${topic}: ${String(note)}`);
      }
      const meta = metadataCounts(join(root, rel));
      if (meta !== null) {
        for (const t of bag.topics.values())
          assert.equal(t.count, meta.get(t.name), `${t.name} vs metadata.yaml`);
      }
      const perTopic = new Map<string, number>();
      for await (const m of bag.messages()) {
        assert.equal(typeof m.message, 'object');
        perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
      }
      for (const t of bag.topics.values()) assert.equal(perTopic.get(t.name) ?? 0, t.count, t.name);
    });
  }

  it('rosbags-rs: 94 topics x 2 messages, equal in MCAP and sqlite3, with the expected fields', async function () {
    const root = requireSharedBags(this);
    const decoded: Record<string, unknown>[] = [];
    for (const rel of ['rosbags-rs/test_bag_mcap', 'rosbags-rs/test_bag_sqlite3']) {
      const bag = await BagReader.open(join(root, rel));
      assert.equal(bag.topics.size, 94);
      for (const t of bag.topics.values()) assert.equal(t.count, 2, t.name);
      const first: Record<string, unknown> = {};
      for await (const m of bag.messages()) first[m.topic] ??= m.message;
      decoded.push(first);
    }
    const [mcap, sqlite] = decoded as [Record<string, unknown>, Record<string, unknown>];
    const js = mcap['/test/sensor_msgs/joint_state'] as {
      name: string[];
      position: Float64Array;
      velocity: Float64Array;
    };
    assert.deepEqual(js.name, ['joint1', 'joint2', 'joint3']);
    assert.deepEqual(Array.from(js.position), [0.1, 0.2, 0.3]);
    assert.deepEqual(Array.from(js.velocity), [0.01, 0.02, 0.03]);
    const arr = mcap['/test/std_msgs/float64_multi_array'] as { data: Float64Array };
    assert.deepEqual(Array.from(arr.data), [1.11, 2.22, 3.33]);
    const odom = mcap['/test/nav_msgs/odometry'] as {
      pose: { pose: { position: { x: number; y: number } } };
      twist: { twist: { angular: { z: number } } };
    };
    assert.equal(odom.pose.pose.position.x, 1);
    assert.equal(odom.pose.pose.position.y, 2);
    assert.equal(odom.twist.twist.angular.z, 0.1);
    const imu = mcap['/test/sensor_msgs/imu'] as { linear_acceleration: { z: number } };
    assert.equal(imu.linear_acceleration.z, 9.8);
    // the same content from either storage (stamps differ: two recordings)
    const strip = (m: unknown): string =>
      JSON.stringify(m, (k, v: unknown) =>
        k === 'stamp' ? 0 : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
      );
    assert.equal(strip(sqlite['/test/sensor_msgs/joint_state']), strip(js));
    assert.equal(strip(sqlite['/test/std_msgs/float64_multi_array']), strip(arr));
  });

  it('decodes known fields: talker (zstd chunks), cdr_test, Neato odometry, TurtleBot3 joint states', async function () {
    const root = requireSharedBags(this);
    const firstOf = async (rel: string, topic: string): Promise<Record<string, unknown>> => {
      const bag = await BagReader.open(join(root, rel));
      for await (const m of bag.messages([topic])) return m.message as Record<string, unknown>;
      throw new Error(`no ${topic} in ${rel}`);
    };
    assert.deepEqual(await firstOf('rosbag2/rosbag2_py/test/resources/mcap/talker', '/topic'), {
      data: 'Hello, world! 0',
    });
    const basic = await firstOf('rosbag2/rosbag2_tests/resources/mcap/cdr_test', '/test_topic');
    assert.equal(basic['int32_value'], 123);
    const arrays = await firstOf(
      'rosbag2/rosbag2_tests/resources/sqlite3/cdr_test',
      '/array_topic',
    );
    assert.deepEqual(arrays['string_values'], [
      'Complex Hello1',
      'Complex Hello2',
      'Complex Hello3',
    ]);
    const odom = (await firstOf('robots/neato_real_fsc', '/odom')) as {
      header: { frame_id: string };
      pose: { pose: { position: { x: number } } };
    };
    assert.equal(odom.header.frame_id, 'odom');
    assert.ok(Math.abs(odom.pose.pose.position.x - 4.053562047711386) < 1e-12);
    const cmd = (await firstOf('robots/neato_real_fsc', '/cmd_vel')) as { linear: { x: number } };
    assert.equal(cmd.linear.x, 0.3);
    const js = (await firstOf('robots/turtlebot3_gazebo_walker', '/joint_states')) as {
      name: string[];
    };
    assert.deepEqual(js.name, ['wheel_left_joint', 'wheel_right_joint']);
    const text = await firstOf('rosbag2js_sample/sample.db3', '/text');
    assert.deepEqual(text, { data: 'Hello World' });
    const aaa = await firstOf('rosbag2/rosbag2_py/test/resources/sqlite3/wbag', 'AAA');
    assert.deepEqual(aaa, { data: 'Hello, world! 1 - 1' });
  });

  it('never writes beside a source bag (sqlite3 opened from memory)', async function () {
    const root = requireSharedBags(this);
    const dir = join(root, 'robots/turtlebot3_gazebo_walker');
    const before = readdirSync(dir).sort();
    const bag = await BagReader.open(dir);
    let n = 0;
    for await (const m of bag.messages(['/odom'])) n += m.topic === '/odom' ? 1 : 0;
    assert.equal(n, 826);
    assert.deepEqual(readdirSync(dir).sort(), before);
  });
});
