/**
 * How large the actions of each stored episode swing, by who acted: `npx tsx
 * scripts/actionAmplitude.ts RUN_DIR` for a `strider run` with a child trainer (its episodes under
 * RUN_DIR/trainer/<robot>/episodes, the state's names from RUN_DIR/report.json).
 *
 * Per episode: the source (random, mpc, mixed, policy), steps, the executed action's standard
 * deviation over the episode (command units, mean over actuators), the same after a centred 5-tick
 * moving average (what is left of it once tick-to-tick jitter is averaged out), the joint
 * positions' standard deviation (rad, mean over `joint.*.pos`), the mean of base.linvel.x, and
 * the tick-to-tick steps: their rms and lag-1 autocorrelation (near -0.5: chatter).
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

/**
 * Tick-to-tick steps a_t - a_{t-1}: their rms (command units, over actuators), and the lag-1
 * autocorrelation of the steps (0: a random walk; -0.5: white noise; near -0.5: the action
 * flips back and forth every tick, chatter), pooled over actuators.
 */
function steps(rows: readonly Float64Array[], cols: number): { rms: number; lag1: number } {
  let sq = 0;
  let n = 0;
  let cross = 0;
  let prevSq = 0;
  for (let t = 1; t < rows.length; t++) {
    for (let c = 0; c < cols; c++) {
      const d = rows[t]![c]! - rows[t - 1]![c]!;
      sq += d * d;
      n++;
      if (t >= 2) {
        const before = rows[t - 1]![c]! - rows[t - 2]![c]!;
        cross += d * before;
        prevSq += before * before;
      }
    }
  }
  return {
    rms: n > 0 ? Math.sqrt(sq / n) : Number.NaN,
    lag1: prevSq > 0 ? cross / prevSq : Number.NaN,
  };
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
  const step = steps(actions, A);
  return [
    file.padEnd(36),
    b.source.padEnd(7),
    String(b.count).padStart(5),
    f(meanColumnSd(actions, A)).padStart(9),
    f(meanColumnSd(movingAverage(actions, 5), A)).padStart(11),
    f(meanColumnSd(joints, jointPos.length)).padStart(9),
    (vx >= 0 ? f(speed) : '-').padStart(7),
    f(step.rms).padStart(8),
    f(step.lag1).padStart(9),
  ].join(' ');
}

let episodes;
try {
  episodes = storedEpisodes(runDir);
} catch (err) {
  fail((err as Error).message);
}
process.stdout.write(
  `${'episode'.padEnd(36)} ${'source'.padEnd(7)} steps  action sd  5-tick avg  joint sd  mean vx  step rms  step lag1\n`,
);
for (const { file, batch } of episodes) process.stdout.write(`${episodeLine(file, batch)}\n`);
