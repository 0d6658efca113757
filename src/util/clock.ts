/**
 * Injected time sources. Production uses the monotonic clock and Node timers; tests pass sinon
 * fake timers (which fake performance.now, setTimeout and clearTimeout together).
 */
export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  nowMs(): number;
}

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const monotonicClock: Clock = { nowMs: () => performance.now() };

export const nodeTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
