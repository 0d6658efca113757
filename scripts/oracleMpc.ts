/**
 * How far can the planner's method get with a perfect model? A measurement for docs/learning.md
 * (issue 11): the planner's own optimisers (src/planning/optimisers) with the simulator itself as
 * the model.
 *
 *   npx tsx scripts/oracleMpc.ts [model] [--optimizer random] [--population 100]
 *       [--iterations 5] [--horizon 15] [--execute best] [--noise-beta 0] [--elites 10]
 *       [--temperature 1] [--tilt-penalty 0] [--max-tilt 0.8] [--episodes 3] [--steps 200]
 *       [--rate 20] [--ctrl-cost 0.1] [--reset-noise 0.1] [--seed 0]
 *
 * Each tick as MpcPlanner.plan() does it, without the clock: the previous plan shifted one step
 * (zero tail) warm-starts the optimiser; each of `iterations` iterations samples K sequences (row
 * 0 the incumbent), rolls every one out from the true state on a scratch MjData (qpos, qvel and
 * time copied from the robot's), scores it with npm start's reward, r = v_x - w |a|^2 per control
 * period (v_x the root's x velocity after the period, qvel[0] of a planar model's x slide; actions
 * are already on [-1, 1]), keeps the best so far and updates the optimiser; the first action of
 * the best (or of the centre, `--execute mean`) is executed. `--tilt-penalty C` subtracts C from
 * a sequence's score for every step it leaves the torso tipped past `--max-tilt` rad (qpos[2],
 * the planar runner's pitch; planning only, as planner.tilt_cost). Episodes start from the
 * model's reset pose with uniform noise of +-reset_noise on qpos and qvel (this script's reset,
 * not the link's), and the same resets are run with random actions beside them. No learning, no
 * tick budget: the returns printed (the task's) are what a model without error would let this
 * planner reach, for a given K, H and number of iterations.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Cem } from '../src/planning/optimisers/Cem.js';
import { Icem } from '../src/planning/optimisers/Icem.js';
import { Mppi } from '../src/planning/optimisers/Mppi.js';
import { RandomShooting } from '../src/planning/optimisers/RandomShooting.js';
import type { SequenceOptimiser } from '../src/planning/optimisers/SequenceOptimiser.js';
import { ColouredNoise } from '../src/planning/ColouredNoise.js';
import { resolvePlannerOptions } from '../src/planning/resolvePlannerOptions.js';
import { shiftSequence } from '../src/planning/sequences.js';
import type { OptimizerKind, ExecuteKind } from '../src/planning/types.js';
import { Rng } from '../src/util/rng.js';
import { loadMujoco } from '../src/robot/mujoco/loadMujoco.js';
import { frameSkipOf, loadModel } from '../src/robot/mujoco/loadModel.js';
import { silentLogger } from '../src/util/logger.js';
import type { MjDataHandle, MjModelHandle, MujocoModule } from '../src/robot/mujoco/mujocoTypes.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    optimizer: { type: 'string', default: 'random' },
    population: { type: 'string', default: '100' },
    iterations: { type: 'string', default: '5' },
    execute: { type: 'string', default: 'best' },
    'noise-beta': { type: 'string', default: '0' },
    elites: { type: 'string', default: '10' },
    temperature: { type: 'string', default: '1' },
    horizon: { type: 'string', default: '15' },
    episodes: { type: 'string', default: '3' },
    steps: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    'ctrl-cost': { type: 'string', default: '0.1' },
    'reset-noise': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '0' },
    'tilt-penalty': { type: 'string', default: '0' },
    'max-tilt': { type: 'string', default: '0.8' },
  },
});

const K = Number(values.population);
const H = Number(values.horizon);
const ITERATIONS = Number(values.iterations);
const EPISODES = Number(values.episodes);
const STEPS = Number(values.steps);
const RATE_HZ = Number(values.rate);
const CTRL_COST = Number(values['ctrl-cost']);
const RESET_NOISE = Number(values['reset-noise']);
const TILT_PENALTY = Number(values['tilt-penalty']);
const COS_MAX_TILT = Math.cos(Number(values['max-tilt']));
const modelPath = path.resolve(positionals[0] ?? 'urdf/planar_runner.xml');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The views of one MjData, read once (each getter access builds a new view). */
interface DataViews {
  readonly data: MjDataHandle;
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly ctrl: Float64Array;
}

function views(data: MjDataHandle): DataViews {
  return { data, qpos: data.qpos, qvel: data.qvel, ctrl: data.ctrl };
}

function createOptimiser(nu: number, seed: number): SequenceOptimiser {
  const o = resolvePlannerOptions(
    {
      optimizer: values.optimizer as OptimizerKind,
      horizon: H,
      population: K,
      particles: 1,
      actionLow: new Array<number>(nu).fill(-1),
      actionHigh: new Array<number>(nu).fill(1),
      maxIterations: ITERATIONS,
      noiseBeta: Number(values['noise-beta']),
      execute: values.execute as ExecuteKind,
      ...(values.optimizer === 'cem' || values.optimizer === 'icem'
        ? { cem: { elites: Number(values.elites) } }
        : {}),
      ...(values.optimizer === 'mppi' ? { mppi: { temperature: Number(values.temperature) } } : {}),
    },
    { stateDim: 1, actionDim: nu, ensembleSize: 1, maxBatchPerMember: K },
  );
  const rng = new Rng(seed);
  const noise = (): ColouredNoise => new ColouredNoise({ horizon: H, beta: o.noiseBeta });
  switch (o.optimizer) {
    case 'random':
      return new RandomShooting(o, rng);
    case 'cem':
      return new Cem(o, rng, noise());
    case 'mppi':
      return new Mppi(o, rng, noise());
    case 'icem':
      return new Icem(o, rng, noise());
  }
}

/** One control period with `action` held: frameSkip steps; returns r = v_x - w |a|^2. */
function period(
  mujoco: MujocoModule,
  model: MjModelHandle,
  d: DataViews,
  action: ArrayLike<number>,
  frameSkip: number,
): number {
  let cost = 0;
  for (let a = 0; a < action.length; a++) {
    d.ctrl[a] = action[a]!;
    cost += action[a]! * action[a]!;
  }
  for (let i = 0; i < frameSkip; i++) mujoco.mj_step(model, d.data);
  return d.qvel[0]! - CTRL_COST * cost;
}

async function main(): Promise<void> {
  const mujoco = await loadMujoco();
  const { model, mount } = loadModel(mujoco, modelPath, {}, silentLogger());
  const frameSkip = frameSkipOf(1 / RATE_HZ, model.opt.timestep, modelPath);
  // both MjData first: an allocation can grow WASM memory, which detaches earlier views
  const realData = new mujoco.MjData(model);
  const scratchData = new mujoco.MjData(model);
  const real = views(realData);
  const scratch = views(scratchData);
  const nu = model.nu;
  const rng = new Rng(Number(values.seed));
  const random = (): number => rng.next();
  const action = new Float64Array(nu);
  const optimiser = createOptimiser(nu, Number(values.seed) + 1);
  const population = new Float32Array(K * H * nu);
  const returns = new Float64Array(K);
  const plan = new Float32Array(H * nu);
  const zeroTail = new Float32Array(nu);
  say(
    `oracle MPC on ${path.basename(modelPath)}: ${values.optimizer} K${K} x H${H}, up to ` +
      `${ITERATIONS} iterations, execute ${values.execute}, noise beta ${values['noise-beta']}, ` +
      `tilt penalty ${TILT_PENALTY} past ${values['max-tilt']} rad; ${EPISODES} ` +
      `episodes of ${STEPS} steps at ${RATE_HZ} Hz, r = v_x - ${CTRL_COST} |a|^2`,
  );

  const reset = (noise: Float64Array): void => {
    mujoco.mj_resetData(model, real.data);
    for (let i = 0; i < model.nq; i++) real.qpos[i] = real.qpos[i]! + noise[i]!;
    for (let i = 0; i < model.nv; i++) real.qvel[i] = noise[model.nq + i]!;
    mujoco.mj_forward(model, real.data);
  };

  const oracleReturns: number[] = [];
  const randomReturns: number[] = [];
  for (let ep = 0; ep < EPISODES; ep++) {
    const noise = Float64Array.from(
      { length: model.nq + model.nv },
      () => (2 * random() - 1) * RESET_NOISE,
    );
    // random actions from this reset
    reset(noise);
    let randomReturn = 0;
    for (let t = 0; t < STEPS; t++) {
      for (let a = 0; a < nu; a++) action[a] = 2 * random() - 1;
      randomReturn += period(mujoco, model, real, action, frameSkip);
    }
    // the oracle planner from the same reset
    reset(noise);
    let oracleReturn = 0;
    let planned = 0;
    let maxPitch = 0;
    const quarters = [0, 0, 0, 0];
    const started = Date.now();
    plan.fill(0);
    optimiser.reset();
    for (let t = 0; t < STEPS; t++) {
      shiftSequence(plan, 0, H, nu, zeroTail);
      optimiser.begin(plan);
      let best = -Infinity;
      for (let it = 0; it < ITERATIONS; it++) {
        const count = optimiser.sample(population, plan);
        let bestK = -1;
        for (let k = 0; k < count; k++) {
          scratch.data.time = real.data.time;
          scratch.qpos.set(real.qpos);
          scratch.qvel.set(real.qvel);
          let score = 0;
          for (let h = 0; h < H; h++) {
            const off = (k * H + h) * nu;
            score += period(mujoco, model, scratch, population.subarray(off, off + nu), frameSkip);
            // planning only: a cost per step tipped past --max-tilt (qpos[2], a planar pitch)
            if (Math.cos(scratch.qpos[2]!) < COS_MAX_TILT) score -= TILT_PENALTY;
          }
          returns[k] = score;
          planned += score / H / count / ITERATIONS;
          if (score > best) {
            best = score;
            bestK = k;
          }
        }
        if (bestK >= 0) plan.set(population.subarray(bestK * H * nu, (bestK + 1) * H * nu));
        optimiser.update(population, returns);
      }
      if (values.execute === 'mean') plan.set(optimiser.centre!());
      for (let a = 0; a < nu; a++) action[a] = plan[a]!;
      const r = period(mujoco, model, real, action, frameSkip);
      oracleReturn += r;
      quarters[Math.min(3, Math.floor((4 * t) / STEPS))]! += r;
      maxPitch = Math.max(maxPitch, Math.abs(real.qpos[2]!));
    }
    oracleReturns.push(oracleReturn);
    randomReturns.push(randomReturn);
    say(
      `episode ${ep}: oracle MPC ${oracleReturn.toFixed(1)}, random ${randomReturn.toFixed(1)}, ` +
        `by quarters ${quarters.map((q) => q.toFixed(1)).join(' ')}, ` +
        `x ${real.qpos[0]!.toFixed(2)} m, largest |qpos[2]| (the planar runner's pitch) ` +
        `${maxPitch.toFixed(2)} rad, mean sampled reward per step ${(planned / STEPS).toFixed(3)}, ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  say(
    `mean: oracle MPC ${mean(oracleReturns).toFixed(1)}, random ${mean(randomReturns).toFixed(1)}, ` +
      `difference ${(mean(oracleReturns) - mean(randomReturns)).toFixed(1)} per ${STEPS}-step episode`,
  );
  scratch.data.delete();
  real.data.delete();
  model.delete();
  mount.unmount();
}

await main();
