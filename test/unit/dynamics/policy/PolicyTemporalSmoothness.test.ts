import * as assert from 'node:assert/strict';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { Rng } from '../../../../src/util/rng.js';
import { linearEpisode, S } from '../../trainer/transitionFixtures.js';

/** A trajectory whose s1 flips sign every tick (a chattering joint), s0 slow: T x 2. */
function trajectory(T: number): Float32Array[] {
  const rng = new Rng(5);
  return Array.from({ length: T + 1 }, (_, t) =>
    Float32Array.of(0.9 * Math.sin(0.05 * t), 0.5 * (t % 2 === 0 ? 1 : -1) + 0.05 * rng.normal()),
  );
}

/** label = 0.5 s0 + 0.6 s1: the expert follows the chattering input. */
const label = (s: Float32Array): Float32Array => Float32Array.of(0.5 * s[0]! + 0.6 * s[1]!);

async function fit(temporalSmoothness: number, withNext = true): Promise<OnnxPolicyNet> {
  const t = new PolicyTrainer({
    stateDim: 2,
    actionLow: Float32Array.of(-2),
    actionHigh: Float32Array.of(2),
    hiddenSizes: [32, 32],
    fit: { learningRate: 3e-3, epochs: 100, batchSize: 32, seed: 4, temporalSmoothness },
    maxLabels: 400,
  });
  const s = trajectory(200);
  for (let i = 0; i < 200; i++) {
    t.add(s[i]!, label(s[i]!), 'expert', withNext ? { nextState: s[i + 1]! } : {});
  }
  const snap = (await t.train(1))!;
  await t.close();
  return OnnxPolicyNet.create(snap);
}

/** Mean |pi(s_t) - pi(s_t+1)| along the trajectory, and pi's rise over s0 from -0.8 to 0.8. */
function measure(net: OnnxPolicyNet): { step: number; trend: number } {
  const out = new Float32Array(1);
  const at = (s: Float32Array): number => {
    net.actNow(s, out);
    return out[0]!;
  };
  const s = trajectory(200);
  let step = 0;
  for (let i = 0; i < 200; i++) step += Math.abs(at(s[i + 1]!) - at(s[i]!));
  let trend = 0;
  for (const s1 of [-0.5, 0.5])
    trend += (at(Float32Array.of(0.8, s1)) - at(Float32Array.of(-0.8, s1))) / 2;
  return { step: step / 200, trend };
}

describe('policy.temporal_smoothness: CAPS temporal term in the fit', () => {
  it("pulls the policy's answers on consecutive states together and keeps the slow trend", async () => {
    const plain = await fit(0);
    const smooth = await fit(10);
    const a = measure(plain);
    const b = measure(smooth);
    await plain.close();
    await smooth.close();
    // the plain fit follows the labels' tick-to-tick swing of 0.6 (2 x 0.5 x 0.6)
    assert.ok(a.step > 0.4, `plain step ${a.step}`);
    assert.ok(b.step < 0.5 * a.step, `smooth step ${b.step}, plain ${a.step}`);
    // the slow part (0.5 s0 over 1.6) stays: within a third of the labels' 0.8
    assert.ok(Math.abs(b.trend - 0.8) < 0.27, `smooth trend ${b.trend}`);
  });

  it('a row without its next state pairs with itself: no pull', async () => {
    const plain = await fit(0);
    const unpaired = await fit(10, false);
    const a = measure(plain);
    const b = measure(unpaired);
    await plain.close();
    await unpaired.close();
    assert.ok(Math.abs(a.step - b.step) < 0.1 * a.step, `unpaired ${b.step}, plain ${a.step}`);
  });

  it("the trainer process's batches pair each labelled state with the state it led to", async () => {
    const b = linearEpisode({ episode: 0, firstSeq: 0, steps: 6 });
    b.expertActions.fill(0.1);
    b.expertActions.fill(Number.NaN, 2 * 2, 3 * 2); // row 2 has no label
    const t = new PolicyTrainer({
      stateDim: S,
      actionLow: Float32Array.of(-1, -1),
      actionHigh: Float32Array.of(1, 1),
      hiddenSizes: [4],
      fit: { learningRate: 1e-3, epochs: 1, batchSize: 2, seed: 1, temporalSmoothness: 1 },
      maxLabels: 10,
    });
    assert.equal(t.addBatch(b), 5);
    const r = t.recent(10);
    const rows = (a: Float32Array, idx: number[]): number[][] =>
      idx.map((i) => Array.from(a.subarray(i * S, i * S + S)));
    assert.deepEqual(rows(r.states, [0, 1, 2, 3, 4]), rows(b.states, [0, 1, 3, 4, 5]));
    assert.ok(r.next !== null);
    assert.deepEqual(rows(r.next, [0, 1, 2, 3, 4]), rows(b.nextStates, [0, 1, 3, 4, 5]));
    await t.close();
  });
});
