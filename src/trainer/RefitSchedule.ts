/**
 * The fit schedule of run.mode continuous: a refit once `transitions` new transitions have arrived
 * since the last fit, or once `seconds` have passed since it with at least one new transition,
 * whichever comes first. Pure: the caller counts and keeps the time of its last fit.
 */
export interface RefitScheduleOptions {
  /** trainer.refit_transitions */
  readonly transitions: number;
  /** trainer.refit_s */
  readonly seconds: number;
}

export class RefitSchedule {
  readonly transitions: number;
  readonly periodMs: number;

  constructor(options: RefitScheduleOptions) {
    this.transitions = options.transitions;
    this.periodMs = options.seconds * 1000;
  }

  /** Whether a fit is due with `fresh` new transitions, `sinceMs` after the last fit (or start). */
  due(fresh: number, sinceMs: number): boolean {
    if (fresh <= 0) return false;
    return fresh >= this.transitions || sinceMs >= this.periodMs;
  }
}
