import * as assert from 'node:assert/strict';
import { loadConfig } from '../../../../src/config/loadConfig.js';
import { DaggerPolicy, type LearnedPolicy } from '../../../../src/control/DaggerPolicy.js';
import { PolicyGate } from '../../../../src/learning/PolicyGate.js';
import { InProcessPolicySource } from '../../../../src/learning/PolicySource.js';
import { PolicySeeds, type SeedPolicy } from '../../../../src/planning/PolicySeeds.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { encodeManifestPayload, splitManifestPayload } from '../../../../src/transport/binary.js';
import {
  decodePolicyArtifact,
  encodePolicyArtifact,
} from '../../../../src/transport/PolicyArtifactCodec.js';
import type { TransitionBatch } from '../../../../src/transport/types.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { Rng } from '../../../../src/util/rng.js';
import { LinearStepper } from '../../planning/fixtures.js';

/** An expert with memory: a = 0.7 a_prev + 0.3 s (per dimension; S = A = 2). */
function expertAction(s: Float32Array, prev: Float32Array): Float32Array {
  return Float32Array.of(0.7 * prev[0]! + 0.3 * s[0]!, 0.7 * prev[1]! + 0.3 * s[1]!);
}

function trainer(previousAction: boolean, stateDim = 2): PolicyTrainer {
  return new PolicyTrainer({
    stateDim,
    previousAction,
    actionLow: Float32Array.of(-1, -1),
    actionHigh: Float32Array.of(1, 1),
    hiddenSizes: [16, 16],
    fit: { learningRate: 5e-3, epochs: 40, batchSize: 32, seed: 2 },
    maxLabels: 1000,
  });
}

/** A fitted previous-action policy's payload (600 transitions through the in-process source). */
async function fittedPayload(): Promise<Uint8Array> {
  const t = trainer(true);
  const source = new InProcessPolicySource(t);
  const rng = new Rng(4);
  for (let i = 0; i < 600; i++) {
    const state = Float32Array.of(2 * rng.next() - 1, 2 * rng.next() - 1);
    const previousAction = Float32Array.of(2 * rng.next() - 1, 2 * rng.next() - 1);
    const expert = expertAction(state, previousAction);
    source.observe({
      state,
      action: expert,
      nextState: state,
      source: 'mpc',
      expertAction: expert,
      previousAction,
    });
  }
  // a transition without its previous action gives no label
  const before = t.size;
  source.observe({
    state: Float32Array.of(0, 0),
    action: Float32Array.of(0, 0),
    nextState: Float32Array.of(0, 0),
    source: 'mpc',
    expertAction: Float32Array.of(0, 0),
  });
  assert.equal(t.size, before);
  const payload = await source.next(1);
  await t.close();
  assert.ok(payload !== null);
  return payload;
}

/** The part of a policy manifest the malformed-layout cases edit. */
interface LayoutManifest {
  architecture: { input_layout: { state_dim: number; previous_action?: number } };
}

/** A payload whose manifest JSON is changed by `edit` (weights and checksum kept). */
function withManifest(payload: Uint8Array, edit: (m: LayoutManifest) => void): Uint8Array {
  const parts = splitManifestPayload(payload, 'policy');
  assert.ok(parts.ok);
  const manifest = JSON.parse(parts.value.manifestJson) as LayoutManifest;
  edit(manifest);
  return encodeManifestPayload('policy', JSON.stringify(manifest), parts.value.weights);
}

/** Labelled batch rows (S 2, A 2): action of row i = first + i on both dimensions. */
function batch(episode: number, firstSeq: number, count: number, runId = 3): TransitionBatch {
  const actions = Float32Array.from({ length: 2 * count }, (_, k) => firstSeq + (k >> 1));
  return {
    robotId: 'r',
    runId,
    episode,
    firstSeq,
    count,
    stateDim: 2,
    actionDim: 2,
    source: 'mixed',
    states: new Float32Array(2 * count).fill(0.5),
    actions,
    expertActions: new Float32Array(2 * count).fill(0.25),
    nextStates: new Float32Array(2 * count),
    rewards: new Float32Array(count),
    dones: new Uint8Array(count),
  };
}

describe('the policy with the previous action as input (policy.previous_action)', () => {
  it('learns an expert with memory from the executed previous action of each transition; the manifest records the layout', async () => {
    const payload = await fittedPayload();
    const parts = splitManifestPayload(payload, 'policy');
    assert.ok(parts.ok);
    const manifest = JSON.parse(parts.value.manifestJson) as {
      architecture: { input_dim: number; input_layout: unknown };
    };
    assert.equal(manifest.architecture.input_dim, 4);
    assert.deepEqual(manifest.architecture.input_layout, {
      state_dim: 2,
      previous_action: 2,
      command: [],
    });
    const gate = new PolicyGate({
      stateDim: 2,
      actionDim: 2,
      previousAction: true,
      margin: 0.1,
      capacity: 8,
    });
    const d = await gate.consider(payload);
    assert.ok(d.accepted, d.accepted ? '' : d.reason);
    const net = d.policy;
    assert.equal(net.previousActionDim, 2);
    const state = Float32Array.of(0.2, -0.1);
    for (const prev of [Float32Array.of(0.8, -0.8), Float32Array.of(-0.8, 0.8)]) {
      const out = new Float32Array(2);
      await net.act(Float32Array.of(...state, ...prev), out);
      const want = expertAction(state, prev);
      for (let j = 0; j < 2; j++) {
        assert.ok(
          Math.abs(out[j]! - want[j]!) < 0.15,
          `${Array.from(out).join(', ')} vs ${Array.from(want).join(', ')}`,
        );
      }
    }
    await net.close();
  });

  it('the controller feeds the learner the action it sent the tick before (whoever acted), zeros after a reset', async () => {
    const inputs: number[][] = [];
    const learner: LearnedPolicy = {
      version: 1,
      actionDim: 2,
      inputDim: 4,
      previousActionDim: 2,
      act(input, out) {
        inputs.push(Array.from(input));
        out[0] = input[0]! + 1;
        out[1] = -1;
        return Promise.resolve();
      },
    };
    let k = 0;
    const dagger = new DaggerPolicy({
      expert: {
        source: 'mpc',
        lastPlanStatus: 'planned',
        act: (_s, _d, out) => void out.fill(++k / 10),
      },
      mode: 'mixed',
      beta: 0.5,
      seed: 3,
      actionDim: 2,
      gateDistance: 0,
    });
    dagger.setLearner(learner);
    const sent: number[][] = [];
    const out = new Float32Array(2);
    for (let t = 0; t < 12; t++) {
      if (t === 6) dagger.reset();
      await dagger.act(Float32Array.of(t, 0), 1e9, out);
      sent.push(Array.from(out));
      assert.deepEqual(Array.from(dagger.previousAction), Array.from(out));
    }
    assert.ok(dagger.stats.learnerActed > 0 && dagger.stats.expertActed > 0, 'both acted');
    for (let t = 0; t < 12; t++) {
      const expected = t === 0 || t === 6 ? [0, 0] : sent[t - 1]!;
      assert.deepEqual(inputs[t]!.slice(0, 2), [t, 0]);
      assert.deepEqual(inputs[t]!.slice(2), expected, `tick ${t}`);
    }
  });

  it("the trainer process's labels: the row before's action, the last batch's across a boundary, zeros when an episode opens, no label after a gap", async () => {
    const t = trainer(true);
    assert.equal(t.addBatch(batch(0, 0, 3)), 3);
    assert.equal(t.addBatch(batch(0, 3, 2)), 2, 'continues the batch before');
    assert.equal(t.addBatch(batch(1, 5, 2)), 2, 'the next episode');
    assert.equal(t.addBatch(batch(1, 9, 2)), 1, 'seq 7 and 8 missing: the first row has no label');
    assert.equal(t.addBatch(batch(1, 11, 1, 4)), 1, 'another run opens an episode');
    const r = t.recent(t.size);
    const previous = Array.from({ length: r.count }, (_, i) => r.states[i * 4 + 2]!);
    assert.deepEqual(previous, [0, 0, 1, 2, 3, 0, 5, 9, 0]);
    assert.equal(t.policyVisited, 9);
    await t.close();
  });

  it('the gate rejects a policy whose previous-action input differs from the controller’s, and malformed layouts', async () => {
    const payload = await fittedPayload();
    const without = new PolicyGate({ stateDim: 2, actionDim: 2, margin: 0.1, capacity: 4 });
    const d = await without.consider(payload);
    if (d.accepted) assert.fail('a previous-action policy was accepted without previous_action');
    assert.equal(d.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(d.reason, /previous_action/);

    const plain = trainer(false);
    plain.add(Float32Array.of(0, 0), Float32Array.of(0, 0), 'expert');
    plain.add(Float32Array.of(1, 0), Float32Array.of(0.5, 0), 'expert');
    const snap = (await plain.train(1))!;
    await plain.close();
    const wants = new PolicyGate({
      stateDim: 2,
      actionDim: 2,
      previousAction: true,
      margin: 0.1,
      capacity: 4,
    });
    const e = await wants.consider(encodePolicyArtifact(snap));
    if (e.accepted) assert.fail('a state-only policy was accepted with previous_action');
    assert.equal(e.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(e.reason, /takes no previous action/);

    const bad: [string, (m: LayoutManifest) => void, RegExp][] = [
      ['negative', (m) => (m.architecture.input_layout.previous_action = -2), /previous_action/],
      [
        'not the action width',
        (m) => {
          m.architecture.input_layout.previous_action = 1;
          m.architecture.input_layout.state_dim = 3;
        },
        /previousActionDim must be 0 or the action's 2/,
      ],
      ['sum', (m) => (m.architecture.input_layout.state_dim = 3), /!= input_dim 4/],
    ];
    for (const [what, edit, reason] of bad) {
      const r = decodePolicyArtifact(withManifest(payload, edit));
      assert.ok(!r.ok, what);
      assert.equal(r.code, 'ARTIFACT_INVALID', what);
      assert.match(r.reason, reason, what);
    }
  });

  it('policy seeds start from the executed action, then roll on their own; none without it', async () => {
    // s' = s + 0.5 a; the policy answers prev - s
    const stepper = new LinearStepper({ stateDim: 2, actionDim: 2, ensembleSize: 1 });
    const seen: number[][] = [];
    const policy: SeedPolicy = {
      inputDim: 4,
      previousActionDim: 2,
      act(input, out) {
        seen.push(Array.from(input));
        out[0] = input[2]! - input[0]!;
        out[1] = input[3]! - input[1]!;
        return Promise.resolve();
      },
    };
    const slot: { policy: SeedPolicy | null; previousAction?: Float32Array | null } = { policy };
    const seeds = new PolicySeeds({ stepper, slot, horizon: 3 });
    const out = new Float32Array(3 * 2);
    assert.equal(await seeds.fill(Float32Array.of(1, 0), out, 1), 0, 'no executed action known');
    slot.previousAction = Float32Array.of(0.5, 0.25);
    assert.equal(await seeds.fill(Float32Array.of(1, 0), out, 1), 1);
    // a0 = (0.5 - 1, 0.25 - 0) = (-0.5, 0.25); s1 = (0.75, 0.125); a1 = a0 - s1 = (-1.25, 0.125)
    assert.deepEqual(seen[0], [1, 0, 0.5, 0.25]);
    assert.deepEqual(seen[1], [0.75, 0.125, -0.5, 0.25]);
    assert.deepEqual(Array.from(out.subarray(0, 4)), [-0.5, 0.25, -1.25, 0.125]);
  });

  it('the config and the trainer refuse previous_action with a return term, naming the key', () => {
    assert.throws(
      () =>
        loadConfig('config/planar_runner.yaml', {
          overrides: [
            'control.policy=dagger',
            'trainer.mode=in_process',
            'policy.return_weight=1',
            'policy.previous_action=true',
          ],
        }),
      (e: unknown) =>
        isStriderError(e) &&
        /policy\.previous_action/.test(e.message) &&
        /set policy\.previous_action: false/.test(e.message),
    );
    assert.throws(
      () =>
        new PolicyTrainer({
          stateDim: 2,
          previousAction: true,
          actionLow: Float32Array.of(-1),
          actionHigh: Float32Array.of(1),
          hiddenSizes: [4],
          fit: { learningRate: 1e-3, epochs: 1, batchSize: 2, seed: 1 },
          maxLabels: 4,
          returnTerm: {
            weight: 1,
            horizon: 2,
            steps: 1,
            starts: 1,
            model: () => null,
            reward: {} as never,
          },
        }),
      (e: unknown) =>
        isStriderError(e) && e.code === 'CONFIG_INVALID' && /previous_action/.test(e.message),
    );
  });
});
