import * as assert from 'node:assert/strict';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { Rng } from '../../../../src/util/rng.js';

const D = 2;
/** Random states the served policy is scored at. */
const PROBES = 500;

/** The smooth part of the labels: what a fit on the noisy labels should recover. */
const truth = (s0: number, s1: number): number => 0.8 * Math.sin(2 * s0) + 0.4 * s1;

/**
 * Labels like a sampling planner's: the smooth truth plus noise of twice its spread. Fitted with
 * a large step size and small batches, one fit ends wherever its seed's steps left it on that
 * noise; K members' mean answer averages that part away. Returns the served policy's mean
 * squared error against the truth at PROBES random states after each of two refits (the second
 * warm-starts from the first).
 */
async function errors(members: number, seed: number): Promise<number[]> {
  const t = new PolicyTrainer({
    stateDim: D,
    commandDim: 0,
    actionLow: Float32Array.of(-2),
    actionHigh: Float32Array.of(2),
    hiddenSizes: [64, 64],
    fit: { learningRate: 3e-2, epochs: 40, batchSize: 32, seed },
    maxLabels: 1000,
    members,
  });
  const rng = new Rng(7); // the same labels whatever the seed
  const out: number[] = [];
  try {
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 300; i++) {
        const s = Float32Array.from({ length: D }, () => 2 * rng.next() - 1);
        t.add(s, Float32Array.of(truth(s[0]!, s[1]!) + 0.8 * rng.normal()), 'expert');
      }
      const snap = (await t.train(round))!;
      assert.equal(snap.labelled, 300 * round);
      const net = await OnnxPolicyNet.create(snap);
      const a = new Float32Array(1);
      const probe = new Rng(99);
      let se = 0;
      for (let n = 0; n < PROBES; n++) {
        const s = Float32Array.from({ length: D }, () => 1.8 * probe.next() - 0.9);
        net.actNow(s, a);
        se += (a[0]! - truth(s[0]!, s[1]!)) ** 2;
      }
      out.push(se / PROBES);
      await net.close();
    }
  } finally {
    await t.close();
  }
  return out;
}

describe('policy.ensemble: the served policy fits the mean answer of K fits', () => {
  it('lands nearer the labels’ smooth part than one fit does, refit after refit (three seeds)', async () => {
    const one = [0, 0];
    const four = [0, 0];
    for (const seed of [1, 2, 3]) {
      const a = await errors(1, seed);
      const b = await errors(4, seed);
      for (let i = 0; i < 2; i++) {
        one[i]! += a[i]! / 3;
        four[i]! += b[i]! / 3;
      }
    }
    for (let i = 0; i < one.length; i++) {
      assert.ok(four[i]! < 0.6 * one[i]!, `refit ${i + 1}: ensemble ${four[i]}, one fit ${one[i]}`);
    }
  });
});
