import { inputDim, makeArchitecture, type EnsembleArchitecture } from '../dynamics/architecture.js';
import { identityNormalisers } from '../dynamics/Normaliser.js';
import { initWeights } from '../dynamics/architecture.js';
import { EnsembleSessions } from '../dynamics/EnsembleSessions.js';
import { OnnxEnsemble } from '../dynamics/OnnxEnsemble.js';
import { MpcPlanner } from '../planning/MpcPlanner.js';
import type { BatchReward, OptimizerKind } from '../planning/types.js';
import { monotonicClock } from '../util/clock.js';
import { Rng } from '../util/rng.js';

/** One planner shape to measure. */
export interface PlannerShape {
  readonly label: string;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  readonly hidden: readonly number[];
  readonly population: number;
  readonly particles: number;
  readonly horizon: number;
  readonly optimizer: OptimizerKind;
  /** ONNX Runtime intra-op threads (planner.threads). */
  readonly threads: number;
}

export interface PlannerFigures {
  readonly shape: PlannerShape;
  /** Median ms of one optimiser iteration inside plan() (H model calls plus sampling, rewards, refit). */
  readonly iteration_ms: number;
  /** Median ms of the same H model calls chained with no planner around them. */
  readonly engine_chain_ms: number;
  /** Member-forward passes of one sample per second through the planner. */
  readonly model_steps_per_s: number;
  readonly gflops: number;
  readonly engine_gflops: number;
  /** engine_chain_ms / iteration_ms: the planner's share of the raw engine speed. */
  readonly efficiency: number;
}

/** Multiply-adds of one member's forward pass on the control path (mean head only, as the ONNX graph computes). */
export function inferenceMacs(arch: EnsembleArchitecture): number {
  const widths = [inputDim(arch), ...arch.hiddenSizes, arch.stateDim];
  let macs = 0;
  for (let l = 0; l + 1 < widths.length; l++) macs += widths[l]! * widths[l + 1]!;
  return macs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** r = next[0] - 0.01|a|^2: cheap, like the shipped rewards (one state element, a control cost). */
function benchReward(S: number, A: number): BatchReward {
  return {
    evaluate(_s, actions, next, count, out) {
      for (let r = 0; r < count; r++) {
        let c = 0;
        for (let j = 0; j < A; j++) c += actions[r * A + j]! * actions[r * A + j]!;
        out[r] = next[r * S]! - 0.01 * c;
      }
    },
  };
}

/**
 * One optimiser iteration of the MPC planner over a random-weight ONNX ensemble (the cost does
 * not depend on the weights), against the same H model calls chained bare, measured in one run.
 */
export async function benchPlanner(
  shape: PlannerShape,
  options: { repeats: number },
): Promise<PlannerFigures> {
  const arch = makeArchitecture({
    stateDim: shape.stateDim,
    actionDim: shape.actionDim,
    ensembleSize: shape.ensembleSize,
    hiddenSizes: shape.hidden,
  });
  const E = arch.ensembleSize;
  const B = (shape.population * shape.particles) / E;
  const sessions = new EnsembleSessions();
  const stepper = await OnnxEnsemble.create(
    {
      architecture: arch,
      normalisers: identityNormalisers(shape.stateDim, shape.actionDim),
      weights: initWeights(arch, 7),
    },
    // as in the controller: a kept session, the weights fed as inputs
    { maxBatchPerMember: B, intraOpNumThreads: shape.threads, sessions },
  );
  try {
    const S = shape.stateDim;
    const A = shape.actionDim;
    const planner = new MpcPlanner(
      { stepper, reward: benchReward(S, A), clock: monotonicClock, rng: new Rng(3) },
      {
        optimizer: shape.optimizer,
        horizon: shape.horizon,
        population: shape.population,
        particles: shape.particles,
        actionLow: new Array<number>(A).fill(-1),
        actionHigh: new Array<number>(A).fill(1),
        maxIterations: 1,
      },
    );
    const state = new Float32Array(S).fill(0.1);
    const states = new Float32Array(E * B * S).fill(0.1);
    const actions = new Float32Array(E * B * A).fill(0.2);
    const out = new Float32Array(E * B * S);
    const iter: number[] = [];
    const chain: number[] = [];
    const warm = 3;
    for (let i = 0; i < options.repeats + warm; i++) {
      // interleave the two measurements so machine load affects both alike
      let t0 = monotonicClock.nowMs();
      await planner.plan(state, t0 + 60_000);
      const tPlan = monotonicClock.nowMs() - t0;
      t0 = monotonicClock.nowMs();
      for (let h = 0; h < shape.horizon; h++) {
        await stepper.step(h % 2 === 0 ? states : out, actions, B, h % 2 === 0 ? out : states);
      }
      const tChain = monotonicClock.nowMs() - t0;
      if (i >= warm) {
        iter.push(tPlan);
        chain.push(tChain);
      }
    }
    const iterationMs = median(iter);
    const chainMs = median(chain);
    const modelSteps = shape.population * shape.particles * shape.horizon;
    const flops = 2 * inferenceMacs(arch) * modelSteps;
    return {
      shape,
      iteration_ms: iterationMs,
      engine_chain_ms: chainMs,
      model_steps_per_s: modelSteps / (iterationMs / 1000),
      gflops: flops / (iterationMs / 1000) / 1e9,
      engine_gflops: flops / (chainMs / 1000) / 1e9,
      efficiency: chainMs / iterationMs,
    };
  } finally {
    await stepper.close();
    await sessions.close();
  }
}
