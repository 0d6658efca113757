/**
 * How large the actions of each stored episode swing, by who acted: `npx tsx
 * scripts/actionAmplitude.ts RUN_DIR` for a `strider run` with a child trainer (its episodes under
 * RUN_DIR/trainer/<robot>/episodes, the state's names from RUN_DIR/report.json).
 *
 * Per episode: the source (random, mpc, mixed, policy), steps, the executed action's standard
 * deviation over the episode (command units, mean over actuators), the same after a centred 5-tick
 * moving average (what is left of it once tick-to-tick jitter is averaged out), the joint
 * positions' standard deviation (rad, mean over `joint.*.pos`) and the mean of base.linvel.x.
 * A distilled policy that imitates a noisy expert's conditional mean swings less than the expert:
 * this puts a number on it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TransitionBatch } from '../src/transport/types.js';
import { storedEpisodes } from './storedEpisodes.js';

function fail(message: string, code = 1): never {
  process.stderr.write(`actionAmplitude: ${message}\n`);
  process.exit(code);
}

const runDir = process.argv[2];
if (runDir === undefined) fail('usage: npx tsx scripts/actionAmplitude.ts RUN_DIR', 2);

let names: string[];
try {
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as {
    state?: { names?: string[] };
  };
  names = report.state?.names ?? fail(`${runDir}/report.json has no state.names`);
} catch (err) {
  fail(`cannot read ${join(runDir, 'report.json')}: ${(err as Error).message}`);
}
const jointPos = names.flatMap((n, i) => (/^joint\..*\.pos$/.test(n) ? [i] : []));
const vx = names.indexOf('base.linvel.x');

/** Standard deviation over rows of each column of a rows x cols array, then the mean over columns. */
function meanColumnSd(rows: readonly Float64Array[], cols: number): number {
  if (rows.length < 2 || cols === 0) return Number.NaN;
  let total = 0;
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (const r of rows) m += r[c]! / rows.length;
    let v = 0;
    for (const r of rows) v += (r[c]! - m) ** 2 / rows.length;
    total += Math.sqrt(v) / cols;
  }
  return total;
}

function movingAverage(rows: readonly Float64Array[], k: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let t = 0; t + k <= rows.length; t++) {
    const avg = new Float64Array(rows[0]!.length);
    for (let i = t; i < t + k; i++)
      for (let c = 0; c < avg.length; c++) avg[c]! += rows[i]![c]! / k;
    out.push(avg);
  }
  return out;
}

function episodeLine(file: string, b: TransitionBatch): string {
  const S = b.stateDim;
  const A = b.actionDim;
  const actions = Array.from({ length: b.count }, (_, i) =>
    Float64Array.from(b.actions.subarray(i * A, (i + 1) * A)),
  );
  const joints = Array.from({ length: b.count }, (_, i) =>
    Float64Array.from(jointPos, (j) => b.states[i * S + j]!),
  );
  let speed = 0;
  if (vx >= 0) for (let i = 0; i < b.count; i++) speed += b.states[i * S + vx]! / b.count;
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-');
  return [
    file.padEnd(36),
    b.source.padEnd(7),
    String(b.count).padStart(5),
    f(meanColumnSd(actions, A)).padStart(9),
    f(meanColumnSd(movingAverage(actions, 5), A)).padStart(11),
    f(meanColumnSd(joints, jointPos.length)).padStart(9),
    (vx >= 0 ? f(speed) : '-').padStart(7),
  ].join(' ');
}

let episodes;
try {
  episodes = storedEpisodes(runDir);
} catch (err) {
  fail((err as Error).message);
}
process.stdout.write(
  `${'episode'.padEnd(36)} ${'source'.padEnd(7)} steps  action sd  5-tick avg  joint sd  mean vx\n`,
);
for (const { file, batch } of episodes) process.stdout.write(`${episodeLine(file, batch)}\n`);
