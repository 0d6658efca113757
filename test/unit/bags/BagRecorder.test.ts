import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McapStreamReader } from '@mcap/core';
import { parse as parseYaml } from 'yaml';
import { BagReader } from '../../../src/bags/BagReader.js';
import { BagRecorder } from '../../../src/bags/BagRecorder.js';
import { DECOMPRESS_HANDLERS } from '../../../src/bags/compression.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';

const T0 = 1_700_000_000_000_000_000n;

function odometry(k: number): unknown {
  return {
    header: { stamp: { sec: 1_700_000_000 + k, nanosec: 5 }, frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: {
      pose: {
        position: { x: k * 0.5, y: -k, z: 0.25 },
        orientation: { x: 0, y: 0, z: Math.sin(k / 10), w: Math.cos(k / 10) },
      },
      covariance: new Float64Array(36).fill(0.01),
    },
    twist: {
      twist: { linear: { x: 0.3, y: 0, z: 0 }, angular: { x: 0, y: 0, z: k / 7 } },
      covariance: new Float64Array(36),
    },
  };
}

async function readAll(
  path: string,
): Promise<{ messages: { topic: string; message: unknown }[]; error: unknown }> {
  const bag = await BagReader.open(path);
  const messages: { topic: string; message: unknown }[] = [];
  try {
    for await (const m of bag.messages()) messages.push({ topic: m.topic, message: m.message });
  } catch (error) {
    return { messages, error };
  }
  return { messages, error: null };
}

describe('bags/BagRecorder', function () {
  this.timeout(60_000);
  const tmp = tempDir('strider-rec-');
  after(() => {
    tmp.cleanup();
  });

  it('round trip: rosbag2 MCAP with embedded definitions and metadata.yaml, read back field for field', async () => {
    const dir = join(tmp.dir, 'roundtrip');
    const rec = await BagRecorder.open(dir, [
      { name: '/odom', type: 'nav_msgs/msg/Odometry' },
      { name: '/cmd_vel', type: 'geometry_msgs/Twist' },
      { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
      { name: '/cmd', type: 'std_msgs/msg/Float64MultiArray' },
    ]);
    for (let k = 0; k < 50; k++) {
      const t = T0 + BigInt(k) * 50_000_000n;
      assert.ok(rec.write('/odom', t, odometry(k)));
      assert.ok(
        rec.write('/cmd_vel', t + 1n, {
          linear: { x: k / 10, y: 0, z: 0 },
          angular: { x: 0, y: 0, z: -k / 20 },
        }),
      );
      rec.write('/joint_states', t + 2n, {
        header: { stamp: { sec: k, nanosec: 0 }, frame_id: '' },
        name: ['l', 'r'],
        position: new Float64Array([k, -k]),
        velocity: new Float64Array([1, 2]),
        effort: new Float64Array(),
      });
      rec.write('/cmd', t + 3n, {
        layout: { dim: [], data_offset: 0 },
        data: new Float64Array([k, k + 0.5]),
      });
    }
    assert.equal(rec.write('/not_opened', T0, {}), false);
    await rec.close();
    assert.deepEqual(rec.stats, { accepted: 200, dropped: 1, written: 200, flushed: 200 });

    const bag = await BagReader.open(dir);
    assert.deepEqual(
      [...bag.topics.values()].map((t) => [t.name, t.type, t.count, t.definition]),
      [
        ['/odom', 'nav_msgs/msg/Odometry', 50, 'embedded'],
        ['/cmd_vel', 'geometry_msgs/msg/Twist', 50, 'embedded'],
        ['/joint_states', 'sensor_msgs/msg/JointState', 50, 'embedded'],
        ['/cmd', 'std_msgs/msg/Float64MultiArray', 50, 'embedded'],
      ],
    );
    const all = [];
    for await (const m of bag.messages()) all.push(m);
    const odom = all.filter((m) => m.topic === '/odom');
    assert.equal(odom[7]!.logTimeNs, T0 + 7n * 50_000_000n);
    const o7 = odom[7]!.message as {
      header: { stamp: { sec: number; nanosec: number } };
      pose: { pose: { position: { x: number; y: number } } };
      twist: { twist: { angular: { z: number } } };
    };
    assert.deepEqual(o7.header.stamp, { sec: 1_700_000_007, nanosec: 5 });
    assert.equal(o7.pose.pose.position.x, 3.5);
    assert.equal(o7.twist.twist.angular.z, 1);
    const cmd = all.filter((m) => m.topic === '/cmd')[3]!.message as { data: Float64Array };
    assert.deepEqual(Array.from(cmd.data), [3, 3.5]);
    const js = all.filter((m) => m.topic === '/joint_states')[4]!.message as {
      name: string[];
      position: Float64Array;
    };
    assert.deepEqual(js.name, ['l', 'r']);
    assert.deepEqual(Array.from(js.position), [4, -4]);

    const meta = parseYaml(readFileSync(join(dir, 'metadata.yaml'), 'utf8'), {
      intAsBigInt: true,
    }) as {
      rosbag2_bagfile_information: {
        storage_identifier: string;
        message_count: bigint;
        relative_file_paths: string[];
        starting_time: { nanoseconds_since_epoch: bigint };
      };
    };
    const info = meta.rosbag2_bagfile_information;
    assert.equal(info.storage_identifier, 'mcap');
    assert.equal(info.message_count, 200n);
    assert.deepEqual(info.relative_file_paths, ['roundtrip_0.mcap']);
    assert.equal(info.starting_time.nanoseconds_since_epoch, T0);
    // the MCAP header carries the ros2 profile
    const r = new McapStreamReader({ decompressHandlers: DECOMPRESS_HANDLERS });
    r.append(readFileSync(rec.file));
    const header = r.nextRecord();
    assert.equal(header?.type === 'Header' ? header.profile : '', 'ros2');
  });

  it('an empty recording is a valid bag with topics and no messages', async () => {
    const dir = join(tmp.dir, 'empty');
    const rec = await BagRecorder.open(dir, [{ name: '/odom', type: 'nav_msgs/msg/Odometry' }]);
    await rec.close();
    const got = await readAll(dir);
    assert.deepEqual(got, { messages: [], error: null });
  });

  it('a cut file (a crash) reads exactly the messages of the complete chunks before the cut', async () => {
    const dir = join(tmp.dir, 'chunks');
    const rec = await BagRecorder.open(dir, [{ name: '/odom', type: 'nav_msgs/msg/Odometry' }], {
      chunkBytes: 4096,
    });
    const N = 400;
    for (let k = 0; k < N; k++) rec.write('/odom', T0 + BigInt(k), odometry(k));
    await rec.close();
    const whole = readFileSync(rec.file);
    // chunk ends and the messages complete at each, from the finished file
    const r = new McapStreamReader({
      includeChunks: true,
      decompressHandlers: DECOMPRESS_HANDLERS,
    });
    r.append(whole);
    const ends: { end: number; messages: number }[] = [];
    let messages = 0;
    for (let rec2 = r.nextRecord(); rec2 !== undefined; rec2 = r.nextRecord()) {
      if (rec2.type === 'Message') messages++;
      if (rec2.type === 'Chunk')
        ends.push({ end: whole.length - r.bytesRemaining(), messages: -1 });
      if (rec2.type === 'MessageIndex' || rec2.type === 'DataEnd') {
        const last = ends[ends.length - 1];
        if (last !== undefined && last.messages < 0) last.messages = messages;
      }
    }
    assert.ok(ends.length >= 10, `${ends.length} chunks`);
    const perChunk = Math.max(...ends.map((e, i) => e.messages - (ends[i - 1]?.messages ?? 0)));
    for (let cut = 200; cut < whole.length; cut += 331) {
      const file = join(tmp.dir, `cut_${cut}.mcap`);
      writeFileSync(file, whole.subarray(0, cut));
      const got = await readAll(file);
      const expected = [...ends].reverse().find((e) => e.end <= cut)?.messages ?? 0;
      assert.equal(got.messages.length, expected, `cut at ${cut}`);
      assert.ok(N - got.messages.length <= N, 'never more than recorded');
      if (cut >= (ends[ends.length - 1]?.end ?? 0)) assert.ok(N - got.messages.length <= perChunk);
      got.messages.forEach((m, k) => {
        const o = m.message as { pose: { pose: { position: { x: number } } } };
        assert.equal(o.pose.pose.position.x, k * 0.5, 'a prefix, in order');
      });
      if (cut < whole.length)
        assert.ok(isStriderError(got.error, 'BAG_TRUNCATED'), `cut ${cut}: ${String(got.error)}`);
    }
  });

  it('write() never blocks: a full ring drops and counts', async () => {
    const dir = join(tmp.dir, 'ring');
    const rec = await BagRecorder.open(
      dir,
      [{ name: '/cmd_vel', type: 'geometry_msgs/msg/Twist' }],
      {
        ringCapacity: 8,
        drainIntervalMs: 60_000,
      },
    );
    const twist = { linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
    const accepted = Array.from({ length: 12 }, (_, k) =>
      rec.write('/cmd_vel', T0 + BigInt(k), twist),
    );
    assert.deepEqual(accepted, [...Array<boolean>(8).fill(true), ...Array<boolean>(4).fill(false)]);
    await rec.close();
    assert.deepEqual(rec.stats, { accepted: 8, dropped: 4, written: 8, flushed: 8 });
    assert.equal((await readAll(dir)).messages.length, 8);
  });

  it('refuses a type without a built-in definition (BAG_TYPE_UNKNOWN) and an existing bag file (IO)', async () => {
    await assert.rejects(
      BagRecorder.open(join(tmp.dir, 'x'), [
        { name: '/perf', type: 'gazebo_msgs/msg/PerformanceMetrics' },
      ]),
      (e: unknown) =>
        isStriderError(e, 'BAG_TYPE_UNKNOWN') && /\/perf.*gazebo_msgs/.test(e.message),
    );
    const dir = join(tmp.dir, 'twice');
    await (await BagRecorder.open(dir, [])).close();
    await assert.rejects(
      BagRecorder.open(dir, []),
      (e: unknown) => isStriderError(e, 'IO') && /twice_0\.mcap/.test(e.message),
    );
  });
});
