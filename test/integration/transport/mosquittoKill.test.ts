import assert from 'node:assert/strict';
import {
  Topics,
  TransitionInbox,
  TransitionOutbox,
  Transport,
  type OutboxTransition,
} from '../../../src/transport/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { hasMosquitto, Mosquitto, MOSQUITTO, type MosquittoPersistence } from './brokers.js';
import { rawSeqs, rawSubscriber } from './scenarios.js';
import { requireInCi } from '../../helpers/requireInCi.js';

const S = 6;
const A = 2;
const BATCH = 32;
const topics = new Topics('kill');
const TOPIC = topics.topic('robot-k', 'transitions');
/** A bound on a hang only (a loaded machine), never a measurement. */
const HANG_MS = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + HANG_MS;
  while (!cond() && Date.now() < end) await sleep(10);
}

function transition(i: number): OutboxTransition {
  return {
    state: new Float32Array(S).fill(i),
    action: new Float32Array(A).fill(i),
    expertAction: null,
    nextState: new Float32Array(S).fill(i + 1),
    reward: 0,
    done: false,
    episode: 0,
    source: 'mpc',
  };
}

/** The trainer's side: a persistent session, its inbox, and a raw subscriber before the inbox. */
async function trainer(url: string, seqs: number[]) {
  const trn = new Transport({
    url,
    clientId: 'kill-trainer',
    protocolVersion: 5,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
  });
  const session: boolean[] = [];
  trn.on('connect', ({ sessionPresent }) => session.push(sessionPresent));
  trn.start();
  // Handlers go in before the CONNACK: a resumed session's queued batches arrive right after it,
  // and a message no handler is registered for yet is not delivered to any.
  const inbox = new TransitionInbox({
    transport: trn,
    topics,
    robotId: 'robot-k',
    stateDim: S,
    actionDim: A,
    onBatch: (b) => {
      for (let i = 0; i < b.count; i++) seqs.push(b.firstSeq + i);
    },
  });
  const [, raw] = await Promise.all([inbox.start(), rawSubscriber(trn, TOPIC)]);
  await trn.waitConnected({ timeoutMs: HANG_MS });
  return { trn, inbox, raw, session };
}

/**
 * kill -9 of mosquitto while the controller streams and the trainer is away (its persistent
 * session queues the batches at the broker). QoS 1 is a promise between each client and the
 * broker: PUBACK means the broker took a batch, not that the trainer got it. What the broker
 * held and had not written to disk dies with it. Returns the sequence numbers the trainer never
 * got, and whether the broker still knew the trainer's session after the restart.
 */
async function killMidStream(
  persistence: MosquittoPersistence,
): Promise<{ lost: number[]; sessionPresent: boolean; total: number }> {
  const tmp = tempDir('strider-kill-');
  const broker = await Mosquitto.start(tmp.dir, undefined, persistence);
  const ctl = new Transport({
    url: broker.url,
    clientId: 'kill-ctl',
    protocolVersion: 5,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
  });
  ctl.start();
  const outbox = new TransitionOutbox({
    transport: ctl,
    topic: TOPIC,
    robotId: 'robot-k',
    stateDim: S,
    actionDim: A,
    spoolDir: `${tmp.dir}/spool`,
    batchSize: BATCH,
    flushIntervalMs: 20,
    capacity: 1024,
  });
  const seqs: number[] = [];
  let t = await trainer(broker.url, seqs);
  try {
    await ctl.waitConnected({ timeoutMs: HANG_MS });
    outbox.start();
    let n = 0;
    const push = async (count: number): Promise<void> => {
      for (const end = n + count; n < end;) {
        outbox.push(transition(n++));
        if (n % BATCH === 0) await sleep(2);
      }
      outbox.flush();
    };
    // 1. the trainer online: 4 batches arrive
    await push(4 * BATCH);
    await until(() => seqs.length >= n);
    assert.equal(seqs.length, n);
    // 2. the trainer goes away (its session stays); 10 batches are queued for it at the broker
    await t.trn.close();
    await push(10 * BATCH);
    await until(() => outbox.counters.published >= n);
    assert.equal(outbox.counters.published, n, 'the broker acknowledged every batch');
    // 3. kill -9, restart, the trainer comes back, 4 more batches stream
    await broker.kill();
    await broker.resume();
    await until(() => ctl.connected);
    await t.inbox.close();
    t = await trainer(broker.url, seqs);
    await push(4 * BATCH);
    await until(() => seqs.includes(n - 1));
    await sleep(300); // late redeliveries, if any, would arrive now
    const got = new Set(seqs);
    const lost = [...Array(n).keys()].filter((i) => !got.has(i));
    // whatever arrived, arrived in order and once, at the broker already
    assert.deepEqual(
      seqs,
      [...got].sort((a, b) => a - b),
    );
    assert.deepEqual(
      rawSeqs(t.raw.batches),
      seqs.slice(seqs.length - rawSeqs(t.raw.batches).length),
    );
    assert.equal(outbox.counters.dropped, 0);
    return { lost, sessionPresent: t.session[0] ?? false, total: n };
  } finally {
    await outbox.close({ graceMs: 200 });
    await t.inbox.close();
    await Promise.all([t.trn.close(), ctl.close()]);
    await broker.close();
    tmp.cleanup();
  }
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

const title = hasMosquitto
  ? 'transport: kill -9 of mosquitto with batches queued for an absent trainer'
  : `transport: kill -9 of mosquitto (skipped: mosquitto not installed at ${MOSQUITTO})`;

describe(title, function () {
  this.timeout(180_000);
  before(function () {
    requireInCi(this, hasMosquitto, 'mosquitto (/usr/sbin/mosquitto)');
  });

  it('without persistence: every queued batch and the trainer\u2019s session are lost', async () => {
    const r = await killMidStream('off');
    assert.equal(r.total, 18 * BATCH);
    assert.deepEqual(r.lost, range(4 * BATCH, 14 * BATCH));
    assert.equal(r.sessionPresent, false);
  });

  it('with persistence saved only at shutdown (mosquitto\u2019s default): the same loss', async () => {
    const r = await killMidStream('on_shutdown');
    assert.deepEqual(r.lost, range(4 * BATCH, 14 * BATCH));
    assert.equal(r.sessionPresent, false);
  });

  it('with persistence saved on every change: nothing is lost, the session survives', async () => {
    const r = await killMidStream('every_change');
    // measured: none lost; mosquitto saves after handling a change, so at most the batch whose
    // PUBACK raced the save could be
    assert.ok(
      r.lost.every((i) => i >= 13 * BATCH && i < 14 * BATCH),
      `lost ${r.lost.length}: ${r.lost.slice(0, 4).join(',')}...`,
    );
    assert.equal(r.sessionPresent, true);
  });
});
