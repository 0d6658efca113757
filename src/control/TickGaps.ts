import type { Timers } from '../util/clock.js';

/**
 * Work that must run on the controller's thread but not inside a tick: it waits for the gap after
 * the next tick, one item per gap, in arrival order. A tick's model calls yield to the event loop
 * between them, so anything that runs when it arrives (a 2 MB model artifact decoded and
 * checksummed: about 14 ms on the 2-core AMD EPYC) lands inside a tick and can push it past a 16 ms
 * budget (docs/daemon.md). When no tick comes for `fallbackMs` (lockstep pacing between episodes,
 * waiting for that very model; a robot not ticking) the work runs anyway. A gap with nothing
 * waiting runs `idle` instead, if given (the controller's young-generation GC: util/minorGc.ts).
 */
export class TickGaps {
  readonly #queue: (() => void)[] = [];
  readonly #fallbackMs: number;
  readonly #timers: Timers;
  readonly #onError: (err: unknown) => void;
  readonly #idle: (() => void) | null;
  #fallback: unknown = null;

  constructor(options: {
    fallbackMs: number;
    timers: Timers;
    onError: (err: unknown) => void;
    /** Runs after a tick when no work waits (a throw goes to onError). */
    idle?: (() => void) | null;
  }) {
    this.#fallbackMs = options.fallbackMs;
    this.#timers = options.timers;
    this.#onError = options.onError;
    this.#idle = options.idle ?? null;
  }

  /** Items waiting for a gap. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queue `work` for the gap after the next tick (a throw goes to onError). */
  readonly defer = (work: () => void): void => {
    this.#queue.push(work);
    this.#armFallback();
  };

  /** Call right after each tick: runs the oldest waiting item, or the idle hook when none waits. */
  readonly afterTick = (): void => {
    const work = this.#queue.shift();
    if (work === undefined) {
      if (this.#idle !== null) this.#run(this.#idle);
      return;
    }
    this.#run(work);
    this.#armFallback();
  };

  /** Runs everything waiting now (at shutdown) and stops the fallback timer. */
  drain(): void {
    this.#clearFallback();
    for (let w = this.#queue.shift(); w !== undefined; w = this.#queue.shift()) this.#run(w);
  }

  #run(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.#onError(err);
    }
  }

  /** (Re)starts the no-tick timer while anything waits; a tick that runs an item restarts it. */
  #armFallback(): void {
    this.#clearFallback();
    if (this.#queue.length === 0) return;
    this.#fallback = this.#timers.setTimeout(() => {
      this.#fallback = null;
      const work = this.#queue.shift();
      if (work !== undefined) this.#run(work);
      this.#armFallback();
    }, this.#fallbackMs);
  }

  #clearFallback(): void {
    if (this.#fallback === null) return;
    this.#timers.clearTimeout(this.#fallback);
    this.#fallback = null;
  }
}
