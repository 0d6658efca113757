import type { Rng } from '../util/rng.js';
import type { ColouredNoise } from './ColouredNoise.js';

/*
 * Allocation-free helpers on action sequences stored H x A, row-major, inside flat buffers
 * (a population is K such sequences back to back). Shared by the optimisers and the planner.
 */

/** Copy `length` values from src[srcOffset..] to dst[dstOffset..] (no subarray views). */
export function copyValues(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  length: number,
): void {
  for (let i = 0; i < length; i++) dst[dstOffset + i] = src[srcOffset + i]!;
}

/**
 * Warm start: shift the sequence at `offset` (H x A) one step earlier in place. The last row keeps
 * its old value (the previous last action) unless `tail` (A) is given, in which case it is copied
 * there.
 */
export function shiftSequence(
  buffer: Float32Array,
  offset: number,
  horizon: number,
  actionDim: number,
  tail: Float32Array | null,
): void {
  const end = offset + horizon * actionDim;
  buffer.copyWithin(offset, offset + actionDim, end);
  if (tail !== null) copyValues(tail, 0, buffer, end - actionDim, actionDim);
}

/** Uniform samples within [lo, hi] per dimension for sequences [fromRow, toRow) (random shooting). */
export function sampleUniform(
  population: Float32Array,
  fromRow: number,
  toRow: number,
  horizon: number,
  lo: Float32Array,
  hi: Float32Array,
  rng: Rng,
): void {
  const A = lo.length;
  const HA = horizon * A;
  for (let k = fromRow; k < toRow; k++) {
    const base = k * HA;
    for (let t = 0; t < horizon; t++) {
      const row = base + t * A;
      for (let j = 0; j < A; j++) population[row + j] = rng.uniform(lo[j]!, hi[j]!);
    }
  }
}

/**
 * Gaussian samples mean + std * noise, clipped to [lo, hi], for sequences [fromRow, toRow).
 * `mean` and `std` are H x A; the noise is drawn per (sequence, action dimension) along the
 * horizon, coloured or white as `noise` is configured.
 */
export function sampleGaussian(
  population: Float32Array,
  fromRow: number,
  toRow: number,
  mean: Float32Array,
  std: Float32Array,
  lo: Float32Array,
  hi: Float32Array,
  noise: ColouredNoise,
  rng: Rng,
): void {
  const A = lo.length;
  const HA = mean.length;
  for (let k = fromRow; k < toRow; k++) {
    const base = k * HA;
    for (let j = 0; j < A; j++) noise.sample(rng, population, base + j, A);
    for (let i0 = 0; i0 < HA; i0 += A) {
      for (let j = 0; j < A; j++) {
        const i = i0 + j;
        const v = mean[i]! + std[i]! * population[base + i]!;
        const l = lo[j]!;
        const h = hi[j]!;
        population[base + i] = v < l ? l : v > h ? h : v;
      }
    }
  }
}

/** Clip every value of an H x A sequence buffer to [lo, hi] per dimension. */
export function clipSequence(sequence: Float32Array, lo: Float32Array, hi: Float32Array): void {
  const A = lo.length;
  for (let i = 0; i < sequence.length; i++) {
    const j = i % A;
    const v = sequence[i]!;
    const l = lo[j]!;
    const h = hi[j]!;
    sequence[i] = v < l ? l : v > h ? h : v;
  }
}
