import type { Clock, Timers } from '../util/clock.js';
import { runTickBody } from './runTickBody.js';
import type { TickFn, TickInfo, TickScheduler } from './types.js';

export interface DeadlineSchedulerOptions {
  readonly periodMs: number;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Called when a tick body throws or rejects (tick bodies should not; this is the last guard). */
  readonly onError: (err: unknown) => void;
}

/**
 * Fixed-rate scheduling against absolute deadlines t0 + k * period on a monotonic clock, as
 * ros2_control's controller manager does. A tick that runs past the next deadline makes the
 * scheduler skip every deadline already passed (counted in `overruns`) and resume at the next
 * future one: late ticks are never caught up in a burst.
 */
export class DeadlineScheduler implements TickScheduler {
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #onError: (err: unknown) => void;
  #onTick: TickFn | null = null;
  #deadlineMs = 0;
  #lastStartMs = Number.NaN;
  #ticks = 0;
  #overruns = 0;
  #timer: unknown = null;
  #inFlight: Promise<void> | null = null;
  #running = false;

  constructor(options: DeadlineSchedulerOptions) {
    if (!(options.periodMs > 0))
      throw new RangeError(`periodMs must be > 0, got ${options.periodMs}`);
    this.#periodMs = options.periodMs;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#onError = options.onError;
  }

  get ticks(): number {
    return this.#ticks;
  }

  get overruns(): number {
    return this.#overruns;
  }

  start(onTick: TickFn): void {
    if (this.#running) throw new Error('DeadlineScheduler already started');
    this.#onTick = onTick;
    this.#running = true;
    this.#deadlineMs = this.#clock.nowMs();
    this.#timer = this.#timers.setTimeout(this.#fire, 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#inFlight !== null) await this.#inFlight;
  }

  readonly #fire = (): void => {
    this.#timer = null;
    if (!this.#running || this.#onTick === null) return;
    const startedMs = this.#clock.nowMs();
    const info: TickInfo = {
      index: this.#ticks,
      scheduledMs: this.#deadlineMs,
      startedMs,
      measuredPeriodMs: Number.isNaN(this.#lastStartMs)
        ? this.#periodMs
        : startedMs - this.#lastStartMs,
    };
    this.#lastStartMs = startedMs;
    this.#ticks++;
    this.#inFlight = runTickBody(this.#onTick, info, this.#onError, this.#scheduleNext);
  };

  readonly #scheduleNext = (): void => {
    this.#inFlight = null;
    if (!this.#running) return;
    const nowMs = this.#clock.nowMs();
    let next = this.#deadlineMs + this.#periodMs;
    if (nowMs > next) {
      const skipped = Math.ceil((nowMs - next) / this.#periodMs);
      this.#overruns += skipped;
      next += skipped * this.#periodMs;
    }
    this.#deadlineMs = next;
    this.#timer = this.#timers.setTimeout(this.#fire, Math.max(0, next - nowMs));
  };
}
