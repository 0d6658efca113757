import { makeArchitecture, initWeights } from '../../../src/dynamics/architecture.js';
import { identityNormalisers } from '../../../src/dynamics/Normaliser.js';
import type { ModelVersion } from '../../../src/dynamics/ModelVersion.js';
import type { TransitionBatch } from '../../../src/transport/types.js';

/** A small valid batch: count N, S = 3, A = 2, transition 1 without an expert label. */
export function sampleBatch(count = 3, firstSeq = 10): TransitionBatch {
  const S = 3;
  const A = 2;
  const f = (n: number, k: number): Float32Array =>
    Float32Array.from({ length: n }, (_, i) => (i + k) * 0.25);
  const expert = f(count * A, 7);
  if (count > 1) expert.fill(Number.NaN, A, 2 * A);
  return {
    robotId: 'dog-1',
    runId: 77,
    episode: 4,
    firstSeq,
    count,
    stateDim: S,
    actionDim: A,
    source: 'mpc',
    states: f(count * S, 1),
    actions: f(count * A, 2),
    expertActions: expert,
    nextStates: f(count * S, 3),
    rewards: f(count, 4),
    dones: Uint8Array.from({ length: count }, (_, i) => (i === count - 1 ? 1 : 0)),
  };
}

/** A small model: S 3, A 2, E 2, one hidden layer of 4, gaussian. */
export function sampleModel(version = 1): ModelVersion {
  const architecture = makeArchitecture({
    stateDim: 3,
    actionDim: 2,
    ensembleSize: 2,
    hiddenSizes: [4],
  });
  return {
    version,
    snapshot: {
      architecture,
      normalisers: identityNormalisers(3, 2),
      weights: initWeights(architecture, 7),
    },
    metrics: {
      train_loss: 0.5,
      val_loss: 0.75,
      h_step_error: 1.25,
      h_step_baseline: 2,
      h_step_error_previous: 1.5,
      train_transitions: 1000,
      rand_transitions: 600,
      rl_transitions: 400,
      epochs: 5,
      train_seconds: 1.5,
      sample_passes_per_s: 6000,
      backend: 'onnx',
    },
  };
}
