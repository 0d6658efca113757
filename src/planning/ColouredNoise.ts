import type { Rng } from '../util/rng.js';

/**
 * Unit-variance Gaussian noise along the horizon with power spectrum 1/f^beta (iCEM, Pinneri et
 * al. 2020): beta = 0 is white noise, beta = 2 is smooth, low-frequency (brown) noise.
 *
 * Instead of an FFT per sample we build, once, the covariance of length-H noise whose periodogram
 * is 1/f^beta (a circulant matrix, like FFT-generated noise of length H with the zero frequency
 * clamped to 1/H) and its Cholesky factor L; a sample is L z with z white. H is a control horizon
 * (tens of steps), so the H^2/2 multiply-adds per sample cost less than an FFT's bookkeeping.
 */
export class ColouredNoise {
  readonly horizon: number;
  readonly beta: number;
  /** H x H lower-triangular Cholesky factor, row-major; empty when beta = 0. */
  readonly #chol: Float64Array;
  /** H white draws, scratch. */
  readonly #white: Float64Array;

  constructor(options: { readonly horizon: number; readonly beta: number }) {
    const H = options.horizon;
    this.horizon = H;
    this.beta = options.beta;
    this.#white = new Float64Array(H);
    this.#chol = options.beta === 0 ? new Float64Array(0) : choleskyOfPowerLaw(H, options.beta);
  }

  /**
   * Write H standard-normal (coloured) values to out[offset + t * stride], t = 0..H-1.
   * Hot path: no allocation.
   */
  sample(rng: Rng, out: Float32Array, offset: number, stride: number): void {
    const H = this.horizon;
    if (this.beta === 0) {
      for (let t = 0; t < H; t++) out[offset + t * stride] = rng.normal();
      return;
    }
    const z = this.#white;
    const L = this.#chol;
    for (let t = 0; t < H; t++) z[t] = rng.normal();
    for (let t = 0; t < H; t++) {
      let acc = 0;
      const row = t * H;
      for (let j = 0; j <= t; j++) acc += L[row + j]! * z[j]!;
      out[offset + t * stride] = acc;
    }
  }
}

/** Cholesky factor of the unit-variance circulant covariance with spectrum 1/f^beta. */
function choleskyOfPowerLaw(H: number, beta: number): Float64Array {
  // Autocovariance c(tau) = sum_j S_j cos(2 pi j tau / H), S_j = f_j^-beta with the frequency of
  // bin j folded to min(j, H - j) / H and f_0 clamped to 1/H. Every circulant eigenvalue is
  // H * S_j > 0, so the matrix is positive definite.
  const acov = new Float64Array(H);
  for (let tau = 0; tau < H; tau++) {
    let c = 0;
    for (let j = 0; j < H; j++) {
      const f = Math.max(1, Math.min(j, H - j)) / H;
      c += Math.pow(f, -beta) * Math.cos((2 * Math.PI * j * tau) / H);
    }
    acov[tau] = c;
  }
  const c0 = acov[0]!;
  const L = new Float64Array(H * H);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = acov[Math.abs(i - j)]! / c0;
      if (i === j) sum += 1e-9; // round-off guard
      for (let k = 0; k < j; k++) sum -= L[i * H + k]! * L[j * H + k]!;
      L[i * H + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / L[j * H + j]!;
    }
  }
  return L;
}
