import { initWeights, inputDim, makeArchitecture } from '../dynamics/architecture.js';
import { OnnxTrainingBackend } from '../dynamics/OnnxTrainingBackend.js';
import { monotonicClock } from '../util/clock.js';
import { Rng } from '../util/rng.js';

export interface TrainingFigures {
  readonly engine: 'onnx';
  readonly ensemble_size: number;
  readonly hidden: readonly number[];
  readonly state_dim: number;
  readonly action_dim: number;
  readonly batch_per_member: number;
  /** One sample through one member's forward and backward pass (plus its Adam share), per second. */
  readonly sample_passes_per_s: number;
}

/** Adam steps of the ensemble on the ONNX training graph for `seconds`, after a warm-up. */
export async function benchTraining(options: {
  stateDim: number;
  actionDim: number;
  ensembleSize: number;
  hidden: readonly number[];
  batchPerMember: number;
  seconds: number;
}): Promise<TrainingFigures> {
  const arch = makeArchitecture({
    stateDim: options.stateDim,
    actionDim: options.actionDim,
    ensembleSize: options.ensembleSize,
    hiddenSizes: options.hidden,
  });
  const B = options.batchPerMember;
  const E = arch.ensembleSize;
  const backend = await OnnxTrainingBackend.create({
    architecture: arch,
    initialWeights: initWeights(arch, 1),
    maxBatchPerMember: B,
  });
  try {
    const rng = new Rng(5);
    const x = Float32Array.from({ length: E * B * inputDim(arch) }, () => rng.normal());
    const y = Float32Array.from({ length: E * B * arch.stateDim }, () => rng.normal());
    const loss = new Float32Array(E);
    for (let i = 0; i < 3; i++) await backend.trainStep(x, y, B, loss);
    let steps = 0;
    const t0 = monotonicClock.nowMs();
    while (monotonicClock.nowMs() - t0 < options.seconds * 1000) {
      await backend.trainStep(x, y, B, loss);
      steps++;
    }
    const sec = (monotonicClock.nowMs() - t0) / 1000;
    return {
      engine: 'onnx',
      ensemble_size: E,
      hidden: [...arch.hiddenSizes],
      state_dim: arch.stateDim,
      action_dim: arch.actionDim,
      batch_per_member: B,
      sample_passes_per_s: (steps * E * B) / sec,
    };
  } finally {
    await backend.dispose();
  }
}
