import type { GateVerdict } from './types.js';

/** Every gate verdict's slot in the tally (a Record: a verdict added to the union must be listed). */
const SLOT: Readonly<Record<GateVerdict, number>> = {
  ok: 0,
  clamped: 1,
  state_not_finite: 2,
  state_implausible: 3,
  action_not_finite: 4,
  policy_failed: 5,
  policy_stalled: 6,
  policy_busy: 7,
  stale: 8,
  tilt: 9,
  stopped: 10,
  waiting: 11,
  disarmed: 12,
  inactive: 13,
  replay: 14,
  send_failed: 15,
};

/** The gate's verdicts, in tally order. */
export const GATE_VERDICTS = Object.keys(SLOT) as readonly GateVerdict[];

/** Ticks per gate verdict: count() on the tick (allocation-free), counts() for diagnostics. */
export class VerdictTally {
  readonly #n = new Float64Array(GATE_VERDICTS.length);

  /** Counts `verdict` and returns it. */
  count(verdict: GateVerdict): GateVerdict {
    const i = SLOT[verdict];
    this.#n[i] = (this.#n[i] ?? 0) + 1;
    return verdict;
  }

  /** Every verdict's count so far, zeros included (allocates: not for the tick). */
  counts(): Record<GateVerdict, number> {
    const out = {} as Record<GateVerdict, number>;
    GATE_VERDICTS.forEach((v, i) => (out[v] = this.#n[i] ?? 0));
    return out;
  }
}
