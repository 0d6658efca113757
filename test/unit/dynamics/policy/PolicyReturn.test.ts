import assert from 'node:assert/strict';
import * as ort from '../../../../src/dynamics/onnx/ortRuntime.js';
import {
  makeArchitecture,
  initWeights,
  type Activation,
  type EnsembleArchitecture,
} from '../../../../src/dynamics/architecture.js';
import type { EnsembleSnapshot } from '../../../../src/dynamics/EnsembleSnapshot.js';
import {
  buildPolicyReturnGraph,
  POLICY_RETURN_IO,
  type PolicyReturnSetup,
} from '../../../../src/dynamics/onnx/buildPolicyReturnGraph.js';
import {
  initPolicyWeights,
  makePolicyArchitecture,
  policyParamSpecs,
  type PolicyArchitecture,
} from '../../../../src/dynamics/policy/PolicyNetwork.js';
import {
  PolicyReturnFitter,
  type PolicyReturnResult,
} from '../../../../src/dynamics/policy/PolicyReturnFitter.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { StriderError } from '../../../../src/util/StriderError.js';
import { Rng } from '../../../../src/util/rng.js';

const S = 3;
const A = 2;

function snapshotOf(arch: EnsembleArchitecture, seed: number): EnsembleSnapshot {
  const rng = new Rng(seed);
  const f = (n: number, lo: number, hi: number): Float32Array =>
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
  return {
    architecture: arch,
    normalisers: {
      inputMean: f(S + A, -0.2, 0.2),
      inputStd: f(S + A, 0.5, 1.5),
      deltaMean: f(S, -0.05, 0.05),
      deltaStd: f(S, 0.1, 0.3),
    },
    weights: initWeights(arch, seed),
  };
}

function setupOf(
  activation: Activation,
  policy: PolicyArchitecture,
  tilt: boolean,
): PolicyReturnSetup {
  const arch = makeArchitecture({
    stateDim: S,
    actionDim: A,
    ensembleSize: 2,
    hiddenSizes: [5, 4],
    activation,
    output: 'gaussian',
  });
  return {
    policy,
    inputMean: Float32Array.of(0.1, -0.1, 0.2),
    inputStd: Float32Array.of(0.8, 1.2, 1.0),
    actionLow: Float32Array.of(-1, -0.5),
    actionHigh: Float32Array.of(1, 1.5),
    model: snapshotOf(arch, 7),
    reward: {
      stateWeights: Float32Array.of(1, 0, -0.5),
      ctrlWeight: 0.3,
      nominal: Float32Array.of(0, 0.5),
      invHalf: Float32Array.of(1, 1),
      ...(tilt ? { tilt: { x: 0, y: 2, cost: 10, cosMax: 0.3, sharpness: 3 } } : {}),
    },
    horizon: 3,
  };
}

/** Loss and gradients of the graph at `p` (float32 in ORT). */
async function lossAndGrads(
  session: ort.InferenceSession,
  policy: PolicyArchitecture,
  p: Float32Array[],
  fixed: Record<string, ort.Tensor>,
): Promise<{ loss: number; grads: Float32Array[] }> {
  const feeds: Record<string, ort.Tensor> = { ...fixed };
  policyParamSpecs(policy).forEach((s, i) => {
    feeds[`p_${s.name}`] = new ort.Tensor('float32', p[i]!, s.shape);
  });
  const out = await session.run(feeds);
  return {
    loss: (out[POLICY_RETURN_IO.loss]!.data as Float32Array)[0]!,
    grads: policyParamSpecs(policy).map((s) => out[`g_${s.name}`]!.data as Float32Array),
  };
}

describe('policy return graph (cloning + the model’s predicted return)', () => {
  for (const [activation, tilt] of [
    ['swish', true],
    ['relu', false],
  ] as const) {
    it(`back-propagates through the ${activation} model and the policy in time${tilt ? ', with the tilt term' : ''}: gradients match finite differences`, async () => {
      const policy = makePolicyArchitecture({ inputDim: S, actionDim: A, hiddenSizes: [4] });
      const setup = setupOf(activation, policy, tilt);
      const session = await ort.InferenceSession.create(buildPolicyReturnGraph(setup, 'gradients'));
      const rng = new Rng(3);
      const r = (n: number): Float32Array =>
        Float32Array.from({ length: n }, () => 2 * rng.next() - 1);
      const B1 = 3;
      const B2 = 2;
      const fixed: Record<string, ort.Tensor> = {
        [POLICY_RETURN_IO.x]: new ort.Tensor('float32', r(B1 * S), [B1, S]),
        [POLICY_RETURN_IO.y]: new ort.Tensor(
          'float32',
          r(B1 * A).map((v) => 0.9 * v),
          [B1, A],
        ),
        [POLICY_RETURN_IO.bcScale]: new ort.Tensor('float32', Float32Array.of(1 / (B1 * A)), [1]),
        [POLICY_RETURN_IO.starts]: new ort.Tensor('float32', r(2 * B2 * S), [2, B2, S]),
        [POLICY_RETURN_IO.returnScale]: new ort.Tensor('float32', Float32Array.of(0.7), [1]),
      };
      const p = initPolicyWeights(policy, 5).map((w) => w.map((v) => v * 1.5 + 0.05));
      const base = await lossAndGrads(session, policy, p, fixed);
      assert.ok(Number.isFinite(base.loss));
      const eps = 1e-2;
      let checked = 0;
      let worst = 0;
      for (let i = 0; i < p.length; i++) {
        for (let k = 0; k < p[i]!.length; k++) {
          const plus = p.map((w) => w.slice());
          const minus = p.map((w) => w.slice());
          plus[i]![k]! += eps;
          minus[i]![k]! -= eps;
          const lp = (await lossAndGrads(session, policy, plus, fixed)).loss;
          const lm = (await lossAndGrads(session, policy, minus, fixed)).loss;
          const numeric = (lp - lm) / (2 * eps);
          const analytic = base.grads[i]![k]!;
          const err = Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric));
          worst = Math.max(worst, err);
          checked++;
        }
      }
      assert.ok(checked === 26, `${checked} parameters`);
      assert.ok(worst < 5e-3, `worst relative error ${worst}`);
      // the return term matters: without it the gradient differs
      fixed[POLICY_RETURN_IO.returnScale] = new ort.Tensor('float32', Float32Array.of(0), [1]);
      const bcOnly = await lossAndGrads(session, policy, p, fixed);
      const diff = Math.max(
        ...bcOnly.grads.map((g, i) =>
          Math.max(...g.map((v, k) => Math.abs(v - base.grads[i]![k]!))),
        ),
      );
      assert.ok(diff > 1e-3, 'the return term moves the gradient');
      await session.release();
    });
  }

  /**
   * A model whose speed grows by half the action (relu units a+ and a- carry it exactly), the
   * reward that speed: the expert's labels are 0, so cloning alone stays at 0 and the return term
   * pushes the action up.
   */
  function pushSetup(): PolicyReturnSetup {
    const arch = makeArchitecture({
      stateDim: 1,
      actionDim: 1,
      ensembleSize: 1,
      hiddenSizes: [2],
      activation: 'relu',
      output: 'deterministic',
    });
    return {
      policy: makePolicyArchitecture({ inputDim: 1, actionDim: 1, hiddenSizes: [8] }),
      inputMean: Float32Array.of(0),
      inputStd: Float32Array.of(1),
      actionLow: Float32Array.of(-1),
      actionHigh: Float32Array.of(1),
      model: {
        architecture: arch,
        normalisers: {
          inputMean: Float32Array.of(0, 0),
          inputStd: Float32Array.of(1, 1),
          deltaMean: Float32Array.of(0),
          deltaStd: Float32Array.of(1),
        },
        // w0 [1, 2, 2]: the state feeds nothing, the action +1 / -1; w1 [1, 2, 1]: +0.5, -0.5
        weights: [
          Float32Array.of(0, 0, 1, -1),
          Float32Array.of(0, 0),
          Float32Array.of(0.5, -0.5),
          Float32Array.of(0),
        ],
      },
      reward: {
        stateWeights: Float32Array.of(1),
        ctrlWeight: 0.05,
        nominal: Float32Array.of(0),
        invHalf: Float32Array.of(1),
      },
      horizon: 4,
    };
  }

  async function pushed(
    weight: number,
  ): Promise<{ after: number; before: number; action: number }> {
    const setup = pushSetup();
    const fitter = await PolicyReturnFitter.create(setup);
    const N = 64;
    const states = Float32Array.from({ length: N }, (_, i) => -1 + (2 * i) / N);
    const res = await fitter.improve(
      initPolicyWeights(setup.policy, 1),
      { x: states, y: new Float32Array(N), states, count: N },
      { weight, steps: 150, starts: 16, learningRate: 0.01, batchSize: 32, seed: 2 },
    );
    await fitter.close();
    // the policy's action at state 0 (normalised 0: w0 drops out): tanh of the 8-unit tanh net
    const [, b0, w1, b1] = res.weights;
    let z = b1![0]!;
    for (let j = 0; j < 8; j++) z += Math.tanh(b0![j]!) * w1![j]!;
    return { after: res.rewardPerStepAfter, before: res.rewardPerStepBefore, action: Math.tanh(z) };
  }

  it('moves the policy towards more predicted reward, against cloning’s pull, by the weight given', async () => {
    const strong = await pushed(5);
    const none = await pushed(0);
    assert.ok(strong.after > strong.before + 0.1, JSON.stringify(strong));
    assert.ok(strong.action > 0.5, `action ${strong.action}`);
    assert.ok(Math.abs(none.action) < 0.1, `cloning alone keeps the label 0: ${none.action}`);
  });

  it('ends each PolicyTrainer fit with the return term while a model serves, and not without one', async () => {
    const setup = pushSetup();
    let serving: EnsembleSnapshot | null = null;
    const trainer = new PolicyTrainer({
      stateDim: 1,
      actionLow: Float32Array.of(-1),
      actionHigh: Float32Array.of(1),
      hiddenSizes: [8],
      fit: { learningRate: 0.01, epochs: 5, batchSize: 32, seed: 1 },
      maxLabels: 500,
      returnTerm: {
        weight: 5,
        horizon: 4,
        steps: 150,
        starts: 16,
        model: () => serving,
        reward: setup.reward,
      },
    });
    for (let i = 0; i < 200; i++) trainer.add([-1 + i / 100], [0], 'expert');
    const act = (snap: {
      readonly weights: readonly Float32Array[];
      readonly inputMean: Float32Array;
      readonly inputStd: Float32Array;
    }): number => {
      const [w0, b0, w1, b1] = snap.weights;
      const xn = (0 - snap.inputMean[0]!) / snap.inputStd[0]!;
      let z = b1![0]!;
      for (let j = 0; j < 8; j++) z += Math.tanh(xn * w0![j]! + b0![j]!) * w1![j]!;
      return Math.tanh(z);
    };
    const plain = await trainer.train(1);
    assert.equal(trainer.lastReturnTerm, null, 'no model serves: cloning only');
    assert.ok(Math.abs(act(plain!)) < 0.15, `cloned action ${act(plain!)}`);
    serving = setup.model;
    const sharpened = await trainer.train(2);
    const ret = trainer.lastReturnTerm as PolicyReturnResult | null;
    assert.ok(ret !== null && ret.steps === 150);
    assert.ok(ret.rewardPerStepAfter > ret.rewardPerStepBefore + 0.1, JSON.stringify(ret));
    assert.ok(act(sharpened!) > 0.5, `action ${act(sharpened!)}`);
    await trainer.close();
  });

  it('refuses a policy whose input is not the model’s state (and command), whose command the reward does not track, or whose actions are not the model’s', async () => {
    const setup = pushSetup();
    const refused = (policy: PolicyArchitecture, code: string): Promise<void> =>
      assert.rejects(
        PolicyReturnFitter.create({ ...setup, policy }),
        (e: unknown) => e instanceof StriderError && e.code === code,
      );
    // a command, but the reward (forward speed) tracks none
    await refused(
      makePolicyArchitecture({ inputDim: 4, commandDim: 3, actionDim: 1, hiddenSizes: [4] }),
      'CONFIG_INVALID',
    );
    await refused(
      makePolicyArchitecture({ inputDim: 2, actionDim: 1, hiddenSizes: [4] }),
      'MODEL_SHAPE_MISMATCH',
    );
    await refused(
      makePolicyArchitecture({ inputDim: 1, actionDim: 2, hiddenSizes: [4] }),
      'MODEL_SHAPE_MISMATCH',
    );
  });
});
