import { DeadlineScheduler } from '../control/DeadlineScheduler.js';
import type { Clock, Timers } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { SteppableLink } from './types.js';

/**
 * Advances a simulator on the wall clock, one control period per deadline, so it behaves like a
 * robot that publishes state at a fixed rate whatever the controller does: the controller's
 * deadlines, not the simulator's, decide whether a tick is on time. Used for budget tests
 * (robot.mujoco.pacing: realtime).
 */
export class RealtimeSimDriver {
  readonly #scheduler: DeadlineScheduler;
  readonly #link: SteppableLink;
  readonly #logger: Logger;
  #faults = 0;

  constructor(
    link: SteppableLink,
    options: { periodMs: number; clock: Clock; timers: Timers; logger: Logger },
  ) {
    this.#link = link;
    this.#logger = options.logger;
    this.#scheduler = new DeadlineScheduler({
      periodMs: options.periodMs,
      clock: options.clock,
      timers: options.timers,
      onError: (err) => {
        this.#faults++;
        if (this.#faults === 1 || this.#faults % 100 === 0)
          this.#logger.warn({ err, faults: this.#faults }, 'simulator step failed');
      },
    });
  }

  /** Physics periods skipped because a step ran late (the simulator fell behind real time). */
  get overruns(): number {
    return this.#scheduler.overruns;
  }

  start(): void {
    this.#scheduler.start(() => {
      this.#link.step();
    });
  }

  async stop(): Promise<void> {
    await this.#scheduler.stop();
  }
}
