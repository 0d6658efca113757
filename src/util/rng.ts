/**
 * Small, fast, seedable pseudo-random generator (mulberry32) with Gaussian draws (Box-Muller).
 * Deterministic for a given seed, so resets, random policies and tests are reproducible.
 */
export class Rng {
  /**
   * The uint32 state. Outside V8's small-integer range half the time, a number held in a field
   * was boxed anew on every draw (a planner iteration of 12k draws left about 100 KB of garbage);
   * a typed array stores it unboxed, so drawing allocates nothing.
   */
  readonly #state = new Uint32Array(1);
  /** [the spare normal of the last Box-Muller pair, 1 while it is unused]. */
  readonly #spare = new Float64Array(2);

  constructor(seed: number) {
    this.#state[0] = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const st = this.#state;
    st[0] = st[0]! + 0x6d2b79f5;
    let t = st[0] | 0;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal draw. */
  normal(): number {
    const spare = this.#spare;
    if (spare[1] !== 0) {
      spare[1] = 0;
      return spare[0]!;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare[0] = r * Math.sin(2 * Math.PI * v);
    spare[1] = 1;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A new independent generator derived from this one (for per-component streams). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
