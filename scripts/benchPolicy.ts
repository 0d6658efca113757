/**
 * The distilled policy's inference time alone (the `policy` block of `strider bench`, without the
 * planner, tick and training figures around it): `npx tsx scripts/benchPolicy.ts [S A [calls]]`.
 * Defaults: the planar runner's S 23 and A 6, the default 2 x 64 policy, 20 000 calls, 3 repeats.
 */
import { loadavg } from 'node:os';
import { benchPolicy } from '../src/bench/benchPolicy.js';

const [S = 23, A = 6, calls = 20_000] = process.argv.slice(2).map(Number);
for (let r = 0; r < 3; r++) {
  const f = await benchPolicy({ stateDim: S, actionDim: A, hidden: [64, 64], calls });
  process.stdout.write(
    `repeat ${r + 1}: ${f.calls} calls, S ${S} A ${A} 2x64: js p50 ${f.p50_us.toFixed(1)} us, ` +
      `p99 ${f.p99_us.toFixed(1)} us, max ${f.max_us.toFixed(0)} us; onnx p50 ` +
      `${f.onnx_p50_us.toFixed(1)} us, p99 ${f.onnx_p99_us.toFixed(1)} us\n`,
  );
}
process.stdout.write(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
