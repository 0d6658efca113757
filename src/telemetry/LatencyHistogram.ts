/**
 * Fixed-memory latency histogram with log-spaced bins (2% relative width from 1 us to 100 s),
 * so recording is O(1), allocation-free, and quantiles are within 2% of the exact value. Used for
 * the per-tick latency in the report and the latency plot.
 */
export class LatencyHistogram {
  static readonly MIN_MS = 0.001;
  static readonly MAX_MS = 100_000;
  static readonly GROWTH = 1.02;

  readonly #counts: Float64Array;
  readonly #logGrowth = Math.log(LatencyHistogram.GROWTH);
  #count = 0;
  #sumMs = 0;
  #maxMs = 0;
  #minMs = Number.POSITIVE_INFINITY;

  constructor() {
    const bins =
      Math.ceil(Math.log(LatencyHistogram.MAX_MS / LatencyHistogram.MIN_MS) / this.#logGrowth) + 1;
    this.#counts = new Float64Array(bins);
  }

  /** Record one latency in ms. Non-finite or negative values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) return;
    this.#counts[this.#bin(ms)]! += 1;
    this.#count++;
    this.#sumMs += ms;
    if (ms > this.#maxMs) this.#maxMs = ms;
    if (ms < this.#minMs) this.#minMs = ms;
  }

  get count(): number {
    return this.#count;
  }

  get maxMs(): number {
    return this.#count === 0 ? 0 : this.#maxMs;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sumMs / this.#count;
  }

  /**
   * The q-quantile (0 < q <= 1) in ms: the upper edge of the bin holding it, clamped to the
   * observed min and max, so it never understates a latency. 0 when empty.
   */
  quantileMs(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        const upper = LatencyHistogram.MIN_MS * Math.pow(LatencyHistogram.GROWTH, i);
        return Math.min(this.#maxMs, Math.max(this.#minMs, upper));
      }
    }
    return this.#maxMs;
  }

  /** Non-empty bins as [lower edge ms, upper edge ms, count], for plots. */
  bins(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < this.#counts.length; i++) {
      const c = this.#counts[i]!;
      if (c > 0) {
        const upper = LatencyHistogram.MIN_MS * Math.pow(LatencyHistogram.GROWTH, i);
        out.push([i === 0 ? 0 : upper / LatencyHistogram.GROWTH, upper, c]);
      }
    }
    return out;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumMs = 0;
    this.#maxMs = 0;
    this.#minMs = Number.POSITIVE_INFINITY;
  }

  #bin(ms: number): number {
    if (ms <= LatencyHistogram.MIN_MS) return 0;
    const i = Math.ceil(Math.log(ms / LatencyHistogram.MIN_MS) / this.#logGrowth);
    return Math.min(i, this.#counts.length - 1);
  }
}
