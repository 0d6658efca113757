/**
 * The trainer's side of the transition stream: subscribes (optionally as a shared subscription),
 * decodes and validates every payload, drops duplicates by (robot, run, sequence number) and
 * hands batches on in sequence order per robot. Garbage is rejected with a reason (logged with a
 * throttle) and counted; nothing a sender does can make it throw.
 */

import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { Throttle } from './Throttle.js';
import { COMMAND_DIM, decodeTransitionBatch } from './TransitionBatchCodec.js';
import type { Topics } from './topics.js';
import type { Transport } from './Transport.js';
import type { TransitionBatch } from './types.js';

/** Counts since start. */
export interface InboxCounters {
  /** Payloads received. */
  payloads: number;
  /** Payloads rejected by validation (or for the wrong robot / dimensions). */
  rejected: number;
  /** Transitions handed to `onBatch`. */
  accepted: number;
  /** Transitions received again (at-least-once delivery) and dropped. */
  duplicates: number;
  /** Transitions never received: skipped after the reorder window (or missing under sharing). */
  gaps: number;
}

export interface TransitionInboxOptions {
  readonly transport: Pick<Transport, 'subscribe'>;
  readonly topics: Topics;
  /** Called in sequence order per (robot, run). Must not throw (a throw is logged). */
  readonly onBatch: (batch: TransitionBatch) => void;
  /** Subscribe to this robot only; default every robot (`+`). */
  readonly robotId?: string;
  /** Join this shared-subscription group: the broker splits messages across its members. */
  readonly shareGroup?: string;
  /** Reject batches whose S / A differ (when set). */
  readonly stateDim?: number;
  readonly actionDim?: number;
  /**
   * How long a batch that arrives after a gap waits for the missing ones before the gap is
   * skipped (and counted). Default 2000; 0 (the default with `shareGroup`, where each trainer
   * sees only part of a stream) delivers at once.
   */
  readonly reorderWindowMs?: number;
  /** Batches held per stream while waiting for a gap; beyond it the gap is skipped. Default 1024. */
  readonly maxHeldBatches?: number;
  /** Streams tracked; the oldest is forgotten beyond it. Default 10000. */
  readonly maxStreams?: number;
  readonly logger?: Logger;
}

interface Stream {
  readonly key: string;
  nextSeq: number;
  readonly held: TransitionBatch[];
  timer: NodeJS.Timeout | undefined;
}

export class TransitionInbox {
  readonly counters: InboxCounters = {
    payloads: 0,
    rejected: 0,
    accepted: 0,
    duplicates: 0,
    gaps: 0,
  };
  readonly #o: TransitionInboxOptions;
  readonly #log: Logger;
  readonly #throttle = new Throttle(5000);
  readonly #streams = new Map<string, Stream>();
  readonly #windowMs: number;
  #lastRejection: { code: string; reason: string } | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(options: TransitionInboxOptions) {
    this.#o = options;
    this.#windowMs = options.reorderWindowMs ?? (options.shareGroup === undefined ? 2000 : 0);
    this.#log = (options.logger ?? silentLogger()).child({ component: 'inbox' });
  }

  /** The most recent rejection, for reports and tests. */
  get lastRejection(): { code: string; reason: string } | undefined {
    return this.#lastRejection;
  }

  /** The MQTT filter this inbox subscribes to. */
  get filter(): string {
    const { topics, shareGroup, robotId } = this.#o;
    if (shareGroup !== undefined) return topics.shared(shareGroup, 'transitions');
    return robotId === undefined
      ? topics.allRobots('transitions')
      : topics.topic(robotId, 'transitions');
  }

  /** Subscribes with QoS 1. Rejects BROKER_REFUSED / BROKER_UNREACHABLE from the transport. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#o.transport.subscribe(this.filter, 1, (topic, payload) => {
      this.handle(topic, payload);
    });
  }

  /** Processes one payload as if received on `topic`. Never throws. */
  handle(topic: string, payload: Uint8Array): void {
    if (this.#closed) return;
    this.counters.payloads++;
    const parsed = this.#o.topics.parse(topic);
    if (parsed?.channel !== 'transitions') {
      this.#reject('PAYLOAD_INVALID', `topic ${topic} is not a transitions topic`);
      return;
    }
    const r = decodeTransitionBatch(payload);
    if (!r.ok) {
      this.#reject(r.code, r.reason);
      return;
    }
    const b = r.value;
    if (b.robotId !== parsed.robotId) {
      this.#reject(
        'PAYLOAD_INVALID',
        `robotId: "${b.robotId}" on the topic of "${parsed.robotId}"`,
      );
      return;
    }
    const { stateDim, actionDim } = this.#o;
    if (
      (stateDim !== undefined && b.stateDim !== stateDim) ||
      (actionDim !== undefined && b.actionDim !== actionDim)
    ) {
      this.#reject(
        'PAYLOAD_INVALID',
        `dims: S ${b.stateDim}, A ${b.actionDim}; this trainer expects S ${stateDim ?? '?'}, A ${actionDim ?? '?'}`,
      );
      return;
    }
    this.#accept(b);
  }

  /** Unsubscribes, delivers what is held (skipping gaps) and clears timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const s of this.#streams.values()) {
      while (s.held.length > 0) this.#skipGap(s);
      clearTimeout(s.timer);
    }
    this.#closed = true;
    this.#streams.clear();
    const unsub = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (unsub !== undefined) {
      try {
        await unsub();
      } catch (err) {
        this.#log.debug({ err }, 'unsubscribe failed at close');
      }
    }
  }

  #accept(b: TransitionBatch): void {
    const key = `${b.robotId}\u0000${b.runId}`;
    let s = this.#streams.get(key);
    if (s === undefined) {
      s = { key, nextSeq: b.firstSeq, held: [], timer: undefined };
      this.#streams.set(key, s);
      this.#evict();
    }
    const end = b.firstSeq + b.count;
    if (end <= s.nextSeq) {
      this.counters.duplicates += b.count;
      return;
    }
    if (b.firstSeq > s.nextSeq && this.#windowMs > 0) {
      this.#hold(s, b);
      return;
    }
    this.#deliver(s, b);
    this.#release(s);
  }

  /** Delivers `b` past `s.nextSeq` (trimming an overlap, counting a gap). */
  #deliver(s: Stream, b: TransitionBatch): void {
    const end = b.firstSeq + b.count;
    if (end <= s.nextSeq) {
      this.counters.duplicates += b.count;
      return;
    }
    let batch = b;
    if (b.firstSeq < s.nextSeq) {
      const skip = s.nextSeq - b.firstSeq;
      this.counters.duplicates += skip;
      batch = sliceBatch(b, skip);
    } else if (b.firstSeq > s.nextSeq) {
      this.counters.gaps += b.firstSeq - s.nextSeq;
    }
    s.nextSeq = end;
    this.counters.accepted += batch.count;
    try {
      this.#o.onBatch(batch);
    } catch (err) {
      if (this.#throttle.allow('onBatch'))
        this.#log.error({ err }, 'onBatch threw; batch counted as accepted');
    }
  }

  #hold(s: Stream, b: TransitionBatch): void {
    let i = s.held.length;
    while (i > 0 && s.held[i - 1]!.firstSeq > b.firstSeq) i--;
    s.held.splice(i, 0, b);
    if (s.held.length > (this.#o.maxHeldBatches ?? 1024)) {
      this.#skipGap(s);
      return;
    }
    s.timer ??= setTimeout(() => {
      s.timer = undefined;
      this.#skipGap(s);
    }, this.#windowMs);
  }

  /** Gives up on the gap before the first held batch. */
  #skipGap(s: Stream): void {
    const first = s.held.shift();
    if (first === undefined) return;
    if (first.firstSeq > s.nextSeq && this.#throttle.allow('gap')) {
      this.#log.warn(
        { stream: s.key, from: s.nextSeq, to: first.firstSeq },
        'transitions missing; gap skipped',
      );
    }
    this.#deliver(s, first);
    this.#release(s);
  }

  /** Delivers held batches that are now contiguous; re-arms the timer for a remaining gap. */
  #release(s: Stream): void {
    while (s.held.length > 0 && s.held[0]!.firstSeq <= s.nextSeq) this.#deliver(s, s.held.shift()!);
    if (s.held.length === 0) {
      clearTimeout(s.timer);
      s.timer = undefined;
    } else if (s.timer === undefined && !this.#closed) {
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.#skipGap(s);
      }, this.#windowMs);
    }
  }

  #evict(): void {
    const max = this.#o.maxStreams ?? 10_000;
    while (this.#streams.size > max) {
      const oldest = this.#streams.values().next().value;
      if (oldest === undefined) return;
      while (oldest.held.length > 0) this.#skipGap(oldest);
      clearTimeout(oldest.timer);
      this.#streams.delete(oldest.key);
    }
  }

  #reject(code: string, reason: string): void {
    this.counters.rejected++;
    this.#lastRejection = { code, reason };
    if (this.#throttle.allow('reject')) {
      const suppressed = this.#throttle.takeSuppressed('reject');
      this.#log.warn(
        { code, rejected: this.counters.rejected, suppressed },
        `transition payload rejected: ${reason}`,
      );
    }
  }
}

/** The batch without its first `skip` transitions (views, no copy). */
function sliceBatch(b: TransitionBatch, skip: number): TransitionBatch {
  const S = b.stateDim;
  const A = b.actionDim;
  return {
    ...b,
    firstSeq: b.firstSeq + skip,
    count: b.count - skip,
    states: b.states.subarray(skip * S),
    actions: b.actions.subarray(skip * A),
    expertActions: b.expertActions.subarray(skip * A),
    ...(b.commands === undefined ? {} : { commands: b.commands.subarray(skip * COMMAND_DIM) }),
    nextStates: b.nextStates.subarray(skip * S),
    rewards: b.rewards.subarray(skip),
    dones: b.dones.subarray(skip),
  };
}
