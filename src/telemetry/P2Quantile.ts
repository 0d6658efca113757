/**
 * A running quantile in constant memory: the P^2 algorithm (Jain and Chlamtac 1985, "The P^2
 * algorithm for dynamic calculation of quantiles and histograms without storing observations").
 * Five markers track the minimum, p/2, p, (1+p)/2 quantiles and the maximum; each observation
 * moves the markers' positions, and a marker that drifts a whole position from where it should be
 * has its height adjusted by a piecewise-parabolic (else linear) step. Exact for up to five
 * observations; after that an estimate that a few extreme observations do not pull (unlike a mean).
 * Non-finite observations are ignored. O(1) time and no allocation per observation.
 */
export class P2Quantile {
  readonly p: number;
  /** Marker heights (quantile estimates), ascending. */
  readonly #q = new Float64Array(5);
  /** Marker positions (0-based ranks). */
  readonly #n = new Float64Array(5);
  /** Desired marker positions. */
  readonly #want = new Float64Array(5);
  /** Increments of the desired positions per observation. */
  readonly #step: Float64Array;
  #count = 0;

  /** @param p the quantile in (0, 1); 0.5: the median. */
  constructor(p: number) {
    if (!(p > 0 && p < 1)) throw new RangeError(`P2Quantile: p must be in (0, 1), got ${p}`);
    this.p = p;
    this.#step = Float64Array.of(0, p / 2, p, (1 + p) / 2, 1);
  }

  /** Observations taken (finite ones). */
  get count(): number {
    return this.#count;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    const q = this.#q;
    const n = this.#n;
    if (this.#count < 5) {
      // insertion into the sorted first five
      let i = this.#count++;
      while (i > 0 && q[i - 1]! > x) {
        q[i] = q[i - 1]!;
        i--;
      }
      q[i] = x;
      if (this.#count === 5) {
        const p = this.p;
        n.set([0, 1, 2, 3, 4]);
        this.#want.set([0, 2 * p, 4 * p, 2 + 2 * p, 4]);
      }
      return;
    }
    this.#count++;
    let k: number;
    if (x < q[0]!) {
      q[0] = x;
      k = 0;
    } else if (x >= q[4]!) {
      q[4] = x;
      k = 3;
    } else {
      k = 0;
      while (x >= q[k + 1]!) k++;
    }
    for (let i = k + 1; i < 5; i++) n[i]!++;
    for (let i = 0; i < 5; i++) this.#want[i]! += this.#step[i]!;
    for (let i = 1; i <= 3; i++) {
      const d = this.#want[i]! - n[i]!;
      if ((d >= 1 && n[i + 1]! - n[i]! > 1) || (d <= -1 && n[i - 1]! - n[i]! < -1)) {
        const s = d > 0 ? 1 : -1;
        const parabolic = this.#parabolic(i, s);
        q[i] = q[i - 1]! < parabolic && parabolic < q[i + 1]! ? parabolic : this.#linear(i, s);
        n[i]! += s;
      }
    }
  }

  /** The quantile's estimate; NaN before any observation. */
  value(): number {
    const c = this.#count;
    if (c === 0) return Number.NaN;
    if (c <= 5) {
      // exact, by linear interpolation between order statistics
      const r = this.p * (c - 1);
      const lo = Math.floor(r);
      const hi = Math.min(c - 1, lo + 1);
      return this.#q[lo]! + (r - lo) * (this.#q[hi]! - this.#q[lo]!);
    }
    return this.#q[2]!;
  }

  #parabolic(i: number, s: number): number {
    const q = this.#q;
    const n = this.#n;
    return (
      q[i]! +
      (s / (n[i + 1]! - n[i - 1]!)) *
        ((n[i]! - n[i - 1]! + s) * ((q[i + 1]! - q[i]!) / (n[i + 1]! - n[i]!)) +
          (n[i + 1]! - n[i]! - s) * ((q[i]! - q[i - 1]!) / (n[i]! - n[i - 1]!)))
    );
  }

  #linear(i: number, s: number): number {
    const q = this.#q;
    const n = this.#n;
    return q[i]! + (s * (q[i + s]! - q[i]!)) / (n[i + s]! - n[i]!);
  }
}
