import * as assert from 'node:assert/strict';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import {
  initPolicyWeights,
  type PolicySnapshot,
} from '../../../../src/dynamics/policy/PolicyNetwork.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { Rng } from '../../../../src/util/rng.js';
import { isStriderError } from '../../../../src/util/StriderError.js';

/** An expert that is a smooth function of the state, inside the bounds [-2, 2]. */
function expert(s: ArrayLike<number>, out: Float32Array): void {
  out[0] = 1.5 * Math.tanh(s[0]! - 0.5 * s[1]!);
  out[1] = 1.5 * Math.sin(s[2]!);
}

describe('distilled policy (ONNX training graph and inference)', () => {
  it('behaviour cloning learns a known expert: the fitted policy matches it on fresh states', async () => {
    const low = Float32Array.of(-2, -2);
    const high = Float32Array.of(2, 2);
    const trainer = new PolicyTrainer({
      stateDim: 3,
      actionLow: low,
      actionHigh: high,
      hiddenSizes: [32, 32],
      fit: { learningRate: 3e-3, epochs: 60, batchSize: 64, seed: 1 },
      maxLabels: 2000,
    });
    const rng = new Rng(7);
    const s = new Float32Array(3);
    const a = new Float32Array(2);
    for (let i = 0; i < 1024; i++) {
      for (let k = 0; k < 3; k++) s[k] = 2 * rng.next() - 1;
      expert(s, a);
      trainer.add(s, a, 'expert');
    }
    const snap = await trainer.train(0);
    assert.notEqual(snap, null);
    const net = await OnnxPolicyNet.create(snap!);
    let err = 0;
    let base = 0;
    const got = new Float32Array(2);
    for (let i = 0; i < 200; i++) {
      for (let k = 0; k < 3; k++) s[k] = 2 * rng.next() - 1;
      expert(s, a);
      await net.act(s, got);
      for (let k = 0; k < 2; k++) {
        err += (got[k]! - a[k]!) ** 2;
        base += a[k]! ** 2;
      }
    }
    // a zero action would score `base`; the fitted policy is far better than that
    assert.ok(err / base < 0.05, `\${err / base} >= 0.05`);
    assert.ok(snap!.imitationLoss < 0.02, `\${snap!.imitationLoss} >= 0.02`);
    await net.close();
    await trainer.close();
  });

  it('maps tanh output onto the action bounds (zero weights give the middle of the range)', async () => {
    const arch = { inputDim: 2, actionDim: 2, hiddenSizes: [4] };
    const snap: PolicySnapshot = {
      version: 1,
      round: 0,
      architecture: arch,
      inputMean: new Float32Array(2),
      inputStd: Float32Array.of(1, 1),
      actionLow: Float32Array.of(-1, 0),
      actionHigh: Float32Array.of(3, 10),
      weights: initPolicyWeights(arch, 1).map((w) => new Float32Array(w.length)),
      imitationLoss: 0,
      labelled: 0,
    };
    const net = await OnnxPolicyNet.create(snap);
    const out = new Float32Array(2);
    await net.act(Float32Array.of(5, -5), out);
    assert.deepEqual(Array.from(out), [1, 5]);
    const batch = new Float32Array(6);
    await net.actBatch(new Float32Array(6), 3, batch);
    assert.deepEqual(Array.from(batch), [1, 5, 1, 5, 1, 5]);
    await net.close();
  });

  it('refuses a snapshot with a NaN weight or a wrong shape, naming it', async () => {
    const arch = { inputDim: 2, actionDim: 1, hiddenSizes: [4] };
    const good: PolicySnapshot = {
      version: 3,
      round: 1,
      architecture: arch,
      inputMean: new Float32Array(2),
      inputStd: Float32Array.of(1, 1),
      actionLow: Float32Array.of(-1),
      actionHigh: Float32Array.of(1),
      weights: initPolicyWeights(arch, 1),
      imitationLoss: 0,
      labelled: 0,
    };
    const nan = good.weights.map((w) => w.slice());
    nan[0]![3] = Number.NaN;
    const err1 = await OnnxPolicyNet.create({ ...good, weights: nan }).catch((e: unknown) => e);
    assert.ok(isStriderError(err1, 'NON_FINITE'));
    assert.match((err1 as Error).message, /w0\[3\]/);
    const err2 = await OnnxPolicyNet.create({ ...good, weights: good.weights.slice(1) }).catch(
      (e: unknown) => e,
    );
    assert.ok(isStriderError(err2, 'MODEL_SHAPE_MISMATCH'));
  });
});
