import * as assert from 'node:assert/strict';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { Rng } from '../../../../src/util/rng.js';

/**
 * Labels like a sampling planner's: a smooth part of the state (0.8 s0) plus noise that the
 * second state value happens to correlate with in this small sample, and the command's vx
 * passed through. A fit on exact inputs picks up the spurious slope on s1; a fit with input
 * noise keeps its answer flatter in the state and leaves the command's exact.
 */
async function fit(inputNoise: number): Promise<OnnxPolicyNet> {
  const t = new PolicyTrainer({
    stateDim: 2,
    commandDim: 3,
    actionLow: Float32Array.of(-2),
    actionHigh: Float32Array.of(2),
    hiddenSizes: [64, 64],
    fit: { learningRate: 3e-3, epochs: 150, batchSize: 32, seed: 4, inputNoise },
    maxLabels: 200,
  });
  const rng = new Rng(11);
  for (let i = 0; i < 120; i++) {
    const s = Float32Array.of(2 * rng.next() - 1, 2 * rng.next() - 1);
    const vx = 2 * rng.next() - 1;
    const label = 0.8 * s[0]! + vx + 0.6 * rng.normal();
    t.add(s, Float32Array.of(label), 'expert', { command: [vx, 0, 0] });
  }
  const snap = (await t.train(1))!;
  await t.close();
  return OnnxPolicyNet.create(snap);
}

/** Mean |da/ds| over a grid of states (central differences), and the slope in the command's vx. */
function slopes(net: OnnxPolicyNet): { state: number; command: number } {
  const out = new Float32Array(1);
  const at = (s0: number, s1: number, vx: number): number => {
    net.actNow(Float32Array.of(s0, s1, vx, 0, 0), out);
    return out[0]!;
  };
  const h = 0.05;
  let state = 0;
  let command = 0;
  let n = 0;
  for (let s0 = -0.8; s0 <= 0.8; s0 += 0.4) {
    for (let s1 = -0.8; s1 <= 0.8; s1 += 0.4) {
      state += Math.abs(at(s0 + h, s1, 0) - at(s0 - h, s1, 0)) / (2 * h);
      state += Math.abs(at(s0, s1 + h, 0) - at(s0, s1 - h, 0)) / (2 * h);
      command += (at(s0, s1, 0.5) - at(s0, s1, -0.5)) / 1;
      n++;
    }
  }
  return { state: state / (2 * n), command: command / n };
}

describe('policy.input_noise: noise on the state inputs of the fit', () => {
  it('flattens the fitted answer in the state (a smaller mean slope) and leaves the command input exact', async () => {
    const exact = await fit(0);
    const noisy = await fit(1);
    const a = slopes(exact);
    const b = slopes(noisy);
    await exact.close();
    await noisy.close();
    // the exact fit follows the label noise (steep, jagged); the noisy one stays near 0.8 / 2
    assert.ok(b.state < 0.75 * a.state, `state slope: noisy ${b.state}, exact ${a.state}`);
    // the command enters without noise: its slope stays near the labels' 1 in both
    assert.ok(Math.abs(b.command - 1) < 0.3, `command slope with noise: ${b.command}`);
    assert.ok(Math.abs(a.command - 1) < 0.3, `command slope without: ${a.command}`);
  });
});
