import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's `gc` as --expose-gc gives it (options form: V8 10+). */
type GcFunction = (options: { type: 'minor' | 'major'; execution: 'sync' | 'async' }) => void;

let cached: (() => void) | null | undefined;

/**
 * A function that runs one young-generation collection (a scavenge) now, synchronously, or null
 * where V8 does not offer it. The controller calls it in the gap after a tick (TickGaps' idle
 * hook), so the scavenges the planner's allocations make necessary run there and not in the
 * middle of the next plan: on the quadruped at 50 Hz that took the ticks over budget from 61 of
 * 29 889 to 8 of 29 911 (docs/daemon.md). A scavenge costs in proportion to what survives, and
 * one tick's garbage is nearly all dead (its time per call was not measured apart); it never starts
 * a mark-compact.
 *
 * Node exposes `gc` only with --expose-gc; the flag is set here, a fresh context is asked for its
 * `gc` (the flag applies to contexts made after it: the way jest's leak detector gets it), and the
 * flag is cleared again, so the process's own global scope is left as it was.
 */
export function minorGc(): (() => void) | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    setFlagsFromString('--no-expose-gc');
    if (typeof gc === 'function') {
      const run = gc as GcFunction;
      cached = () => {
        run({ type: 'minor', execution: 'sync' });
      };
    }
  } catch {
    cached = null;
  }
  return cached;
}
