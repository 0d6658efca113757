import * as assert from 'node:assert/strict';
import {
  JS_MAX_MULTIPLY_ADDS,
  OnnxPolicyNet,
  policyMultiplyAdds,
} from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyForward } from '../../../../src/dynamics/policy/PolicyForward.js';
import {
  initPolicyWeights,
  makePolicyArchitecture,
  type PolicySnapshot,
} from '../../../../src/dynamics/policy/PolicyNetwork.js';
import { Rng } from '../../../../src/util/rng.js';

/** A 2 x 64 policy with non-trivial normalisers, biases and bounds (S 18 + command 3, A 6). */
function snapshot(hiddenSizes: readonly number[] = [64, 64]): PolicySnapshot {
  const arch = makePolicyArchitecture({
    inputDim: 21,
    commandDim: 3,
    actionDim: 6,
    hiddenSizes,
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

  it('acts through the synchronous native session for a large policy, equal to the ONNX run', async () => {
    const snap = snapshot([256, 256]);
    // 21 x 256 + 256 x 256 + 256 x 6
    assert.equal(policyMultiplyAdds(snap.architecture), 21 * 256 + 256 * 256 + 256 * 6);
    assert.ok(policyMultiplyAdds(snapshot().architecture) <= JS_MAX_MULTIPLY_ADDS);
    assert.ok(policyMultiplyAdds(snap.architecture) > JS_MAX_MULTIPLY_ADDS);
    const large = await OnnxPolicyNet.create(snap, { maxBatch: 8 });
    const small = await OnnxPolicyNet.create(snapshot());
    assert.equal(large.actPath, 'native', 'auto: native above the multiply-add threshold');
    assert.equal(small.actPath, 'js', 'auto: plain JS below it');
    const reference = await OnnxPolicyNet.create(snap, { act: 'onnx' });
    const js = new PolicyForward(snap);
    const rng = new Rng(4);
    const x = new Float32Array(21);
    const now = new Float32Array(6);
    const ref = new Float32Array(6);
    const plain = new Float32Array(6);
    for (let r = 0; r < 16; r++) {
      for (let k = 0; k < 21; k++) x[k] = 2 * rng.normal();
      assert.equal(large.actNow(x, now), true, 'answers synchronously');
      await reference.act(x, ref);
      js.act(x, plain);
      for (let j = 0; j < 6; j++) {
        assert.ok(Math.abs(now[j]! - ref[j]!) < 1e-5, `row ${r} action ${j}`);
        assert.ok(Math.abs(now[j]! - plain[j]!) < 1e-5, `row ${r} action ${j} against JS`);
      }
    }
    // a batch in flight on the asynchronous session does not disturb a native action between
    const B = 8;
    const inputs = Float32Array.from({ length: B * 21 }, () => rng.normal());
    const batch = new Float32Array(B * 6);
    const pending = large.actBatch(inputs, B, batch);
    assert.equal(large.actNow(x, now), true);
    await pending;
    const expected = new Float32Array(6);
    for (let r = 0; r < B; r++) {
      await reference.act(inputs.subarray(r * 21, r * 21 + 21), expected);
      for (let j = 0; j < 6; j++) assert.ok(Math.abs(batch[r * 6 + j]! - expected[j]!) < 1e-5);
    }
    await reference.act(x, expected);
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(now[j]! - expected[j]!) < 1e-5);
    await large.close();
    assert.throws(() => large.actNow(x, now), /after close/);
    await small.close();
    await reference.close();
  });
});
