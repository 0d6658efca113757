import { flattenTransitions, type TrajectoryDataset } from './Trajectory.js';

/**
 * Dataset statistics that standardise the network's input (state, action) and its target (the
 * state delta). x_norm = (x - mean) / std; std is floored so constant features stay finite.
 */
export interface Normalisers {
  /** S + A, raw units. */
  readonly inputMean: Float32Array;
  /** S + A, raw units, each >= the std floor. */
  readonly inputStd: Float32Array;
  /** S, raw units per step. */
  readonly deltaMean: Float32Array;
  /** S, raw units per step, each >= the std floor. */
  readonly deltaStd: Float32Array;
}

/** Default std floor. A feature whose std is below it is treated as constant (std := 1). */
export const DEFAULT_STD_FLOOR = 1e-6;

/** Identity normalisers (mean 0, std 1) for S and A. */
export function identityNormalisers(stateDim: number, actionDim: number): Normalisers {
  return {
    inputMean: new Float32Array(stateDim + actionDim),
    inputStd: new Float32Array(stateDim + actionDim).fill(1),
    deltaMean: new Float32Array(stateDim),
    deltaStd: new Float32Array(stateDim).fill(1),
  };
}

/**
 * Mean and std of inputs and deltas over every transition of `data`. A std below `stdFloor`
 * becomes 1, so a constant feature maps to 0 instead of blowing up (and its delta is predicted as
 * the constant mean).
 */
export function fitNormalisers(
  data: TrajectoryDataset,
  stateDim: number,
  actionDim: number,
  stdFloor = DEFAULT_STD_FLOOR,
): Normalisers {
  const flat = flattenTransitions(data, stateDim, actionDim);
  const [inputMean, inputStd] = columnStats(
    flat.inputs,
    flat.count,
    stateDim + actionDim,
    stdFloor,
  );
  const [deltaMean, deltaStd] = columnStats(flat.deltas, flat.count, stateDim, stdFloor);
  return { inputMean, inputStd, deltaMean, deltaStd };
}

function columnStats(
  rows: Float32Array,
  n: number,
  width: number,
  stdFloor: number,
): [Float32Array, Float32Array] {
  const mean = new Float64Array(width);
  const m2 = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) mean[j] = (mean[j] ?? 0) + (rows[i * width + j] ?? 0);
  }
  for (let j = 0; j < width; j++) mean[j] = n > 0 ? (mean[j] ?? 0) / n : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) {
      const d = (rows[i * width + j] ?? 0) - (mean[j] ?? 0);
      m2[j] = (m2[j] ?? 0) + d * d;
    }
  }
  const std = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const s = n > 0 ? Math.sqrt((m2[j] ?? 0) / n) : 1;
    std[j] = s < stdFloor ? 1 : s;
  }
  return [Float32Array.from(mean), std];
}
