/**
 * Rate limit for log lines: at most one per key per interval; counts what it suppressed so the
 * next line can say how many were folded into it.
 */
export class Throttle {
  readonly #intervalMs: number;
  readonly #last = new Map<string, number>();
  readonly #suppressed = new Map<string, number>();

  /** `intervalMs`: minimum time between two allowed lines of the same key. */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** True when a line for `key` may be written now. */
  allow(key: string, nowMs: number = Date.now()): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && nowMs - last < this.#intervalMs) {
      this.#suppressed.set(key, (this.#suppressed.get(key) ?? 0) + 1);
      return false;
    }
    this.#last.set(key, nowMs);
    return true;
  }

  /** Lines of `key` suppressed since the last allowed one; resets the count. */
  takeSuppressed(key: string): number {
    const n = this.#suppressed.get(key) ?? 0;
    this.#suppressed.delete(key);
    return n;
  }
}
