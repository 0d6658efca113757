/**
 * Micro-benchmark of MpcPlanner.plan() with an analytic (linear) ensemble, so the figures are the
 * planner's own cost: sampling, TS-inf bookkeeping, reward, refit. Model inference comes on top.
 *
 *   node --import tsx bench/plannerBench.ts [--iterations N] [--runs N]
 *
 * Prints one JSON line per configuration.
 */
import type { EnsembleStepper } from '../src/dynamics/types.js';
import { MpcPlanner } from '../src/planning/MpcPlanner.js';
import type { BatchReward, OptimizerKind } from '../src/planning/types.js';
import { monotonicClock } from '../src/util/clock.js';
import { Rng } from '../src/util/rng.js';

const S = 18;
const A = 6;
const K = 400;
const H = 15;

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}

/** s'_i = s_i + dt * a_(i mod A) + member offset; measures its own time. */
class LinearEnsemble implements EnsembleStepper {
  readonly stateDim = S;
  readonly actionDim = A;
  readonly maxBatchPerMember = 100_000;
  stepMs = 0;
  constructor(readonly ensembleSize: number) {}
  step(states: Float32Array, actions: Float32Array, B: number, out: Float32Array): Promise<void> {
    const t0 = monotonicClock.nowMs();
    for (let e = 0; e < this.ensembleSize; e++) {
      const offset = 0.001 * e;
      for (let b = 0; b < B; b++) {
        const r = e * B + b;
        for (let i = 0; i < S; i++) {
          out[r * S + i] = states[r * S + i]! + 0.05 * actions[r * A + (i % A)]! + offset;
        }
      }
    }
    this.stepMs += monotonicClock.nowMs() - t0;
    return Promise.resolve();
  }
}

/** -|s' - 1|^2 - 0.1 |a|^2. */
const reward: BatchReward = {
  evaluate(_s, actions, next, count, out) {
    for (let r = 0; r < count; r++) {
      let c = 0;
      for (let i = 0; i < S; i++) {
        const d = next[r * S + i]! - 1;
        c += d * d;
      }
      for (let j = 0; j < A; j++) c += 0.1 * actions[r * A + j]! * actions[r * A + j]!;
      out[r] = -c;
    }
  },
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function bench(
  optimizer: OptimizerKind,
  E: number,
  P: number,
  iterations: number,
  runs: number,
) {
  const stepper = new LinearEnsemble(E);
  const planner = new MpcPlanner(
    { stepper, reward, clock: monotonicClock, rng: new Rng(1) },
    {
      optimizer,
      horizon: H,
      population: K,
      particles: P,
      maxIterations: iterations,
      actionLow: new Array<number>(A).fill(-1),
      actionHigh: new Array<number>(A).fill(1),
    },
  );
  const state = new Float32Array(S);
  for (let i = 0; i < 5; i++) await planner.plan(state, Number.POSITIVE_INFINITY); // warm-up
  const times: number[] = [];
  stepper.stepMs = 0;
  for (let i = 0; i < runs; i++) {
    const r = await planner.plan(state, Number.POSITIVE_INFINITY);
    times.push(r.elapsedMs);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  const modelSteps = K * P * H * iterations * runs;
  process.stdout.write(
    JSON.stringify({
      optimizer,
      K,
      H,
      S,
      A,
      E,
      P,
      iterations,
      p50_ms: +percentile(times, 0.5).toFixed(3),
      p99_ms: +percentile(times, 0.99).toFixed(3),
      per_iteration_ms: +(percentile(times, 0.5) / iterations).toFixed(3),
      stepper_share: +(stepper.stepMs / total).toFixed(3),
      planner_only_ms_per_iteration: +((total - stepper.stepMs) / runs / iterations).toFixed(3),
      model_steps_per_s: Math.round(modelSteps / (total / 1000)),
    }) + '\n',
  );
}

const iterations = argNumber('--iterations', 5);
const runs = argNumber('--runs', 50);
for (const optimizer of ['random', 'cem', 'mppi'] as const) {
  await bench(optimizer, 1, 1, iterations, runs);
  await bench(optimizer, 5, 5, iterations, runs);
}
