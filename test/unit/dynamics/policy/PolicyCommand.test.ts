import * as assert from 'node:assert/strict';
import { DaggerPolicy, type ExpertPolicy } from '../../../../src/control/DaggerPolicy.js';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyGate } from '../../../../src/learning/PolicyGate.js';
import { InProcessPolicySource } from '../../../../src/learning/PolicySource.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { splitManifestPayload } from '../../../../src/transport/binary.js';
import { encodePolicyArtifact } from '../../../../src/transport/PolicyArtifactCodec.js';
import { Rng } from '../../../../src/util/rng.js';

/** The expert follows the command: a = (vx - 0.2 s0, yaw_rate), inside the bounds [-1, 1]. */
function expertAction(s: Float32Array, vx: number, yaw: number): Float32Array {
  return Float32Array.of(vx - 0.2 * s[0]!, yaw);
}

function trainer(commandDim: number): PolicyTrainer {
  return new PolicyTrainer({
    stateDim: 2,
    commandDim,
    actionLow: Float32Array.of(-1, -1),
    actionHigh: Float32Array.of(1, 1),
    hiddenSizes: [16, 16],
    fit: { learningRate: 5e-3, epochs: 40, batchSize: 32, seed: 2 },
    maxLabels: 1000,
  });
}

/** Labelled transitions under changing commands, through the in-process source. */
function feed(
  source: InProcessPolicySource,
  command: { linearX: number; linearY: number; angularZ: number },
): void {
  const rng = new Rng(4);
  for (let i = 0; i < 600; i++) {
    command.linearX = 0.8 * (2 * rng.next() - 1);
    command.angularZ = 0.5 * (2 * rng.next() - 1);
    const state = Float32Array.of(2 * rng.next() - 1, 2 * rng.next() - 1);
    const expert = expertAction(state, command.linearX, command.angularZ);
    source.observe({
      state,
      action: expert,
      nextState: state,
      source: 'mpc',
      expertAction: expert,
    });
  }
}

describe('distilled policy with the task command as input', () => {
  it('the trainer takes the command with each transition; the policy acts on it; the manifest records the layout', async () => {
    const command = { linearX: 0, linearY: 0, angularZ: 0 };
    const t = trainer(3);
    const source = new InProcessPolicySource(t, command);
    feed(source, command);
    const payload = await source.next(1);
    assert.ok(payload !== null);
    const parts = splitManifestPayload(payload, 'policy');
    assert.ok(parts.ok);
    const manifest = JSON.parse(parts.value.manifestJson) as {
      architecture: { input_dim: number; input_layout: unknown };
    };
    assert.equal(manifest.architecture.input_dim, 5);
    assert.deepEqual(manifest.architecture.input_layout, {
      state_dim: 2,
      command: ['vx', 'vy', 'yaw_rate'],
    });

    const gate = new PolicyGate({
      stateDim: 2,
      commandDim: 3,
      actionDim: 2,
      margin: 0.1,
      capacity: 8,
    });
    const d = await gate.consider(payload);
    assert.ok(d.accepted, d.accepted ? '' : d.reason);
    const net = d.policy;
    assert.equal(net.inputDim, 5);
    const fast = new Float32Array(2);
    const slow = new Float32Array(2);
    await net.act(Float32Array.of(0.1, 0, 0.6, 0, 0.3), fast);
    await net.act(Float32Array.of(0.1, 0, -0.6, 0, -0.3), slow);
    // the expert's answers: (0.58, 0.3) and (-0.62, -0.3)
    assert.ok(
      Math.abs(fast[0]! - 0.58) < 0.15 && Math.abs(fast[1]! - 0.3) < 0.15,
      String(Array.from(fast)),
    );
    assert.ok(
      Math.abs(slow[0]! - -0.62) < 0.15 && Math.abs(slow[1]! + 0.3) < 0.15,
      String(Array.from(slow)),
    );

    // the controller feeds the live command after the state
    const expert: ExpertPolicy = {
      source: 'mpc',
      lastPlanStatus: 'planned',
      act: (_s, _d, out) => void out.fill(0),
    };
    const live = { linearX: 0.6, linearY: 0, angularZ: 0.3 };
    const dagger = new DaggerPolicy({
      expert,
      mode: 'policy',
      actionDim: 2,
      gateDistance: 0,
      command: live,
    });
    dagger.setLearner(net);
    const out = new Float32Array(2);
    await dagger.act(Float32Array.of(0.1, 0), 1e9, out);
    assert.deepEqual(Array.from(out), Array.from(fast));
    live.linearX = -0.6;
    live.angularZ = -0.3;
    await dagger.act(Float32Array.of(0.1, 0), 1e9, out);
    assert.deepEqual(Array.from(out), Array.from(slow));
    await net.close();
    await t.close();
  });

  it('rejects a policy whose command input the task cannot feed (shape check), and a controller without the command never runs it', async () => {
    const t = trainer(3);
    t.add(Float32Array.of(0, 0), Float32Array.of(0, 0), 'expert', { command: [0.5, 0, 0] });
    t.add(Float32Array.of(1, 0), Float32Array.of(0.5, 0), 'expert', { command: [0.5, 0, 0] });
    const snap = (await t.train(1))!;
    await t.close();
    const noCommand = new PolicyGate({ stateDim: 2, actionDim: 2, margin: 0.1, capacity: 4 });
    const d = await noCommand.consider(encodePolicyArtifact(snap));
    if (d.accepted) assert.fail('a command policy was accepted on a task without a command');
    assert.equal(d.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(d.reason, /3-value command, this task has 0/);

    const net = await OnnxPolicyNet.create(snap);
    const expert: ExpertPolicy = {
      source: 'mpc',
      lastPlanStatus: 'planned',
      act: (_s, _d, out) => void out.fill(0.25),
    };
    const dagger = new DaggerPolicy({ expert, mode: 'policy', actionDim: 2, gateDistance: 0 });
    dagger.setLearner(net);
    const out = new Float32Array(2);
    await dagger.act(Float32Array.of(0.1, 0), 1e9, out);
    assert.deepEqual(Array.from(out), [0.25, 0.25], 'the expert acts');
    assert.equal(dagger.stats.learnerFaults, 1);
    await net.close();
  });
});
