import type { Clock } from '../util/clock.js';
import { runTickBody } from './runTickBody.js';
import type { TickFn, TickScheduler } from './types.js';

export interface LockstepSchedulerOptions {
  readonly clock: Clock;
  /** Nominal period reported for the first tick, ms. */
  readonly periodMs: number;
  readonly onError: (err: unknown) => void;
  /** How the next tick is queued; default setImmediate, so I/O callbacks run between ticks. */
  readonly defer?: (callback: () => void) => void;
}

/**
 * Runs ticks back to back, as fast as the controller answers: the simulator advances one control
 * period per tick, so learning runs faster than real time. Each tick is queued with setImmediate,
 * so sockets, timers and logs still get the event loop between ticks.
 */
export class LockstepScheduler implements TickScheduler {
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #defer: (callback: () => void) => void;
  #onTick: TickFn | null = null;
  #running = false;
  #ticks = 0;
  #lastStartMs = Number.NaN;
  #inFlight: Promise<void> | null = null;

  constructor(options: LockstepSchedulerOptions) {
    this.#clock = options.clock;
    this.#periodMs = options.periodMs;
    this.#onError = options.onError;
    this.#defer = options.defer ?? ((cb) => setImmediate(cb));
  }

  get ticks(): number {
    return this.#ticks;
  }

  /** Always 0: lockstep has no deadlines to miss. */
  get overruns(): number {
    return 0;
  }

  start(onTick: TickFn): void {
    if (this.#running) throw new Error('LockstepScheduler already started');
    this.#onTick = onTick;
    this.#running = true;
    this.#defer(this.#fire);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#inFlight !== null) await this.#inFlight;
  }

  readonly #fire = (): void => {
    if (!this.#running || this.#onTick === null) return;
    const startedMs = this.#clock.nowMs();
    const measuredPeriodMs = Number.isNaN(this.#lastStartMs)
      ? this.#periodMs
      : startedMs - this.#lastStartMs;
    this.#lastStartMs = startedMs;
    const index = this.#ticks++;
    const info = { index, scheduledMs: startedMs, startedMs, measuredPeriodMs };
    this.#inFlight = runTickBody(this.#onTick, info, this.#onError, this.#next);
  };

  readonly #next = (): void => {
    this.#inFlight = null;
    if (this.#running) this.#defer(this.#fire);
  };
}
