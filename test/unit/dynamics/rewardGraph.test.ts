import * as assert from 'node:assert/strict';
import * as ort from '../../../src/dynamics/onnx/ortRuntime.js';
import { configSchema } from '../../../src/config/schema.js';
import { initWeights, makeArchitecture } from '../../../src/dynamics/architecture.js';
import {
  buildPolicyReturnGraph,
  POLICY_RETURN_IO,
  type PolicyReturnSetup,
} from '../../../src/dynamics/onnx/buildPolicyReturnGraph.js';
import {
  initPolicyWeights,
  makePolicyArchitecture,
  policyParamSpecs,
} from '../../../src/dynamics/policy/PolicyNetwork.js';
import { OnnxGraphBuilder } from '../../../src/dynamics/onnx/OnnxGraphBuilder.js';
import { rewardGraph, type DifferentiableReward } from '../../../src/dynamics/onnx/rewardGraph.js';
import { LeggedReward } from '../../../src/planning/leggedReward.js';
import type { ActuatorInfo } from '../../../src/robot/types.js';
import type { StateLayout } from '../../../src/state/types.js';
import { Rng } from '../../../src/util/rng.js';

const LAYOUT: StateLayout = {
  dim: 13,
  names: [
    'base.pos.z',
    'base.quat.w',
    'base.quat.x',
    'base.quat.y',
    'base.quat.z',
    'base.linvel.x',
    'base.linvel.y',
    'base.linvel.z',
    'base.angvel.x',
    'base.angvel.y',
    'base.angvel.z',
    'joint.q',
    'joint.qd',
  ],
};
const S = LAYOUT.dim;
const A = 2;
const ACTUATORS: readonly ActuatorInfo[] = [
  { name: 'a', joint: 'a', interface: 'position', commandLimits: [-1, 1] },
  { name: 'b', joint: 'b', interface: 'position', commandLimits: [-0.5, 1.5] },
];
const COST = { nominal: [0.1, 0.4], halfWidth: [0.8, 1.2] };
const E = 2;
const B = 3;
const ROWS = E * B;

function legged(fall: number): LeggedReward {
  const task = configSchema.shape.task.parse({
    reward: 'legged',
    ctrl_cost_weight: 0.2,
    cmd_vel: { linear_x: 0.4, linear_y: 0.1, angular_z: 0.3 },
    legged: {
      upright: 2,
      height: 20,
      base_height_m: 0.3,
      tracking_l1: 1.5,
      action_rate: 0.3,
      ang_vel_xy: 0.4,
      lin_vel_z: 0.6,
      fall,
    },
  });
  const context = { maxTiltRad: 0.8, minHeightFraction: 0.5, stanceBaseHeightM: null };
  return new LeggedReward(LAYOUT, ACTUATORS, task, context, COST);
}

/** A session over rewardGraph alone: inputs next, act, prev, command; its sum and partials. */
async function sessionOf(r: DifferentiableReward): Promise<ort.InferenceSession> {
  const g = new OnnxGraphBuilder('reward_only');
  const next = g.input('next', [E, B, S]);
  const act = g.input('act', [E, B, A]);
  const prev = g.input('prev', [E, B, A]);
  const command = g.input('command', [E, B, 3]);
  const step = rewardGraph(g, r, S)(next, act, prev, command);
  g.op('Identity', [step.sum], {}, 'sum');
  g.op('Identity', [step.dNext], {}, 'd_next');
  g.op('Identity', [step.dAct], {}, 'd_act');
  g.op('Identity', [step.dPrev!], {}, 'd_prev');
  g.output('sum', []);
  g.output('d_next', [E, B, S]);
  g.output('d_act', [E, B, A]);
  g.output('d_prev', [E, B, A]);
  return ort.InferenceSession.create(g.toModel());
}

interface Inputs {
  next: Float32Array;
  act: Float32Array;
  prev: Float32Array;
  command: Float32Array;
}

async function run(
  session: ort.InferenceSession,
  x: Inputs,
): Promise<{ sum: number; next: Float32Array; act: Float32Array; prev: Float32Array }> {
  const out = await session.run({
    next: new ort.Tensor('float32', x.next, [E, B, S]),
    act: new ort.Tensor('float32', x.act, [E, B, A]),
    prev: new ort.Tensor('float32', x.prev, [E, B, A]),
    command: new ort.Tensor('float32', x.command, [E, B, 3]),
  });
  return {
    sum: (out.sum!.data as Float32Array)[0]!,
    next: out.d_next!.data as Float32Array,
    act: out.d_act!.data as Float32Array,
    prev: out.d_prev!.data as Float32Array,
  };
}

/**
 * Rows of states around a walking stance: heights near the target (one near the fall height),
 * small tilts and yaws (one tilted past the fall limit when `fallen`), velocities near the command.
 */
function inputs(seed: number, fallen: boolean): Inputs {
  const rng = new Rng(seed);
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const next = new Float32Array(ROWS * S);
  for (let r = 0; r < ROWS; r++) {
    const o = r * S;
    const roll = r === ROWS - 1 && fallen ? 1.4 : u(-0.3, 0.3);
    const pitch = u(-0.3, 0.3);
    const yaw = u(-1.5, 1.5);
    const [cr, sr, cp, sp, cy, sy] = [roll, roll, pitch, pitch, yaw, yaw].map((a, i) =>
      i % 2 === 0 ? Math.cos(a / 2) : Math.sin(a / 2),
    ) as [number, number, number, number, number, number];
    const scale = u(0.97, 1.03); // a model's quaternion is not quite unit
    next[o] = r === 0 ? 0.16 : u(0.22, 0.36);
    next[o + 1] = scale * (cr * cp * cy + sr * sp * sy);
    next[o + 2] = scale * (sr * cp * cy - cr * sp * sy);
    next[o + 3] = scale * (cr * sp * cy + sr * cp * sy);
    next[o + 4] = scale * (cr * cp * sy - sr * sp * cy);
    for (let k = 5; k < S; k++) next[o + k] = u(-0.5, 0.7);
  }
  const rows = (n: number, lo: number, hi: number): Float32Array =>
    Float32Array.from({ length: ROWS * n }, () => u(lo, hi));
  return {
    next,
    act: rows(A, -0.4, 1),
    prev: rows(A, -0.4, 1),
    command: rows(3, -0.3, 0.6),
  };
}

/** LeggedReward's own sum over the rows, each row tracking its own command. */
function jsSum(r: LeggedReward, x: Inputs): number {
  const out = new Float32Array(1);
  let sum = 0;
  for (let row = 0; row < ROWS; row++) {
    r.target.linearX = x.command[row * 3]!;
    r.target.linearY = x.command[row * 3 + 1]!;
    r.target.angularZ = x.command[row * 3 + 2]!;
    r.evaluate(
      new Float32Array(S),
      x.act.slice(row * A, row * A + A),
      x.next.slice(row * S, row * S + S),
      1,
      out,
      x.prev.slice(row * A, row * A + A),
    );
    sum += out[0]!;
  }
  return sum;
}

describe('dynamics/onnx/rewardGraph (the legged reward the return term differentiates)', () => {
  it('is LeggedReward: the same sum per command, to the smoothed fall indicator', async () => {
    for (const fallen of [false, true]) {
      const x = inputs(fallen ? 2 : 1, fallen);
      const noFall = legged(0);
      const session = await sessionOf(noFall.differentiableForm());
      const graph = (await run(session, x)).sum;
      assert.ok(
        Math.abs(graph - jsSum(noFall, x)) < 1e-4 * Math.max(1, Math.abs(graph)),
        `${graph} vs ${jsSum(noFall, x)}`,
      );
      await session.release();
      // with the fall term, away from the fall height (row 0 is 1 cm above it): the smoothed
      // indicator's tails cost at most 0.07 per row at tilts below 0.45 rad (sigmoid(20 (cos 0.8
      // - cos 0.45)) x 5), a fallen row w_fall in both
      x.next[0] = 0.25;
      const withFall = legged(5);
      const fs = await sessionOf(withFall.differentiableForm());
      const diff = (await run(fs, x)).sum - jsSum(withFall, x);
      assert.ok(Math.abs(diff) < 0.07 * ROWS, `fall terms differ by ${diff}`);
      await fs.release();
    }
    // the fallen row really costs the fall weight in both
    const x = inputs(2, true);
    const lift = jsSum(legged(0), x) - jsSum(legged(5), x);
    assert.ok(lift >= 5 - 1e-3, `JS fall cost ${lift}`);
  });

  it('gives its partials in next state, action and previous action: they match finite differences', async () => {
    const r = legged(5);
    const session = await sessionOf(r.differentiableForm());
    for (const seed of [3, 4]) {
      const x = inputs(seed, seed === 4);
      const base = await run(session, x);
      const eps = 2e-3;
      let worst = 0;
      let checked = 0;
      for (const key of ['next', 'act', 'prev'] as const) {
        for (let i = 0; i < x[key].length; i++) {
          const at = x[key][i]!;
          x[key][i] = at + eps;
          const plus = (await run(session, x)).sum;
          x[key][i] = at - eps;
          const minus = (await run(session, x)).sum;
          x[key][i] = at;
          const numeric = (plus - minus) / (2 * eps);
          const analytic = base[key][i]!;
          worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric)));
          checked++;
        }
      }
      assert.equal(checked, ROWS * (S + 2 * A));
      assert.ok(worst < 1e-2, `seed ${seed}: worst relative error ${worst}`);
      // every state column the reward reads has a gradient somewhere (nothing left out)
      for (let k = 0; k < 11; k++) {
        let any = 0;
        for (let row = 0; row < ROWS; row++) any += Math.abs(base.next[row * S + k]!);
        assert.ok(any > 1e-4, `column ${LAYOUT.names[k]} has no gradient`);
      }
      for (const k of [11, 12]) {
        for (let row = 0; row < ROWS; row++) assert.equal(base.next[row * S + k], 0);
      }
    }
    await session.release();
  });
});

describe('policy return graph with the legged reward and the command input', () => {
  it('back-propagates the legged reward (action rate through time) and the command: gradients match finite differences', async () => {
    const arch = makeArchitecture({
      stateDim: S,
      actionDim: A,
      ensembleSize: E,
      hiddenSizes: [6],
      activation: 'swish',
      output: 'gaussian',
    });
    const rng = new Rng(11);
    const f = (n: number, lo: number, hi: number): Float32Array =>
      Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
    const policy = makePolicyArchitecture({
      inputDim: S + 3,
      commandDim: 3,
      actionDim: A,
      hiddenSizes: [4],
    });
    const setup: PolicyReturnSetup = {
      policy,
      inputMean: f(S + 3, -0.1, 0.1),
      inputStd: f(S + 3, 0.5, 1.5),
      actionLow: Float32Array.of(-1, -0.5),
      actionHigh: Float32Array.of(1, 1.5),
      model: {
        architecture: arch,
        normalisers: {
          inputMean: f(S + A, -0.2, 0.2),
          inputStd: f(S + A, 0.5, 1.5),
          deltaMean: f(S, -0.01, 0.01),
          deltaStd: f(S, 0.02, 0.08),
        },
        weights: initWeights(arch, 4),
      },
      reward: legged(5).differentiableForm(),
      horizon: 3,
    };
    const session = await ort.InferenceSession.create(buildPolicyReturnGraph(setup, 'gradients'));
    const x = inputs(5, false);
    const starts = new Float32Array(ROWS * (S + 3));
    for (let r = 0; r < ROWS; r++) {
      starts.set(x.next.subarray(r * S, r * S + S), r * (S + 3));
      starts.set(x.command.subarray(r * 3, r * 3 + 3), r * (S + 3) + S);
    }
    const B1 = 2;
    const fixed: Record<string, ort.Tensor> = {
      [POLICY_RETURN_IO.x]: new ort.Tensor('float32', f(B1 * (S + 3), -1, 1), [B1, S + 3]),
      [POLICY_RETURN_IO.y]: new ort.Tensor('float32', f(B1 * A, -0.9, 0.9), [B1, A]),
      [POLICY_RETURN_IO.bcScale]: new ort.Tensor('float32', Float32Array.of(1 / (B1 * A)), [1]),
      [POLICY_RETURN_IO.starts]: new ort.Tensor('float32', starts, [E, B, S + 3]),
      [POLICY_RETURN_IO.returnScale]: new ort.Tensor('float32', Float32Array.of(0.5), [1]),
    };
    const specs = policyParamSpecs(policy);
    const lossAt = async (p: Float32Array[]): Promise<{ loss: number; grads: Float32Array[] }> => {
      const feeds: Record<string, ort.Tensor> = { ...fixed };
      specs.forEach(
        (sp, i) => (feeds[`p_${sp.name}`] = new ort.Tensor('float32', p[i]!, sp.shape)),
      );
      const out = await session.run(feeds);
      return {
        loss: (out[POLICY_RETURN_IO.loss]!.data as Float32Array)[0]!,
        grads: specs.map((sp) => out[`g_${sp.name}`]!.data as Float32Array),
      };
    };
    const p = initPolicyWeights(policy, 6).map((w) => w.map((v) => v * 1.5 + 0.05));
    const base = await lossAt(p);
    const eps = 1e-2;
    let worst = 0;
    let checked = 0;
    for (let i = 0; i < p.length; i++) {
      for (let k = 0; k < p[i]!.length; k++) {
        const at = p[i]![k]!;
        p[i]![k] = at + eps;
        const plus = (await lossAt(p)).loss;
        p[i]![k] = at - eps;
        const minus = (await lossAt(p)).loss;
        p[i]![k] = at;
        const numeric = (plus - minus) / (2 * eps);
        worst = Math.max(
          worst,
          Math.abs(numeric - base.grads[i]![k]!) / Math.max(1, Math.abs(numeric)),
        );
        checked++;
      }
    }
    assert.equal(checked, (S + 3) * 4 + 4 + 4 * A + A);
    assert.ok(worst < 5e-3, `worst relative error ${worst}`);
    // the command reaches the loss: another command, another loss
    starts[S] = starts[S]! + 0.5;
    const moved = await lossAt(p);
    assert.ok(Math.abs(moved.loss - base.loss) > 1e-4, 'the command changes the return');
    await session.release();
  });
});
