/**
 * How much of the MPC expert's DAgger labels a function of the state can explain, from the
 * episodes a child trainer stored: `npx tsx scripts/labelPredictability.ts RUN_DIR`.
 *
 * Reads RUN_DIR/trainer/<robot>/episodes/*.batch, keeps the labelled transitions, scales each
 * label onto [-1, 1] by the labels' own range per action, and fits a ridge regression from the
 * standardised state (plus a bias) to the label on a random 80% of the rows (seed 0), then prints
 * its squared error on the other 20% against the labels' variance (R^2 = 1 - mse / var); and,
 * within the expert's own episodes (source mpc), how well the previous tick's label predicts the
 * next. A label that no function of the state explains is noise the policy can only average.
 */
import { join } from 'node:path';
import { storedEpisodes } from './storedEpisodes.js';

function fail(message: string, code = 1): never {
  process.stderr.write(`labelPredictability: ${message}\n`);
  process.exit(code);
}

const runDir = process.argv[2];
if (runDir === undefined) fail('usage: npx tsx scripts/labelPredictability.ts RUN_DIR', 2);

interface Row {
  readonly state: Float32Array;
  readonly label: Float32Array;
  readonly source: string;
  /** The previous row is the same episode's previous tick. */
  readonly follows: boolean;
}

const rows: Row[] = [];
let S = 0;
let A = 0;
let episodes;
try {
  episodes = storedEpisodes(runDir);
} catch (err) {
  fail((err as Error).message);
}
for (const { batch: b } of episodes) {
  S = b.stateDim;
  A = b.actionDim;
  let labelledBefore = false;
  for (let i = 0; i < b.count; i++) {
    const label = b.expertActions.slice(i * A, (i + 1) * A);
    const labelled = label.every(Number.isFinite);
    if (labelled) {
      rows.push({
        state: b.states.slice(i * S, (i + 1) * S),
        label,
        source: b.source,
        follows: labelledBefore,
      });
    }
    labelledBefore = labelled;
  }
}
if (rows.length < 10 * (S + 1)) {
  fail(
    `${rows.length} labelled transitions under ${join(runDir, 'trainer')}: too few to fit (labels come from ` +
      'control.policy dagger or policy runs with trainer.mode child)',
  );
}

// labels onto [-1, 1] per action by their range; states standardised
const lo = new Float64Array(A).fill(Infinity);
const hi = new Float64Array(A).fill(-Infinity);
for (const r of rows)
  for (let j = 0; j < A; j++) {
    lo[j] = Math.min(lo[j]!, r.label[j]!);
    hi[j] = Math.max(hi[j]!, r.label[j]!);
  }
const y = rows.map((r) =>
  Array.from(r.label, (v, j) => (hi[j]! > lo[j]! ? (2 * (v - lo[j]!)) / (hi[j]! - lo[j]!) - 1 : 0)),
);

let seed = 0x9e3779b9;
const uniform = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const test = rows.map(() => uniform() < 0.2);

const mean = new Float64Array(S);
const sd = new Float64Array(S);
const nTrain = test.filter((t) => !t).length;
rows.forEach((r, i) => {
  if (!test[i]) for (let j = 0; j < S; j++) mean[j]! += r.state[j]! / nTrain;
});
rows.forEach((r, i) => {
  if (!test[i]) for (let j = 0; j < S; j++) sd[j]! += (r.state[j]! - mean[j]!) ** 2 / nTrain;
});
for (let j = 0; j < S; j++) sd[j] = Math.sqrt(sd[j]!) + 1e-6;
const F = S + 1;
const features = (r: Row): Float64Array => {
  const x = new Float64Array(F);
  for (let j = 0; j < S; j++) x[j] = (r.state[j]! - mean[j]!) / sd[j]!;
  x[S] = 1;
  return x;
};

// ridge: (X'X + lambda I) W = X'Y, solved by Cholesky
const lambda = 1;
const xtx = new Float64Array(F * F);
const xty = new Float64Array(F * A);
rows.forEach((r, i) => {
  if (test[i]) return;
  const x = features(r);
  for (let p = 0; p < F; p++) {
    for (let q = 0; q < F; q++) xtx[p * F + q]! += x[p]! * x[q]!;
    for (let k = 0; k < A; k++) xty[p * A + k]! += x[p]! * y[i]![k]!;
  }
});
for (let p = 0; p < F; p++) xtx[p * F + p]! += lambda;
const L = new Float64Array(F * F);
for (let p = 0; p < F; p++)
  for (let q = 0; q <= p; q++) {
    let s = xtx[p * F + q]!;
    for (let k = 0; k < q; k++) s -= L[p * F + k]! * L[q * F + k]!;
    L[p * F + q] = p === q ? Math.sqrt(s) : s / L[q * F + q]!;
  }
const W = new Float64Array(F * A);
for (let k = 0; k < A; k++) {
  const z = new Float64Array(F);
  for (let p = 0; p < F; p++) {
    let s = xty[p * A + k]!;
    for (let q = 0; q < p; q++) s -= L[p * F + q]! * z[q]!;
    z[p] = s / L[p * F + p]!;
  }
  for (let p = F - 1; p >= 0; p--) {
    let s = z[p]!;
    for (let q = p + 1; q < F; q++) s -= L[q * F + p]! * W[q * A + k]!;
    W[p * A + k] = s / L[p * F + p]!;
  }
}

const testIdx = rows.flatMap((_, i) => (test[i] ? [i] : []));
const labelMean = new Float64Array(A);
for (const i of testIdx) for (let k = 0; k < A; k++) labelMean[k]! += y[i]![k]! / testIdx.length;
let variance = 0;
let mse = 0;
for (const i of testIdx) {
  const x = features(rows[i]!);
  for (let k = 0; k < A; k++) {
    let p = 0;
    for (let q = 0; q < F; q++) p += x[q]! * W[q * A + k]!;
    mse += (p - y[i]![k]!) ** 2 / (testIdx.length * A);
    variance += (y[i]![k]! - labelMean[k]!) ** 2 / (testIdx.length * A);
  }
}

let prevMse = 0;
let prevN = 0;
let mpcVar = 0;
const mpc = rows.flatMap((r, i) => (r.source === 'mpc' ? [i] : []));
const mpcMean = new Float64Array(A);
for (const i of mpc) for (let k = 0; k < A; k++) mpcMean[k]! += y[i]![k]! / mpc.length;
for (const i of mpc) {
  for (let k = 0; k < A; k++) mpcVar += (y[i]![k]! - mpcMean[k]!) ** 2 / (mpc.length * A);
  if (rows[i]!.follows && rows[i - 1]?.source === 'mpc') {
    for (let k = 0; k < A; k++) prevMse += (y[i]![k]! - y[i - 1]![k]!) ** 2;
    prevN += A;
  }
}

const f = (x: number): string => x.toFixed(3);
process.stdout.write(
  `${rows.length} labelled transitions (S ${S}, A ${A}), labels scaled to [-1, 1] per action\n` +
    `ridge from the state, ${testIdx.length} held-out rows: mse ${f(mse)} against the labels' ` +
    `variance ${f(variance)}, R^2 ${f(1 - mse / variance)}\n` +
    (prevN > 0
      ? `expert's own episodes (${mpc.length} rows): the previous label as the prediction: mse ` +
        `${f(prevMse / prevN)} against variance ${f(mpcVar)}, R^2 ${f(1 - prevMse / prevN / mpcVar)}\n`
      : 'no consecutive labelled ticks of the expert (source mpc)\n'),
);
