/**
 * The retention policy of the trainer's store (issue 14): per robot, at most `maxTransitions`
 * transitions and `maxBytes` bytes of episode files; over a limit, the oldest D_rl pieces go
 * first, D_rand is never dropped, and the newest piece is always kept. Bookkeeping only: the
 * store deletes the files and the fit schedule forgets the pieces.
 */

import type { Episode } from './EpisodeAssembler.js';
import { datasetOf, type DataSource } from './types.js';

/** What the store keeps; 0 means no limit. */
export interface RetentionLimits {
  readonly maxTransitions: number;
  readonly maxBytes: number;
  /** Model version folders kept per robot (the newest; at least 1). */
  readonly keepModels: number;
}

/** What retention has deleted since start (folded into the trainer's counters). */
export interface RetentionCounters {
  retention_episodes_dropped: number;
  retention_transitions_dropped: number;
  retention_bytes_dropped: number;
  retention_models_dropped: number;
}

/** One stored piece as retention sees it. */
export interface StoredPiece {
  readonly path: string;
  readonly set: DataSource;
  readonly steps: number;
  readonly bytes: number;
  readonly episode: Episode;
}

/** One robot's stored pieces, oldest first, with their totals. */
export class RetentionIndex {
  readonly #limits: RetentionLimits;
  readonly #pieces: StoredPiece[] = [];
  #transitions = 0;
  #bytes = 0;

  constructor(limits: RetentionLimits) {
    this.#limits = limits;
  }

  get transitions(): number {
    return this.#transitions;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(path: string, episode: Episode, bytes: number): void {
    this.#pieces.push({
      path,
      set: datasetOf(episode.source),
      steps: episode.steps,
      bytes,
      episode,
    });
    this.#transitions += episode.steps;
    this.#bytes += bytes;
  }

  /** True when the pieces held exceed a limit. */
  over(): boolean {
    const { maxTransitions: t, maxBytes: b } = this.#limits;
    return (t > 0 && this.#transitions > t) || (b > 0 && this.#bytes > b);
  }

  /**
   * Takes out the oldest D_rl piece other than the newest piece, or returns undefined when there
   * is none (what is left is D_rand and the newest piece).
   */
  takeOldestRl(): StoredPiece | undefined {
    const i = this.#pieces.findIndex((p, k) => p.set === 'rl' && k < this.#pieces.length - 1);
    if (i < 0) return undefined;
    const [p] = this.#pieces.splice(i, 1);
    if (p === undefined) return undefined;
    this.#transitions -= p.steps;
    this.#bytes -= p.bytes;
    return p;
  }
}
