import assert from 'node:assert/strict';
import {
  ModelChannel,
  Topics,
  TransitionInbox,
  TransitionOutbox,
  Transport,
  encodeModelArtifact,
} from '../../../src/transport/index.js';
import type {
  ModelEvent,
  OutboxTransition,
  TransitionBatch,
  TransportOptions,
} from '../../../src/transport/index.js';
import { decodeTransitionBatch } from '../../../src/transport/TransitionBatchCodec.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { sampleModel } from '../../unit/transport/fixtures.js';

/** What a scenario needs of a broker. */
export interface BrokerUnderTest {
  readonly url: string;
  readonly protocolVersion: 4 | 5;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

const S = 6;
const A = 2;
const topics = new Topics('itest');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await sleep(10);
}

function transition(i: number): OutboxTransition {
  return {
    state: Float32Array.from({ length: S }, (_, j) => i + j),
    action: Float32Array.of(Math.sin(i), Math.cos(i)),
    expertAction: i % 2 === 0 ? Float32Array.of(0.1, 0.2) : null,
    nextState: Float32Array.from({ length: S }, (_, j) => i + j + 1),
    reward: i / 100,
    done: i % 100 === 99,
    episode: Math.floor(i / 100),
    source: 'mpc',
  };
}

function transport(
  broker: BrokerUnderTest,
  clientId: string,
  extra: Partial<TransportOptions> = {},
): Transport {
  const t = new Transport({
    url: broker.url,
    clientId,
    protocolVersion: broker.protocolVersion,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
    connectTimeoutMs: 2000,
    ...extra,
  });
  t.start();
  return t;
}

interface Pair {
  readonly ctl: Transport;
  readonly trn: Transport;
  readonly outbox: TransitionOutbox;
  readonly inbox: TransitionInbox;
  readonly seqs: number[];
  close(): Promise<void>;
}

async function pair(broker: BrokerUnderTest, spoolDir: string, tag: string): Promise<Pair> {
  const trn = transport(broker, `trainer-${tag}`);
  const ctl = transport(broker, `ctl-${tag}`);
  await Promise.all([
    trn.waitConnected({ timeoutMs: 5000 }),
    ctl.waitConnected({ timeoutMs: 5000 }),
  ]);
  const seqs: number[] = [];
  const inbox = new TransitionInbox({
    transport: trn,
    topics,
    robotId: `robot-${tag}`,
    stateDim: S,
    actionDim: A,
    onBatch: (b: TransitionBatch) => {
      for (let i = 0; i < b.count; i++) seqs.push(b.firstSeq + i);
    },
  });
  await inbox.start();
  const outbox = new TransitionOutbox({
    transport: ctl,
    topic: topics.topic(`robot-${tag}`, 'transitions'),
    robotId: `robot-${tag}`,
    stateDim: S,
    actionDim: A,
    spoolDir,
    batchSize: 32,
    flushIntervalMs: 20,
    capacity: 1024,
  });
  outbox.start();
  return {
    ctl,
    trn,
    outbox,
    inbox,
    seqs,
    async close() {
      await outbox.close({ graceMs: 200 });
      await inbox.close();
      await Promise.all([ctl.close(), trn.close()]);
    },
  };
}

/**
 * Pushes `count` transitions, `perTick` at a time with a 2 ms pause between (like a fast control
 * loop); returns the next index. Count-based: how much is streamed does not depend on wall time.
 */
async function stream(p: Pair, from: number, count: number, perTick: number): Promise<number> {
  let i = from;
  const end = from + count;
  while (i < end) {
    for (let k = 0; k < perTick && i < end; k++) p.outbox.push(transition(i++));
    await sleep(2);
  }
  return i;
}

/** Liveness bound of every wait below: long enough only to catch a hang on a loaded machine. */
const HANG_MS = 60_000;

/**
 * Records what the broker delivered to the trainer's client, before the inbox (which de-duplicates
 * and reorders): the first sequence number and count of every batch, in arrival order.
 */
export async function rawSubscriber(
  trn: Transport,
  topic: string,
): Promise<{ batches: Array<[first: number, count: number]>; close: () => Promise<void> }> {
  const batches: Array<[number, number]> = [];
  const close = await trn.subscribe(topic, 1, (_t, payload) => {
    const d = decodeTransitionBatch(payload);
    if (d.ok) batches.push([d.value.firstSeq, d.value.count]);
  });
  return { batches, close };
}

/** The sequence numbers the raw batches carry, in the order they arrived. */
export function rawSeqs(batches: ReadonlyArray<[number, number]>): number[] {
  const out: number[] = [];
  for (const [first, count] of batches) for (let i = 0; i < count; i++) out.push(first + i);
  return out;
}

/** Transitions round-trip: all arrive, in order, decoded equal. */
export async function roundTrip(broker: BrokerUnderTest, spoolDir: string): Promise<void> {
  const p = await pair(broker, spoolDir, 'rt');
  try {
    const raw = await rawSubscriber(p.trn, topics.topic('robot-rt', 'transitions'));
    for (let i = 0; i < 250; i++) p.outbox.push(transition(i));
    p.outbox.flush();
    await until(
      () => p.inbox.counters.accepted >= 250 && rawSeqs(raw.batches).length >= 250,
      HANG_MS,
    );
    assert.deepEqual(p.seqs, [...Array(250).keys()]);
    // at the broker already: in order, each once (the inbox had nothing to repair)
    assert.deepEqual(rawSeqs(raw.batches), [...Array(250).keys()]);
    assert.equal(p.inbox.counters.duplicates, 0);
    assert.equal(p.inbox.counters.rejected, 0);
    await raw.close();
  } finally {
    await p.close();
  }
}

/** Broker stopped during a stream and restarted: 0 lost, order kept, duplicates removed. */
export async function brokerRestart(broker: BrokerUnderTest, spoolDir: string): Promise<void> {
  const p = await pair(broker, spoolDir, 'restart');
  try {
    const raw = await rawSubscriber(p.trn, topics.topic('robot-restart', 'transitions'));
    let n = await stream(p, 0, 600, 4);
    await until(() => rawSeqs(raw.batches).length >= n, HANG_MS);
    const beforeOutage = rawSeqs(raw.batches);
    await broker.pause();
    await until(() => !p.ctl.connected, HANG_MS);
    n = await stream(p, n, 1600, 4);
    p.outbox.flush();
    const offline = p.outbox.levels();
    assert.ok(offline.spoolBytes > 0, 'spool used while the broker was down');
    assert.equal(offline.pendingBytes, 0);
    await broker.resume();
    n = await stream(p, n, 600, 4);
    p.outbox.flush();
    await until(() => p.inbox.counters.accepted >= n, HANG_MS);
    const c = p.outbox.counters;
    assert.equal(
      p.seqs.length,
      n,
      `accepted ${p.seqs.length} of ${n}; outbox ${JSON.stringify(c)}`,
    );
    assert.deepEqual(p.seqs, [...Array(n).keys()], 'order kept, no duplicates');
    assert.equal(c.dropped, 0);
    assert.ok(c.spooled > 0 && c.drained > 0, JSON.stringify(c));
    assert.equal(p.inbox.counters.gaps, 0);
    // At the broker: before the outage in order and once; across it, every transition at least
    // once, but not always in order (a batch in flight at the pause is resent after the reconnect,
    // beside the spool's drain): the inbox puts them back in order and removes the redeliveries.
    assert.deepEqual(beforeOutage, [...Array(600).keys()]);
    const delivered = new Set(rawSeqs(raw.batches));
    assert.equal(delivered.size, n, 'every transition reached the trainer at least once');
    await raw.close();
    // A redelivered batch (at-least-once) is removed.
    const before = p.inbox.counters.duplicates;
    const dup = await import('../../../src/transport/TransitionBatchCodec.js');
    const again = dup.encodeTransitionBatch({
      robotId: 'robot-restart',
      runId: p.outbox.runId,
      episode: 0,
      firstSeq: 0,
      count: 1,
      stateDim: S,
      actionDim: A,
      source: 'mpc',
      states: transition(0).state,
      actions: transition(0).action,
      expertActions: Float32Array.of(0.1, 0.2),
      nextStates: transition(0).nextState,
      rewards: Float32Array.of(0),
      dones: Uint8Array.of(0),
    });
    await p.ctl.publishAsync(topics.topic('robot-restart', 'transitions'), again, { qos: 1 });
    await until(() => p.inbox.counters.duplicates > before, HANG_MS);
    assert.equal(p.inbox.counters.duplicates, before + 1);
    assert.equal(p.seqs.length, n);
  } finally {
    await p.close();
  }
}

/**
 * A burst of 20,000 transitions pushed as fast as the loop can (yielding every 512): all arrive,
 * in order, nothing dropped. Its rate is a bench figure: bench/transportThroughput.ts.
 */
export async function burst(broker: BrokerUnderTest, spoolDir: string): Promise<void> {
  const p = await pair(broker, spoolDir, 'tp');
  try {
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      p.outbox.push(transition(i));
      if (i % 512 === 511) await new Promise((r) => setImmediate(r));
    }
    p.outbox.flush();
    await until(() => p.inbox.counters.accepted >= total, HANG_MS);
    assert.equal(p.inbox.counters.accepted, total);
    assert.equal(p.seqs.length, total);
    for (let i = 0; i < total; i++) if (p.seqs[i] !== i) assert.fail(`out of order at ${i}`);
    assert.equal(p.outbox.counters.dropped, 0);
  } finally {
    await p.close();
  }
}

/** Anonymous client refused when the broker requires auth; the right credentials connect. */
export async function authRequired(
  broker: BrokerUnderTest,
  username: string,
  password: string,
): Promise<void> {
  const anon = transport(broker, 'anon');
  try {
    await assert.rejects(anon.waitConnected({ timeoutMs: 3000 }), (e) =>
      isStriderError(e, 'BROKER_REFUSED'),
    );
  } finally {
    await anon.close();
  }
  const wrong = transport(broker, 'wrong', { username, password: `${password}x` });
  try {
    await assert.rejects(wrong.waitConnected({ timeoutMs: 3000 }), (e) =>
      isStriderError(e, 'BROKER_REFUSED'),
    );
  } finally {
    await wrong.close();
  }
  const ok = transport(broker, 'ok', { username, password });
  try {
    await ok.waitConnected({ timeoutMs: 3000 });
    assert.ok(ok.connected);
  } finally {
    await ok.close();
  }
}

/** Corrupt, NaN, wrong-shape, truncated models rejected; a good one afterwards accepted; retained. */
export async function modelChannel(broker: BrokerUnderTest): Promise<void> {
  const trainer = transport(broker, 'm-trainer');
  const ctl = transport(broker, 'm-ctl', { session: 'clean' });
  const late = transport(broker, 'm-late', { session: 'clean' });
  try {
    await Promise.all([trainer.waitConnected(), ctl.waitConnected()]);
    const pub = new ModelChannel({ transport: trainer, topics });
    const sub = new ModelChannel({ transport: ctl, topics });
    const events: ModelEvent[] = [];
    await sub.subscribe('dog', (e) => events.push(e));
    const topic = topics.topic('dog', 'model');
    const good = encodeModelArtifact(sampleModel(1));
    const corrupt = Buffer.from(good);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 3) ^ 0xff, corrupt.length - 3);
    const nanModel = sampleModel(2);
    nanModel.snapshot.weights[0]![0] = Number.NaN;
    const wrong = sampleModel(3);
    const bad = [
      corrupt,
      encodeModelArtifact(nanModel),
      encodeModelArtifact({
        ...wrong,
        snapshot: { ...wrong.snapshot, weights: wrong.snapshot.weights.slice(1) },
      }),
      good.subarray(0, good.length - 10),
      Buffer.from('garbage'),
    ];
    for (const b of bad) await trainer.publishAsync(topic, b, { qos: 1, retain: true });
    await until(() => events.length >= bad.length, 3000);
    assert.deepEqual(
      events.map((e) => (e.type === 'rejected' ? e.code : e.type)),
      [
        'ARTIFACT_CHECKSUM',
        'NON_FINITE',
        'MODEL_SHAPE_MISMATCH',
        'ARTIFACT_INVALID',
        'PAYLOAD_INVALID',
      ],
    );
    await pub.publish('dog', sampleModel(4));
    await until(() => events.length > bad.length, 3000);
    const last = events[events.length - 1];
    if (last?.type !== 'accepted')
      assert.fail(`expected an accepted model, got ${JSON.stringify(last)}`);
    assert.deepEqual(last.model.snapshot, sampleModel(4).snapshot);
    assert.deepEqual(sub.counters, { received: 6, accepted: 1, rejected: 5, repeated: 0 });
    // A controller joining later gets the retained latest model at once.
    await late.waitConnected();
    // this one decodes where the controller does, in the gap after a tick (TickGaps.defer)
    const deferred: (() => void)[] = [];
    const lateSub = new ModelChannel({ transport: late, topics, defer: (w) => deferred.push(w) });
    const lateEvents: ModelEvent[] = [];
    await lateSub.subscribe('dog', (e) => lateEvents.push(e));
    await until(() => deferred.length > 0, 3000);
    assert.equal(lateEvents.length, 0, 'decoded before the deferred work ran');
    deferred.shift()!();
    assert.equal(lateEvents[0]?.type, 'accepted');
    await trainer.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
    await Promise.all([sub.close(), lateSub.close()]);
  } finally {
    await Promise.all([trainer.close(), ctl.close(), late.close()]);
  }
}
