/**
 * The controller's side of the transition stream. The control loop's transition sink calls
 * {@link TransitionOutbox.push}: O(1), copies into preallocated ring storage, never touches the
 * network or disk. Off the tick (setImmediate / a timer) the ring is cut into batches, encoded
 * and published with QoS 1; while the broker is unreachable, or more than `maxPendingBytes` wait
 * in memory, batches go to a disk spool, drained oldest-first on reconnect before newer data.
 * A batch leaves our responsibility only on PUBACK. Data is dropped only when the spool's disk
 * limit is hit, and every drop is counted.
 */

import { randomInt } from 'node:crypto';
import type { ActionSource } from '../control/types.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { DiskSpool, type SpoolRecord } from './DiskSpool.js';
import { Throttle } from './Throttle.js';
import {
  COMMAND_DIM,
  SOURCE_CODES,
  encodeTransitionBatch,
  peekTransitionBatch,
} from './TransitionBatchCodec.js';

/** One transition as the controller hands it over. Buffers are borrowed: push copies them. */
export interface OutboxTransition {
  /** S values, s_t. */
  readonly state: Float32Array;
  /** A values, the executed a_t. */
  readonly action: Float32Array;
  /** A values, the expert (MPC) label for s_t; null when there is none. */
  readonly expertAction: Float32Array | null;
  /**
   * The task's command at s_t (vx, vy, yaw rate): required when the outbox was made with
   * `commandDim` 3, ignored otherwise.
   */
  readonly command?: Float32Array;
  /** S values, s_{t+1}. */
  readonly nextState: Float32Array;
  readonly reward: number;
  /** s_{t+1} ended the episode. */
  readonly done: boolean;
  /** Episode index within this run (u32). */
  readonly episode: number;
  readonly source: ActionSource;
}

/** Transition counts since start (batches counted by their transitions). */
export interface OutboxCounters {
  /** Pushed by the controller. */
  queued: number;
  /** Acknowledged by the broker (PUBACK), including those drained from the spool. */
  published: number;
  /** Written to the disk spool. */
  spooled: number;
  /** Read back from the spool and acknowledged. */
  drained: number;
  /** Lost because the spool was at its disk limit (or could not be written). */
  dropped: number;
}

/** What the outbox holds right now, for monitoring and tests. */
export interface OutboxLevels {
  /** Transitions in the ring, not yet encoded (<= capacity). */
  readonly ring: number;
  /** Encoded batches waiting in memory. */
  readonly pendingBatches: number;
  readonly pendingBytes: number;
  /** Batches handed to MQTT, not yet acknowledged (<= maxInflight), plus ones waiting to be resent. */
  readonly inflight: number;
  readonly spoolBytes: number;
}

/** The part of the Transport the outbox uses (a fake in unit tests). */
export interface OutboxTransport {
  readonly connected: boolean;
  publish(
    topic: string,
    payload: Buffer,
    options: { qos: 0 | 1; retain?: boolean },
    done?: (err: Error | undefined) => void,
  ): void;
  on(event: 'connect' | 'offline', listener: () => void): unknown;
  off(event: 'connect' | 'offline', listener: () => void): unknown;
}

export interface TransitionOutboxOptions {
  readonly transport: OutboxTransport;
  /** Topic to publish to, e.g. `topics.topic(robotId, 'transitions')`. */
  readonly topic: string;
  readonly robotId: string;
  /** S. */
  readonly stateDim: number;
  /** A. */
  readonly actionDim: number;
  /**
   * Command values per transition: 3 (vx, vy, yaw rate) when the task has a command, so every
   * batch carries the command column; 0 (default): none.
   */
  readonly commandDim?: 0 | typeof COMMAND_DIM;
  /** Spool folder; segments left there by a previous run are drained first. */
  readonly spoolDir: string;
  /** Spool disk limit. Default 256 MiB. */
  readonly spoolLimitBytes?: number;
  /** Spool segment size. Default 1 MiB. */
  readonly spoolSegmentBytes?: number;
  /** Ring capacity in transitions. Default 4096. */
  readonly capacity?: number;
  /** Most transitions per batch. Default 64. */
  readonly batchSize?: number;
  /** A partial batch is sent after at most this long. Default 100. */
  readonly flushIntervalMs?: number;
  /** Encoded batches kept in memory while connected before spilling to disk. Default 4 MiB. */
  readonly maxPendingBytes?: number;
  /** QoS 1 batches awaiting PUBACK at once. Default 8. */
  readonly maxInflight?: number;
  /** u32 identifying this run's sequence stream; default random. */
  readonly runId?: number;
  readonly logger?: Logger;
}

interface OutItem {
  readonly payload: Buffer;
  readonly count: number;
  readonly record: SpoolRecord | undefined;
  /** Publish order, so resends keep it. */
  order: number;
}

export class TransitionOutbox {
  readonly counters: OutboxCounters = {
    queued: 0,
    published: 0,
    spooled: 0,
    drained: 0,
    dropped: 0,
  };
  readonly runId: number;
  readonly #t: OutboxTransport;
  readonly #topic: string;
  readonly #robotId: string;
  readonly #S: number;
  readonly #A: number;
  /** C: command values per transition (0 or 3). */
  readonly #C: number;
  readonly #cap: number;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxPendingBytes: number;
  readonly #maxInflight: number;
  readonly #spool: DiskSpool;
  readonly #log: Logger;
  readonly #throttle = new Throttle(5000);
  // Ring storage, allocated once.
  readonly #st: Float32Array;
  readonly #ac: Float32Array;
  readonly #ex: Float32Array;
  /** cap x C commands (empty when C is 0). */
  readonly #cm: Float32Array;
  readonly #ns: Float32Array;
  readonly #rw: Float32Array;
  readonly #dn: Uint8Array;
  readonly #ep: Uint32Array;
  readonly #src: Uint8Array;
  #head = 0;
  #size = 0;
  #nextSeq = 0;
  readonly #pending: OutItem[] = [];
  #pendingBytes = 0;
  readonly #inflight = new Set<OutItem>();
  readonly #retry: OutItem[] = [];
  #order = 0;
  #holdForResend = false;
  #pausedUntilMs = 0;
  #flushScheduled = false;
  #closingFlush = false;
  #timer: NodeJS.Timeout | undefined;
  #pauseTimer: NodeJS.Timeout | undefined;
  #state: 'idle' | 'running' | 'closed' = 'idle';
  readonly #onConnect = (): void => {
    // mqtt.js resends what was in flight first; newer data waits until that settles.
    if (this.#inflight.size > 0) this.#holdForResend = true;
    this.#pump();
  };
  readonly #onOffline = (): void => {
    this.#spillPending();
  };
  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  constructor(options: TransitionOutboxOptions) {
    const S = options.stateDim;
    const A = options.actionDim;
    const cap = options.capacity ?? 4096;
    if (!Number.isInteger(S) || !Number.isInteger(A) || S < 1 || A < 1 || S > 65535 || A > 65535) {
      throw new StriderError(
        'CONFIG_INVALID',
        `outbox stateDim ${S} / actionDim ${A} must be integers in 1..65535`,
      );
    }
    if (!Number.isInteger(cap) || cap < 1)
      throw new StriderError('CONFIG_INVALID', `outbox capacity ${cap} must be >= 1`);
    this.#t = options.transport;
    this.#topic = options.topic;
    this.#robotId = options.robotId;
    this.#S = S;
    this.#A = A;
    this.#C = options.commandDim ?? 0;
    this.#cap = cap;
    this.#batchSize = Math.max(1, Math.min(options.batchSize ?? 64, cap));
    this.#flushIntervalMs = options.flushIntervalMs ?? 100;
    this.#maxPendingBytes = options.maxPendingBytes ?? 4 << 20;
    this.#maxInflight = Math.max(1, options.maxInflight ?? 8);
    this.runId = (options.runId ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
    this.#log = (options.logger ?? silentLogger()).child({
      component: 'outbox',
      robotId: options.robotId,
    });
    this.#spool = new DiskSpool({
      dir: options.spoolDir,
      limitBytes: options.spoolLimitBytes ?? 256 << 20,
      segmentBytes: options.spoolSegmentBytes ?? 1 << 20,
      logger: this.#log,
    });
    this.#st = new Float32Array(cap * S);
    this.#ns = new Float32Array(cap * S);
    this.#ac = new Float32Array(cap * A);
    this.#ex = new Float32Array(cap * A);
    this.#cm = new Float32Array(cap * this.#C);
    this.#rw = new Float32Array(cap);
    this.#dn = new Uint8Array(cap);
    this.#ep = new Uint32Array(cap);
    this.#src = new Uint8Array(cap);
  }

  /** Starts the flush timer and listens for (re)connects; drains a spool left by a previous run. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#t.on('connect', this.#onConnect);
    this.#t.on('offline', this.#onOffline);
    this.#timer = setInterval(this.#flushNow, this.#flushIntervalMs);
    this.#pump();
  }

  /**
   * Called from the control tick: copies one transition into the ring. O(1), no I/O, no
   * allocation except one setImmediate per full batch. If the ring is full (the event loop has
   * not run the flush for `capacity` pushes) it encodes in place first, so nothing is lost.
   * Throws MODEL_SHAPE_MISMATCH on wrong lengths (a command is required when `commandDim` is 3)
   * and LOOP_STATE after close().
   */
  push(t: OutboxTransition): void {
    if (this.#state === 'closed') throw new StriderError('LOOP_STATE', 'outbox is closed');
    const S = this.#S;
    const A = this.#A;
    const C = this.#C;
    if (
      t.state.length !== S ||
      t.nextState.length !== S ||
      t.action.length !== A ||
      (t.expertAction !== null && t.expertAction.length !== A) ||
      (C > 0 && t.command?.length !== C)
    ) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `outbox transition lengths must be S=${S}, A=${A}, command ${C}`,
      );
    }
    if (this.#size === this.#cap) this.flush();
    const slot = (this.#head + this.#size) % this.#cap;
    this.#st.set(t.state, slot * S);
    this.#ns.set(t.nextState, slot * S);
    this.#ac.set(t.action, slot * A);
    if (t.expertAction === null) this.#ex.fill(Number.NaN, slot * A, slot * A + A);
    else this.#ex.set(t.expertAction, slot * A);
    if (C > 0) this.#cm.set(t.command!, slot * C);
    this.#rw[slot] = t.reward;
    this.#dn[slot] = t.done ? 1 : 0;
    this.#ep[slot] = t.episode;
    this.#src[slot] = SOURCE_CODES.indexOf(t.source);
    this.#size++;
    this.#nextSeq++;
    this.counters.queued++;
    if (this.#size >= this.#batchSize && !this.#flushScheduled && this.#state === 'running') {
      this.#flushScheduled = true;
      setImmediate(this.#flushNow);
    }
  }

  /** Encodes everything in the ring into batches (cut at episode and source changes) and sends. */
  flush(): void {
    while (this.#size > 0) {
      const head = this.#head;
      const ep = this.#ep[head]!;
      const src = this.#src[head]!;
      const limit = Math.min(this.#size, this.#batchSize, this.#cap - head);
      let n = 1;
      while (n < limit && this.#ep[head + n] === ep && this.#src[head + n] === src) n++;
      const S = this.#S;
      const A = this.#A;
      const C = this.#C;
      const payload = encodeTransitionBatch({
        robotId: this.#robotId,
        runId: this.runId,
        episode: ep,
        firstSeq: this.#nextSeq - this.#size,
        count: n,
        stateDim: S,
        actionDim: A,
        source: SOURCE_CODES[src] ?? 'mixed',
        states: this.#st.subarray(head * S, (head + n) * S),
        actions: this.#ac.subarray(head * A, (head + n) * A),
        expertActions: this.#ex.subarray(head * A, (head + n) * A),
        ...(C > 0 ? { commands: this.#cm.subarray(head * C, (head + n) * C) } : {}),
        nextStates: this.#ns.subarray(head * S, (head + n) * S),
        rewards: this.#rw.subarray(head, head + n),
        dones: this.#dn.subarray(head, head + n),
      });
      this.#head = (head + n) % this.#cap;
      this.#size -= n;
      this.#enqueue({ payload, count: n, record: undefined, order: 0 });
    }
    this.#pump();
  }

  /** Current holdings (memory is bounded by these). */
  levels(): OutboxLevels {
    return {
      ring: this.#size,
      pendingBatches: this.#pending.length,
      pendingBytes: this.#pendingBytes,
      inflight: this.#inflight.size + this.#retry.length,
      spoolBytes: this.#spool.bytes,
    };
  }

  /**
   * Stops: encodes the ring, waits up to `graceMs` (default 1000) for what is in memory to be
   * acknowledged while connected, then writes everything unacknowledged to the spool (in-flight
   * batches ahead of older spool segments) so the next start sends it. Frees timers and files.
   * Close the outbox before its transport.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'running') this.flush();
    const deadline = Date.now() + (options.graceMs ?? 1000);
    while (
      this.#t.connected &&
      (this.#pending.length > 0 || this.#inflight.size > 0 || this.#retry.length > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#state = 'closed';
    clearInterval(this.#timer);
    clearTimeout(this.#pauseTimer);
    this.#t.off('connect', this.#onConnect);
    this.#t.off('offline', this.#onOffline);
    // What is left in the ring goes to the spool, after the batches pending in memory.
    this.#closingFlush = true;
    this.flush();
    this.#closingFlush = false;
    this.#spillPending();
    const front = [...this.#inflight, ...this.#retry].sort((a, b) => a.order - b.order);
    this.#inflight.clear();
    this.#retry.length = 0;
    try {
      const written = this.#spool.prepend(front.map((i) => i.payload));
      for (let i = 0; i < front.length; i++) {
        const item = front[i]!;
        if (i < written) {
          if (item.record === undefined) this.counters.spooled += item.count;
        } else if (item.record === undefined) {
          this.#drop(item.count);
        }
      }
    } catch (err) {
      this.#log.error({ err }, 'cannot spool in-flight batches at close');
      for (const i of front) if (i.record === undefined) this.#drop(i.count);
    }
    this.#spool.close();
    this.#log.info({ ...this.counters }, 'outbox closed');
  }

  #enqueue(item: OutItem): void {
    if (
      !this.#closingFlush &&
      this.#t.connected &&
      this.#pendingBytes + item.payload.length <= this.#maxPendingBytes
    ) {
      this.#pending.push(item);
      this.#pendingBytes += item.payload.length;
      return;
    }
    // Offline, over the memory bound, or closing: the spool is the tail of the queue, so what
    // waits in memory goes first to keep the order.
    this.#spillPending();
    this.#spoolItem(item);
  }

  #spillPending(): void {
    for (const item of this.#pending) this.#spoolItem(item);
    this.#pending.length = 0;
    this.#pendingBytes = 0;
  }

  #spoolItem(item: OutItem): void {
    let ok: boolean;
    try {
      ok = this.#spool.append(item.payload);
    } catch (err) {
      ok = false;
      if (this.#throttle.allow('spool-io')) this.#log.error({ err }, 'spool write failed');
    }
    if (ok) this.counters.spooled += item.count;
    else this.#drop(item.count);
  }

  #drop(count: number): void {
    this.counters.dropped += count;
    if (this.#throttle.allow('drop')) {
      this.#log.warn(
        { code: 'SPOOL_FULL', dropped: this.counters.dropped, spoolBytes: this.#spool.bytes },
        'SPOOL_FULL: transition spool at its disk limit; dropping newer batches',
      );
    }
  }

  #pump(): void {
    if (this.#state !== 'running' || this.#closingFlush) return;
    while (
      this.#t.connected &&
      !this.#holdForResend &&
      this.#inflight.size < this.#maxInflight &&
      Date.now() >= this.#pausedUntilMs
    ) {
      let item = this.#retry.shift();
      if (item === undefined) {
        const rec = this.#spool.hasUnread() ? this.#spool.next() : undefined;
        if (rec !== undefined) {
          const head = peekTransitionBatch(rec.payload);
          item = { payload: rec.payload, count: head?.count ?? 0, record: rec, order: 0 };
        }
      }
      if (item === undefined) {
        item = this.#pending.shift();
        if (item !== undefined) this.#pendingBytes -= item.payload.length;
      }
      if (item === undefined) return;
      if (item.order === 0) item.order = ++this.#order;
      this.#send(item);
    }
  }

  #send(item: OutItem): void {
    this.#inflight.add(item);
    this.#t.publish(this.#topic, item.payload, { qos: 1 }, (err) => {
      this.#settled(item, err);
    });
  }

  #settled(item: OutItem, err: Error | undefined): void {
    if (!this.#inflight.delete(item)) return;
    if (err !== undefined) {
      // Not delivered on this connection: resend, keeping the publish order.
      let i = this.#retry.length;
      while (i > 0 && this.#retry[i - 1]!.order > item.order) i--;
      this.#retry.splice(i, 0, item);
      const code = (err as Error & { code?: unknown }).code;
      if (typeof code === 'number') {
        // The broker answered with a failure reason code: back off instead of spinning.
        this.#pausedUntilMs = Date.now() + 1000;
        clearTimeout(this.#pauseTimer);
        this.#pauseTimer = setTimeout(() => {
          this.#pump();
        }, 1000);
      }
      if (this.#throttle.allow('publish-error')) {
        this.#log.warn({ err }, 'batch publish failed; will resend');
      }
    } else {
      this.counters.published += item.count;
      if (item.record !== undefined) {
        this.counters.drained += item.count;
        this.#spool.ack(item.record);
      }
    }
    if (this.#inflight.size === 0) this.#holdForResend = false;
    this.#pump();
  }
}
