/**
 * A live one-line progress display for a terminal: rewrites one line on stderr at most every
 * `intervalMs`. Off a TTY it prints nothing (the JSON log carries per-episode lines instead).
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #intervalMs: number;
  #lastMs = Number.NEGATIVE_INFINITY;
  #dirty = false;

  constructor(options: { stream?: NodeJS.WriteStream; intervalMs?: number; enabled?: boolean } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled ?? this.#stream.isTTY;
    this.#intervalMs = options.intervalMs ?? 100;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Show `text` now if the interval has passed (or `force`); `text` is built only then. */
  update(nowMs: number, text: () => string, force: 'force' | 'throttle' = 'throttle'): void {
    if (!this.#enabled) return;
    if (force === 'throttle' && nowMs - this.#lastMs < this.#intervalMs) return;
    this.#lastMs = nowMs;
    const columns = this.#stream.columns > 0 ? this.#stream.columns : 100;
    this.#stream.write(`\r\x1b[2K${text().slice(0, columns - 1)}`);
    this.#dirty = true;
  }

  /** End the progress line so that normal output starts on a fresh line. */
  done(): void {
    if (this.#enabled && this.#dirty) this.#stream.write('\n');
    this.#dirty = false;
  }
}
