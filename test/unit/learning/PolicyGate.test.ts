import assert from 'node:assert/strict';
import {
  initPolicyWeights,
  type PolicySnapshot,
} from '../../../src/dynamics/policy/PolicyNetwork.js';
import { PolicyGate } from '../../../src/learning/PolicyGate.js';
import {
  decodePolicyArtifact,
  encodePolicyArtifact,
} from '../../../src/transport/PolicyArtifactCodec.js';

const arch = { inputDim: 3, actionDim: 2, hiddenSizes: [8, 8] };

/** A policy whose output layer bias puts its action at `bias` (tanh units) whatever the state. */
function snapshot(version: number, bias: number): PolicySnapshot {
  const weights = initPolicyWeights(arch, version).map((w) => w.fill(0));
  weights[weights.length - 1]!.fill(bias);
  return {
    version,
    round: version - 1,
    architecture: arch,
    inputMean: new Float32Array(3),
    inputStd: Float32Array.of(1, 1, 1),
    actionLow: Float32Array.of(-1, -1),
    actionHigh: Float32Array.of(1, 1),
    weights,
    imitationLoss: 0.1,
    labelled: 10,
  };
}

function gateWithLabels(): PolicyGate {
  const gate = new PolicyGate({ stateDim: 3, actionDim: 2, margin: 0.1, capacity: 16 });
  for (let i = 0; i < 8; i++) gate.observe(Float32Array.of(i, -i, 0), Float32Array.of(0.5, 0.5));
  return gate;
}

describe('learning/PolicyGate and the policy artifact codec', () => {
  it('round-trips a snapshot through the payload', () => {
    const snap = snapshot(3, 0.25);
    const r = decodePolicyArtifact(encodePolicyArtifact(snap));
    assert.ok(r.ok);
    assert.equal(r.value.version, 3);
    assert.equal(r.value.round, 2);
    assert.deepEqual(r.value.architecture, arch);
    assert.deepEqual(Array.from(r.value.weights.at(-1)!), [0.25, 0.25]);
  });

  it('rejects a NaN, wrong-shape, truncated or wrong-checksum payload with its reason; the serving policy stays', async () => {
    const gate = gateWithLabels();
    const first = await gate.consider(encodePolicyArtifact(snapshot(1, 0.5)));
    assert.ok(first.accepted);
    const serving = gate.serving;

    const nan = snapshot(2, 0.5);
    (nan.weights[0] as Float32Array)[1] = Number.NaN;
    const wideArch = { ...arch, inputDim: 4 };
    const wrongShape: PolicySnapshot = {
      ...snapshot(2, 0.5),
      architecture: wideArch,
      inputMean: new Float32Array(4),
      inputStd: Float32Array.of(1, 1, 1, 1),
      weights: initPolicyWeights(wideArch, 1),
    };
    const good = encodePolicyArtifact(snapshot(2, 0.5));
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0xff;
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['NaN weight', encodePolicyArtifact(nan), 'NON_FINITE', /w0\[1\] is not finite/],
      [
        'wrong shape',
        encodePolicyArtifact(wrongShape),
        'MODEL_SHAPE_MISMATCH',
        /4 inputs x 2 actions, this robot has 3 x 2/,
      ],
      ['truncated', good.subarray(0, good.length - 10), 'ARTIFACT_INVALID', /truncated/],
      ['wrong checksum', flipped, 'ARTIFACT_CHECKSUM', /sha256/],
    ];
    for (const [what, payload, code, reason] of cases) {
      const d = await gate.consider(payload);
      assert.ok(!d.accepted, what);
      assert.equal(d.code, code, what);
      assert.match(d.reason, reason, what);
      assert.equal(gate.serving, serving, `${what}: the serving policy stays`);
    }
  });

  it('rejects a candidate whose imitation error on recent labelled states exceeds the serving one by more than the margin', async () => {
    const gate = gateWithLabels();
    // labels are 0.5; the serving policy answers tanh(0.55) = 0.50, close
    assert.ok((await gate.consider(encodePolicyArtifact(snapshot(1, 0.55)))).accepted);
    const worse = await gate.consider(encodePolicyArtifact(snapshot(2, -0.5)));
    assert.ok(!worse.accepted);
    assert.equal(worse.code, 'imitation_worse');
    assert.equal(gate.serving?.version, 1);
    const better = await gate.consider(encodePolicyArtifact(snapshot(3, Math.atanh(0.5))));
    assert.ok(better.accepted);
    assert.ok(better.imitationError < 1e-6);
    assert.equal(gate.serving.version, 3); // a policy served since v1, so the type is non-null here
  });

  it('rejects a state-only policy when the task has a command (it would ignore the target)', async () => {
    const gate = new PolicyGate({
      stateDim: 3,
      commandDim: 3,
      actionDim: 2,
      margin: 0.1,
      capacity: 16,
    });
    for (let i = 0; i < 8; i++) {
      gate.observe(Float32Array.of(i, -i, 0), Float32Array.of(0.5, 0.5), [0.5, 0, 0.25]);
    }
    const d = await gate.consider(encodePolicyArtifact(snapshot(1, 0.5)));
    if (d.accepted) assert.fail('a state-only policy was accepted on a task with a command');
    assert.equal(d.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(
      d.reason,
      /^input_layout: the policy takes the state only, this task has a 3-value command \(vx, vy, yaw_rate\)/,
    );
    assert.equal(gate.serving, null);
  });
});
