/**
 * The distilled policy's inference time alone (the `policy` block of `strider bench`, without the
 * planner, tick and training figures around it):
 * `npx tsx scripts/benchPolicy.ts [S A [calls [width [heading]]]]`. Defaults: the planar runner's
 * S 23 and A 6, 20 000 calls, the default 2 x 64 policy (width 256: config/quadruped.yaml's
 * 2 x 256, with S 38 and A 12 for the quadruped; `heading`: its heading frame too, the quaternion
 * at 25 and linvel at 29 as in its state), 3 repeats. Prints the control path (plain JS or the native
 * session, whichever the policy's size picks) and the asynchronous ONNX Runtime run.
 */
import { loadavg } from 'node:os';
import { benchPolicy } from '../src/bench/benchPolicy.js';

const [S = 23, A = 6, calls = 20_000, width = 64] = process.argv.slice(2, 6).map(Number);
const heading = process.argv[6] === 'heading';
for (let r = 0; r < 3; r++) {
  const f = await benchPolicy({
    stateDim: S,
    actionDim: A,
    hidden: [width, width],
    calls,
    ...(heading ? { headingFrame: { quatW: 25, linvelX: 29 } } : {}),
  });
  process.stdout.write(
    `repeat ${r + 1}: ${f.calls} calls, S ${S} A ${A} 2x${width}${heading ? ' heading frame' : ''}: ` +
      `control path (${f.path}) p50 ` +
      `${f.p50_us.toFixed(1)} us, p99 ${f.p99_us.toFixed(1)} us, max ${f.max_us.toFixed(0)} us; ` +
      `onnx p50 ${f.onnx_p50_us.toFixed(1)} us, p99 ${f.onnx_p99_us.toFixed(1)} us\n`,
  );
}
process.stdout.write(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
