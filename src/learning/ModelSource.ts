import type { EpisodeRecord } from '../control/EpisodeRunner.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { DataSource, Trainer } from '../trainer/types.js';
import type { Logger } from '../util/logger.js';

/**
 * Where the learning loop gets model versions from: a trainer in this process (it trains on the
 * episodes it is handed), or a trainer process over MQTT (episodes were already streamed).
 */
export interface ModelSource {
  /** Episodes just finished, from random actions (D_rand) or the controller (D_rl). */
  episodesDone(records: readonly EpisodeRecord[], source: DataSource): void;
  /** The next model version: trained now, or the next one the trainer published. Null: none (yet). */
  next(): Promise<ModelVersion | null>;
}

/** Trains in this process, between episodes (no MQTT). */
export class InProcessModelSource implements ModelSource {
  readonly #trainer: Trainer;

  constructor(trainer: Trainer) {
    this.#trainer = trainer;
  }

  episodesDone(records: readonly EpisodeRecord[], source: DataSource): void {
    for (const r of records) {
      if (r.steps > 0)
        this.#trainer.addTrajectory({ states: r.states, actions: r.actions }, source);
    }
  }

  next(): Promise<ModelVersion | null> {
    return this.#trainer.train();
  }
}

/**
 * Model versions published by a trainer process (they arrive through offer(), from the model
 * channel). With `wait` (lockstep pacing), next() waits up to `timeoutMs` for a version newer
 * than the last one it returned, so each MPC episode uses the model fitted on the episodes before
 * it, as in Alg. 1; it does not wait while the trainer is known to be away (trainerAway(): a child
 * trainer that exited and is not back), and a wait in progress ends when it goes. Without `wait`
 * (real-time pacing: a robot does not wait), next() returns the newest version that has arrived,
 * or null.
 */
export class RemoteModelSource implements ModelSource {
  /** Waits that ended at their timeout without a new version, and waits skipped (trainer away). */
  readonly counters = { waits: 0, timeouts: 0, skipped: 0 };
  readonly #wait: boolean;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #newest: ModelVersion | null = null;
  #returned = 0;
  #waiter: (() => void) | null = null;
  #closed = false;
  #away = false;

  constructor(options: { wait: boolean; timeoutMs: number; logger: Logger }) {
    this.#wait = options.wait;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  /** The newest version that has arrived (whether or not next() returned it yet), or null. */
  get newest(): ModelVersion | null {
    return this.#newest;
  }

  /** A validated version from the model channel. */
  offer(model: ModelVersion): void {
    if (this.#newest !== null && model.version <= this.#newest.version) return;
    this.#newest = model;
    this.#waiter?.();
  }

  /**
   * The trainer went away (true: its process exited and is not back) or is back (false). While it
   * is away next() does not wait, and a wait in progress ends now.
   */
  trainerAway(away: boolean): void {
    this.#away = away;
    if (away) this.#waiter?.();
  }

  /** Wake a waiting next() for good (shutdown). */
  close(): void {
    this.#closed = true;
    this.#waiter?.();
  }

  episodesDone(): void {
    // transitions were streamed to the trainer as they happened
  }

  async next(): Promise<ModelVersion | null> {
    if (this.#wait && !this.#hasNew() && !this.#closed && this.#away) {
      this.counters.skipped++;
      this.#logger.warn(
        { after: this.#returned },
        'the trainer is not running; continuing with the serving model without waiting',
      );
    } else if (this.#wait && !this.#hasNew() && !this.#closed) {
      this.counters.waits++;
      this.#logger.info(
        { after: this.#returned, timeoutMs: this.#timeoutMs },
        'waiting for the trainer\u2019s next model',
      );
      const wait = { timedOut: false };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wait.timedOut = true;
          resolve();
        }, this.#timeoutMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
      if (wait.timedOut) this.counters.timeouts++;
      if (!this.#hasNew())
        this.#logger.warn(
          { after: this.#returned, trainerAway: this.#away, timedOut: wait.timedOut },
          'no new model from the trainer; continuing with the serving model',
        );
    }
    if (!this.#hasNew()) return null;
    const model = this.#newest!;
    this.#returned = model.version;
    return model;
  }

  #hasNew(): boolean {
    return this.#newest !== null && this.#newest.version > this.#returned;
  }
}
