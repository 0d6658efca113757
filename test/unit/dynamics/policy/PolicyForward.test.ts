import * as assert from 'node:assert/strict';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyForward } from '../../../../src/dynamics/policy/PolicyForward.js';
import {
  initPolicyWeights,
  makePolicyArchitecture,
  type PolicySnapshot,
} from '../../../../src/dynamics/policy/PolicyNetwork.js';
import { Rng } from '../../../../src/util/rng.js';

/** A 2 x 64 policy with non-trivial normalisers, biases and bounds (S 18 + command 3, A 6). */
function snapshot(): PolicySnapshot {
  const arch = makePolicyArchitecture({
    inputDim: 21,
    commandDim: 3,
    actionDim: 6,
    hiddenSizes: [64, 64],
  });
  const rng = new Rng(11);
  const weights = initPolicyWeights(arch, 5);
  for (const w of weights) for (let i = 0; i < w.length; i++) w[i]! += 0.1 * rng.normal();
  return {
    version: 1,
    round: 1,
    architecture: arch,
    inputMean: Float32Array.from({ length: 21 }, () => rng.normal()),
    inputStd: Float32Array.from({ length: 21 }, () => 0.5 + rng.next()),
    actionLow: Float32Array.of(-1, -2, 0, -0.5, -3, 1),
    actionHigh: Float32Array.of(1, 2, 1, 0.5, 0, 4),
    weights,
    imitationLoss: 0.1,
    labelled: 100,
  };
}

describe('distilled policy: the plain-JS forward pass against ONNX Runtime', () => {
  it('gives the same actions as the ONNX graph to 1e-5 (act and actBatch)', async () => {
    const snap = snapshot();
    const js = new PolicyForward(snap);
    const controlPath = await OnnxPolicyNet.create(snap);
    const reference = await OnnxPolicyNet.create(snap, { act: 'onnx', maxBatch: 64 });
    const rng = new Rng(2);
    const B = 64;
    const inputs = new Float32Array(B * 21);
    for (let i = 0; i < inputs.length; i++) inputs[i] = 2 * rng.normal();
    const batch = new Float32Array(B * 6);
    await reference.actBatch(inputs, B, batch);
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(6);
    let worst = 0;
    for (let r = 0; r < B; r++) {
      const x = inputs.subarray(r * 21, r * 21 + 21);
      js.act(x, a);
      await reference.act(x, b);
      await controlPath.act(x, c);
      for (let j = 0; j < 6; j++) {
        worst = Math.max(worst, Math.abs(a[j]! - b[j]!), Math.abs(a[j]! - batch[r * 6 + j]!));
        assert.equal(c[j], a[j], 'OnnxPolicyNet.act is the JS pass by default');
      }
    }
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // and the comparison can fail: another policy differs by far more
    const other = new PolicyForward({ ...snap, weights: initPolicyWeights(snap.architecture, 9) });
    other.act(inputs.subarray(0, 21), a);
    await reference.act(inputs.subarray(0, 21), b);
    assert.ok(Math.max(...a.map((v, j) => Math.abs(v - b[j]!))) > 1e-3);
    await controlPath.close();
    await reference.close();
  });

  it('acts synchronously on the JS path (actNow), and leaves the ONNX path to act()', async () => {
    const snap = snapshot();
    const controlPath = await OnnxPolicyNet.create(snap);
    const reference = await OnnxPolicyNet.create(snap, { act: 'onnx' });
    const x = Float32Array.from({ length: 21 }, (_, i) => Math.sin(i));
    const now = new Float32Array(6);
    const awaited = new Float32Array(6);
    assert.equal(controlPath.actNow(x, now), true);
    await controlPath.act(x, awaited);
    assert.deepEqual(now, awaited);
    assert.ok(now.some((v) => v !== 0));
    const untouched = new Float32Array(6).fill(7);
    assert.equal(reference.actNow(x, untouched), false);
    assert.deepEqual(untouched, new Float32Array(6).fill(7));
    await controlPath.close();
    assert.throws(() => controlPath.actNow(x, now), /after close/);
    await reference.close();
  });
});
