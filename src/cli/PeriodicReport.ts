import type { Logger } from '../util/logger.js';

/**
 * Rewrites the report and plots every `everyS` seconds during a run (run.report_every_s), so a
 * crash loses at most one period. Writes run one at a time, off the tick; a failed write is
 * logged and the next period tries again. everyS 0: never (the report is written at the end).
 */
export class PeriodicReport {
  readonly #everyMs: number;
  readonly #write: () => Promise<void>;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | null = null;
  /** Reports written so far. */
  written = 0;

  constructor(options: { everyS: number; write: () => Promise<void>; logger: Logger }) {
    this.#everyMs = options.everyS * 1000;
    this.#write = options.write;
    this.#logger = options.logger;
  }

  start(): void {
    if (this.#everyMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#inFlight !== null) return;
      this.#inFlight = this.#write()
        .then(() => {
          this.written++;
        })
        .catch((err: unknown) => {
          this.#logger.warn({ err }, 'periodic report failed; the next period tries again');
        })
        .finally(() => {
          this.#inFlight = null;
        });
    }, this.#everyMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a write in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }
}
