/**
 * The trainer's intake: transition batches from the MQTT subscription (TransitionInbox), checked
 * against the robot's dimensions, assembled into episodes (EpisodeAssembler), and each complete
 * episode stored on disk (EpisodeStore) before it counts in the robot's dataset; then the store's
 * retention runs and what it deleted leaves the dataset too. MQTT callbacks never block: the disk
 * writes run in one serial queue.
 */

import type { Topics } from '../transport/topics.js';
import type { Transport } from '../transport/Transport.js';
import { TransitionInbox } from '../transport/TransitionInbox.js';
import type { TransitionBatch } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import { EpisodeAssembler, type Episode, type EpisodeEnding } from './EpisodeAssembler.js';
import type { EpisodeStore } from './EpisodeStore.js';
import type { FitScheduler } from './FitScheduler.js';

/** What the intake counts (folded into the trainer's counters). */
export interface IntakeCounters {
  /** Episodes received, by the source of their actions (an episode counts once, at its first stored piece). */
  episodes_random: number;
  episodes_mpc: number;
  episodes_policy: number;
  episodes_mixed: number;
  /** Episode files (and the pending pieces at close) that could not be written. */
  store_errors: number;
}

/** The inbox's and assembler's figures, as the trainer's counters name them. */
export interface StreamCounters {
  /** Transition payloads received on the subscription. */
  payloads: number;
  /** Payloads rejected: malformed, unknown version, wrong topic, or dimensions other than the robot's. */
  rejected: number;
  /** Transitions taken in (after de-duplication). */
  transitions: number;
  /** Transitions dropped as duplicates (inbox and assembler). */
  duplicates: number;
  /** Transitions never received (gaps the inbox skipped). */
  gaps: number;
  /** Episodes cut by a continuity break, sequence gap or source change (each piece is kept). */
  splits: number;
  /** Incomplete fragments shorter than 2 transitions, dropped, and their transitions. */
  fragments_dropped: number;
  fragment_transitions_dropped: number;
}

export interface EpisodeIntakeOptions {
  /** A started (connected or connecting) transport. */
  readonly transport: Pick<Transport, 'subscribe'>;
  readonly topics: Topics;
  /** Serve this robot only; default every robot under the prefix (`+`). */
  readonly robotId?: string;
  /** Join this shared-subscription group; serves every robot. */
  readonly shareGroup?: string;
  /** Continuity tolerance of the episode assembler (see EpisodeAssembler). */
  readonly continuityTolerance?: number;
  readonly store: EpisodeStore;
  /** Where stored episodes are counted and fits scheduled. */
  readonly fits: FitScheduler;
  /** Every batch that passed the dimension check (the DAgger labels' way in). Must not throw. */
  readonly onBatch?: (b: TransitionBatch) => void;
  readonly logger: Logger;
}

export class EpisodeIntake {
  readonly counters: IntakeCounters = {
    episodes_random: 0,
    episodes_mpc: 0,
    episodes_policy: 0,
    episodes_mixed: 0,
    store_errors: 0,
  };
  readonly #o: EpisodeIntakeOptions;
  readonly #assembler: EpisodeAssembler;
  readonly #inbox: TransitionInbox;
  #writes: Promise<void> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  #rejectedDims = 0;
  #taken = 0;

  constructor(options: EpisodeIntakeOptions) {
    this.#o = options;
    this.#assembler = new EpisodeAssembler({
      onEpisode: (e, ending) => {
        this.#onEpisode(e, ending);
      },
      ...(options.continuityTolerance === undefined
        ? {}
        : { tolerance: options.continuityTolerance }),
    });
    this.#inbox = new TransitionInbox({
      transport: options.transport,
      topics: options.topics,
      onBatch: (b) => {
        this.#onBatch(b);
      },
      ...(options.robotId === undefined ? {} : { robotId: options.robotId }),
      ...(options.shareGroup === undefined ? {} : { shareGroup: options.shareGroup }),
      logger: options.logger,
    });
  }

  /** The MQTT filter of the transition subscription. */
  get filter(): string {
    return this.#inbox.filter;
  }

  /** The queue of episode writes (resolves when the writes queued so far are done). */
  get writes(): Promise<void> {
    return this.#writes;
  }

  /**
   * Continues the stored streams: `episodes` (already counted) mark where each run stands, so
   * re-delivered transitions are dropped; `pending` (the open episodes saved at the last
   * shutdown) are assembled again.
   */
  restore(episodes: readonly Episode[], pending: readonly TransitionBatch[]): void {
    for (const e of episodes) {
      const t = e.transitions;
      this.#assembler.seed(t.robotId, t.runId, t.firstSeq + t.count - 1);
    }
    for (const b of pending) this.#assembler.push(b);
  }

  /**
   * Subscribes to the transitions; with `episodeIdleMs` > 0, an open episode whose stream has
   * been silent that long is complete. Rejects BROKER_* (subscribe).
   */
  async start(episodeIdleMs: number): Promise<void> {
    await this.#inbox.start();
    if (episodeIdleMs > 0) {
      this.#idleTimer = setInterval(
        () => {
          const n = this.#assembler.closeIdle(episodeIdleMs);
          if (n > 0)
            this.#o.logger.info(
              { episodes: n, idleMs: episodeIdleMs },
              'open episodes completed after silence',
            );
        },
        Math.max(50, Math.min(1000, episodeIdleMs / 4)),
      );
      this.#idleTimer.unref();
    }
  }

  /** Stops taking transitions (unsubscribes); the open episodes stay for {@link savePending}. */
  async stop(): Promise<void> {
    clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    await this.#inbox.close();
  }

  /** Saves the open episodes as pending (after the write queue has drained). Never rejects. */
  async savePending(): Promise<void> {
    try {
      await this.#o.store.savePending(this.#assembler.openPieces());
    } catch (err) {
      this.counters.store_errors++;
      this.#o.logger.error({ err }, 'open episodes could not be saved; they are lost');
    }
  }

  /** The inbox's and assembler's figures. */
  streamCounters(): StreamCounters {
    const i = this.#inbox.counters;
    const a = this.#assembler.counters;
    return {
      payloads: i.payloads,
      rejected: i.rejected + this.#rejectedDims,
      transitions: Math.max(0, this.#taken - a.duplicates),
      duplicates: i.duplicates + a.duplicates,
      gaps: i.gaps,
      splits: a.splits,
      fragments_dropped: a.fragmentsDropped,
      fragment_transitions_dropped: a.fragmentTransitionsDropped,
    };
  }

  #onBatch(b: TransitionBatch): void {
    const r = this.#o.fits.get(b.robotId);
    if (r !== undefined && (r.stateDim !== b.stateDim || r.actionDim !== b.actionDim)) {
      this.#rejectedDims++;
      this.#o.logger.warn(
        { robotId: b.robotId, S: b.stateDim, A: b.actionDim },
        `transition batch rejected: dims S ${b.stateDim}, A ${b.actionDim}; robot ${b.robotId} has S ${r.stateDim}, A ${r.actionDim}`,
      );
      return;
    }
    this.#taken += b.count;
    this.#o.onBatch?.(b);
    this.#assembler.push(b);
  }

  /** A complete episode (piece): stored first, then counted and handed on. */
  #onEpisode(e: Episode, ending: EpisodeEnding): void {
    const r = this.#o.fits.robot(e.robotId, e.transitions.stateDim, e.transitions.actionDim);
    if (r === undefined) return; // dims checked per batch; cannot happen
    this.#o.logger.debug(
      {
        robotId: e.robotId,
        runId: e.runId,
        episode: e.episode,
        part: e.part,
        steps: e.steps,
        ending,
      },
      'episode complete',
    );
    this.#writes = this.#writes.then(async () => {
      try {
        await this.#o.store.saveEpisode(e);
      } catch (err) {
        // kept in memory and trained on anyway; only a restart would lose it
        this.counters.store_errors++;
        this.#o.logger.error({ err, robotId: e.robotId, episode: e.episode }, 'episode not stored');
      }
      // retention before the piece counts (it never drops the newest), so a fit that the piece
      // makes due already sees the dataset without what retention deleted
      const dropped = await this.#o.store.retain(e.robotId);
      if (dropped.length > 0) this.#o.fits.drop(r, dropped);
      if (this.#o.fits.add(r, e)) this.counters[`episodes_${e.source}`]++;
    });
  }
}
