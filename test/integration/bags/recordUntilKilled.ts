/**
 * Child process of the kill -9 test: records /odom into the bag folder argv[2] (small chunks) as
 * fast as timers allow, and prints `flushed N` whenever more messages sit in complete chunks on
 * disk. It never ends by itself.
 */
import { BagRecorder } from '../../../src/bags/BagRecorder.js';

const dir = process.argv[2] ?? 'bag';
const rec = await BagRecorder.open(dir, [{ name: '/odom', type: 'nav_msgs/msg/Odometry' }], {
  chunkBytes: 2048,
  drainIntervalMs: 5,
});
let k = 0;
let reported = 0;
setInterval(() => {
  for (let n = 0; n < 20; n++, k++) {
    rec.write('/odom', 1_700_000_000_000_000_000n + BigInt(k) * 1_000_000n, {
      header: { stamp: { sec: k, nanosec: 0 }, frame_id: 'odom' },
      child_frame_id: 'base_link',
      pose: {
        pose: { position: { x: k, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        covariance: new Float64Array(36),
      },
      twist: {
        twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
        covariance: new Float64Array(36),
      },
    });
  }
  const { flushed } = rec.stats;
  if (flushed > reported) {
    reported = flushed;
    process.stdout.write(`flushed ${flushed}\n`);
  }
}, 2);
