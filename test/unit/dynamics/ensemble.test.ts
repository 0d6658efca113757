import * as assert from 'node:assert/strict';
import {
  EnsembleTrainer,
  baselineHStepError,
  hStepError,
  makeArchitecture,
  OnnxEnsemble,
  paramSpecs,
} from '../../../src/dynamics/index.js';
import { tf } from '../../../src/dynamics/tfjsRuntime.js';
import { linearSystemTrajectories } from './fixtures.js';

describe('dynamics/EnsembleTrainer', function () {
  this.timeout(40000);
  const data = linearSystemTrajectories({ count: 24, length: 50, seed: 7 });
  const arch = makeArchitecture({
    stateDim: 4,
    actionDim: 2,
    ensembleSize: 3,
    hiddenSizes: [64, 64],
  });

  it('fits a known linear system: H-step error well below zero-delta and constant-velocity baselines; warm start continues', async () => {
    const trainer = await EnsembleTrainer.create({
      architecture: arch,
      backend: 'onnx',
      batchSize: 64,
      seed: 1,
      hStepHorizon: 10,
    });
    try {
      const r1 = await trainer.train(data, { epochs: 40 });
      assert.equal(r1.backend, 'onnx');
      assert.ok(r1.holdoutTrajectories >= 1, 'hold-out is made of whole trajectories');
      assert.ok(r1.trainTransitions + r1.holdoutTransitions === 24 * 50);
      const last = r1.epochLosses.at(-1) ?? Number.NaN;
      assert.ok(last < r1.firstBatchLoss, `loss fell: ${r1.firstBatchLoss} -> ${last}`);
      assert.ok(Number.isFinite(r1.valLoss) && Number.isFinite(r1.valMse));

      const snap = trainer.snapshot();
      const scale = snap.normalisers.inputStd.slice(0, 4);
      const opts = { horizon: 10, stateScale: scale, maxStarts: 64, stateDim: 4, actionDim: 2 };
      const stepper = await OnnxEnsemble.create(snap, { maxBatchPerMember: 64 });
      const model = await hStepError(stepper, data.slice(0, 4), opts);
      await stepper.close();
      const zero = baselineHStepError(data.slice(0, 4), 'zero-delta', opts);
      const cv = baselineHStepError(data.slice(0, 4), 'constant-velocity', opts);
      assert.ok(model < 0.25 * zero, `model ${model} vs zero-delta ${zero}`);
      assert.ok(model < 0.25 * cv, `model ${model} vs constant-velocity ${cv}`);
      assert.ok(
        r1.hStepError < 0.25 * r1.hStepZeroDeltaBaseline,
        `report: ${r1.hStepError} vs ${r1.hStepZeroDeltaBaseline}`,
      );

      // Warm start: round 2 continues from round 1's weights.
      const fresh = await EnsembleTrainer.create({
        architecture: arch,
        backend: 'onnx',
        batchSize: 64,
        seed: 1,
      });
      const r0 = await fresh.train(data, { epochs: 1 });
      await fresh.dispose();
      const r2 = await trainer.train(data, { epochs: 1 });
      assert.ok(
        (r2.epochLosses[0] ?? Number.NaN) < r0.firstBatchLoss,
        `round-2 epoch loss ${r2.epochLosses[0]} < round-1 start ${r0.firstBatchLoss}`,
      );
      assert.ok(r2.firstBatchLoss < r1.firstBatchLoss - 0.5, 'round 2 starts where round 1 ended');
      // The same data again: the sticky split keeps the hold-out, so round 1's model and round 2's
      // are scored on the same starts; one more epoch changes little.
      assert.ok(Number.isNaN(r1.hStepErrorPrevious), 'no previous model in round 1');
      assert.equal(r2.holdoutTrajectories, r1.holdoutTrajectories);
      assert.equal(r2.holdoutTransitions, r1.holdoutTransitions);
      assert.ok(Number.isFinite(r2.hStepErrorPrevious));
      assert.ok(
        Math.abs(r2.hStepErrorPrevious - r1.hStepError) < 0.05 * r1.hStepError + 1e-6,
        `round 1's model scored again in round 2: ${r2.hStepErrorPrevious} vs ${r1.hStepError}`,
      );
    } finally {
      await trainer.dispose();
    }
  });

  it('keeps the bounded log-variance within the learned [minLogvar, maxLogvar]', async () => {
    const trainer = await EnsembleTrainer.create({
      architecture: arch,
      backend: 'onnx',
      batchSize: 64,
      seed: 2,
      hStepHorizon: 0,
    });
    try {
      await trainer.train(data, { epochs: 5 });
      const w = trainer.snapshot().weights;
      const specs = paramSpecs(arch);
      const maxLv = w[specs.findIndex((s) => s.name === 'maxLogvar')]!;
      const minLv = w[specs.findIndex((s) => s.name === 'minLogvar')]!;
      const B = 50;
      const x = new Float32Array(3 * B * 6).map((_, i) => 10 * Math.sin(i * 1.7)); // incl. far out-of-distribution inputs
      const mean = new Float32Array(3 * B * 4);
      const lv = new Float32Array(3 * B * 4);
      await trainer.backend.predict(x, B, mean, lv);
      for (let e = 0; e < 3; e++) {
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < 4; j++) {
            const v = lv[(e * B + b) * 4 + j]!;
            assert.ok(
              v <= maxLv[e * 4 + j]! + 1e-5 && v >= minLv[e * 4 + j]! - 1e-5,
              `logvar ${v}`,
            );
          }
        }
      }
    } finally {
      await trainer.dispose();
    }
  });

  it('tfjs backend: trains, and tf.memory().numTensors stays flat across rounds', async () => {
    const small = makeArchitecture({
      stateDim: 4,
      actionDim: 2,
      ensembleSize: 2,
      hiddenSizes: [16],
    });
    const trainer = await EnsembleTrainer.create({
      architecture: small,
      backend: 'tfjs',
      batchSize: 128,
      seed: 3,
      hStepHorizon: 5,
    });
    try {
      const sub = data.slice(0, 8);
      const r1 = await trainer.train(sub, { epochs: 2 });
      assert.equal(r1.backend, 'tfjs');
      const after1 = tf.memory().numTensors;
      await trainer.train(sub, { epochs: 2 });
      const after2 = tf.memory().numTensors;
      await trainer.train(sub, { epochs: 2 });
      assert.equal(tf.memory().numTensors, after1);
      assert.equal(after2, after1);
      assert.ok((r1.epochLosses[1] ?? Infinity) < r1.firstBatchLoss);
    } finally {
      await trainer.dispose();
    }
  });
});
