/** Erase the current terminal line and put the cursor at its start. */
const CLEAR_LINE = '\r\x1b[2K';
/** Move the cursor one line up. */
const LINE_UP = '\x1b[1A';

/**
 * A live one-line progress display for a terminal: rewrites one line on stderr at most every
 * `intervalMs`. Off a TTY it prints nothing (the JSON log carries per-episode lines instead).
 * Messages go above the progress line through print(), which redraws the progress line after them
 * and folds a message repeated back to back into one line with a count.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #intervalMs: number;
  #lastMs = Number.NEGATIVE_INFINITY;
  /** The progress text on screen (already cut to the width); '' when none is shown. */
  #shown = '';
  /** The last message print() wrote, its count, and whether it took one terminal row. */
  #lastPrinted: string | null = null;
  #repeats = 0;
  #lastPrintedFits = false;

  constructor(
    options: { stream?: NodeJS.WriteStream; intervalMs?: number; enabled?: boolean } = {},
  ) {
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
    this.#shown = text().slice(0, this.#columns() - 1);
    this.#stream.write(`${CLEAR_LINE}${this.#shown}`);
  }

  /**
   * Print one message line above the progress line: clear the progress line, write `line`, redraw
   * the progress line. The same line printed again with nothing else printed in between gets a
   * count, `line (x3)`, and replaces the earlier one where that took one terminal row (a wrapped
   * one cannot be reached by one cursor-up). Off a TTY (not enabled) `line` is written as it is.
   */
  print(line: string): void {
    if (!this.#enabled) {
      this.#stream.write(`${line}\n`);
      return;
    }
    const columns = this.#columns();
    let out = this.#shown !== '' ? CLEAR_LINE : '';
    let text = line;
    if (line === this.#lastPrinted) {
      this.#repeats++;
      text = `${line} (x${this.#repeats})`;
      if (this.#lastPrintedFits) out += `${LINE_UP}${CLEAR_LINE}`;
    } else {
      this.#lastPrinted = line;
      this.#repeats = 1;
    }
    this.#lastPrintedFits = text.length < columns;
    this.#stream.write(`${out}${text}\n${this.#shown}`);
  }

  /** End the progress line so that normal output starts on a fresh line. */
  done(): void {
    if (this.#enabled && this.#shown !== '') this.#stream.write('\n');
    this.#shown = '';
    // the finished progress line now sits between the last message and the cursor
    this.#lastPrinted = null;
  }

  #columns(): number {
    return this.#stream.columns > 0 ? this.#stream.columns : 100;
  }
}
