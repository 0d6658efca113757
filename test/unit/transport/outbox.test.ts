import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { DiskSpool } from '../../../src/transport/DiskSpool.js';
import {
  Topics,
  TransitionInbox,
  TransitionOutbox,
  decodeTransitionBatch,
} from '../../../src/transport/index.js';
import type {
  OutboxTransition,
  OutboxTransport,
  TransitionBatch,
} from '../../../src/transport/index.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';
import { sampleBatch } from './fixtures.js';
import { encodeTransitionBatch } from '../../../src/transport/TransitionBatchCodec.js';

/** A fake of the transport surface: publishes are recorded and acknowledged on demand. */
class FakeTransport implements OutboxTransport {
  connected = false;
  readonly events = new EventEmitter();
  readonly sent: { payload: Buffer; done: (err: Error | undefined) => void }[] = [];
  autoAck = true;
  publish(
    _topic: string,
    payload: Buffer,
    _o: { qos: 0 | 1 },
    done?: (err: Error | undefined) => void,
  ): void {
    const entry = { payload, done: done ?? ((): void => undefined) };
    this.sent.push(entry);
    if (this.autoAck) {
      queueMicrotask(() => {
        entry.done(undefined);
      });
    }
  }
  on(event: 'connect' | 'offline', listener: () => void): this {
    this.events.on(event, listener);
    return this;
  }
  off(event: 'connect' | 'offline', listener: () => void): this {
    this.events.off(event, listener);
    return this;
  }
  setConnected(up: boolean): void {
    this.connected = up;
    this.events.emit(up ? 'connect' : 'offline', { sessionPresent: true });
  }
}

const S = 3;
const A = 2;
function transition(i: number, episode = 0): OutboxTransition {
  return {
    state: Float32Array.of(i, i + 0.5, -i),
    action: Float32Array.of(i % 7, 1),
    expertAction: i % 3 === 0 ? null : Float32Array.of(0.5, -0.5),
    nextState: Float32Array.of(i + 1, i + 1.5, -i - 1),
    reward: i * 0.1,
    done: false,
    episode,
    source: 'mpc',
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

function seqsOf(payloads: Buffer[]): number[] {
  const out: number[] = [];
  for (const p of payloads) {
    const r = decodeTransitionBatch(p);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    for (let i = 0; i < r.value.count; i++) out.push(r.value.firstSeq + i);
  }
  return out;
}

describe('transport/TransitionOutbox', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.cleanup();
  });

  const make = (
    t: FakeTransport,
    extra: Partial<ConstructorParameters<typeof TransitionOutbox>[0]> = {},
  ): TransitionOutbox =>
    new TransitionOutbox({
      transport: t,
      topic: 'strider/r/transitions',
      robotId: 'r',
      stateDim: S,
      actionDim: A,
      spoolDir: tmp.dir,
      runId: 5,
      capacity: 64,
      batchSize: 16,
      flushIntervalMs: 5,
      ...extra,
    });

  it('publishes batches in order while connected, cut at episode changes', async () => {
    const t = new FakeTransport();
    t.connected = true;
    const box = make(t);
    box.start();
    for (let i = 0; i < 40; i++) box.push(transition(i, i < 20 ? 0 : 1));
    await box.close();
    assert.deepEqual(seqsOf(t.sent.map((s) => s.payload)), [...Array(40).keys()]);
    const episodes = t.sent.map((s) => {
      const r = decodeTransitionBatch(s.payload);
      assert.ok(r.ok);
      return r.value.episode;
    });
    assert.ok(episodes.indexOf(1) > 0 && episodes.slice(episodes.indexOf(1)).every((e) => e === 1));
    assert.deepEqual(box.counters, {
      queued: 40,
      published: 40,
      spooled: 0,
      drained: 0,
      dropped: 0,
    });
  });

  it('carries the task command per transition (copied from a reused buffer) when made with commandDim 3', async () => {
    const t = new FakeTransport();
    t.connected = true;
    const box = make(t, { commandDim: 3 });
    box.start();
    const command = new Float32Array(3); // the caller's one buffer, rewritten every tick
    for (let i = 0; i < 20; i++) {
      command[0] = i * 0.1;
      command[1] = -i;
      command[2] = 0.5;
      box.push({ ...transition(i), command });
    }
    assert.throws(
      () => {
        box.push(transition(20));
      },
      (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH') && /command 3/.test(e.message),
    );
    await box.close();
    const got: number[] = [];
    for (const s of t.sent) {
      const r = decodeTransitionBatch(s.payload);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.ok(r.value.commands !== undefined);
      assert.equal(r.value.commands.length, 3 * r.value.count);
      got.push(...r.value.commands);
    }
    const want = Array.from({ length: 20 }, (_, i) => [Math.fround(i * 0.1), -i, 0.5]).flat();
    assert.deepEqual(got, want);
    // without commandDim the batches carry none
    const plain = new FakeTransport();
    plain.connected = true;
    const box2 = make(plain, { spoolDir: `${tmp.dir}/plain` });
    box2.start();
    box2.push({ ...transition(0), command });
    await box2.close();
    const r = decodeTransitionBatch(plain.sent[0]!.payload);
    assert.ok(r.ok && r.value.commands === undefined);
  });

  it('keeps memory bounded offline: ring <= capacity, nothing pending, the rest on disk', async () => {
    const t = new FakeTransport();
    const box = make(t);
    box.start();
    let maxRing = 0;
    for (let i = 0; i < 5000; i++) {
      box.push(transition(i));
      const lv = box.levels();
      maxRing = Math.max(maxRing, lv.ring);
      assert.equal(lv.pendingBatches, 0);
      assert.equal(lv.pendingBytes, 0);
    }
    assert.ok(maxRing <= 64);
    await tick(20);
    assert.equal(box.levels().ring, 0);
    assert.ok(box.levels().spoolBytes > 5000 * 50);
    assert.equal(box.counters.spooled, 5000);
    // Back online: the spool drains in order, then new data follows.
    t.setConnected(true);
    for (let i = 5000; i < 5010; i++) box.push(transition(i));
    for (let k = 0; k < 200 && box.counters.published < 5010; k++) await tick(5);
    await box.close();
    assert.deepEqual(seqsOf(t.sent.map((s) => s.payload)), [...Array(5010).keys()]);
    assert.equal(box.counters.drained, 5000);
    assert.equal(box.levels().spoolBytes, 0);
    assert.deepEqual(readdirSync(tmp.dir), []);
  });

  it('spills to disk when acknowledgements lag and memory passes maxPendingBytes', async () => {
    const t = new FakeTransport();
    t.connected = true;
    t.autoAck = false;
    const box = make(t, { maxPendingBytes: 4000, maxInflight: 2 });
    box.start();
    for (let i = 0; i < 600; i++) {
      box.push(transition(i));
      assert.ok(box.levels().pendingBytes <= 4000);
    }
    box.flush();
    assert.equal(t.sent.length, 2);
    assert.ok(box.counters.spooled > 0);
    t.autoAck = true;
    for (let k = 0; k < 500 && box.counters.published < 600; k++) {
      for (const s of t.sent.splice(0)) s.done(undefined);
      await tick(1);
    }
    assert.equal(box.counters.published, 600);
    await box.close();
  });

  it('drops only at the spool disk limit, and counts it', async () => {
    const t = new FakeTransport();
    const box = make(t, { spoolLimitBytes: 3000 });
    box.start();
    for (let i = 0; i < 300; i++) box.push(transition(i));
    await box.close();
    const c = box.counters;
    assert.ok(c.dropped > 0);
    assert.equal(c.spooled + c.dropped, 300);
    assert.ok(box.levels().spoolBytes <= 3000);
  });

  it('resends unacknowledged batches in order after a failed publish', async () => {
    const t = new FakeTransport();
    t.connected = true;
    t.autoAck = false;
    const box = make(t, { maxInflight: 3 });
    box.start();
    for (let i = 0; i < 48; i++) box.push(transition(i));
    box.flush();
    const first = t.sent.splice(0);
    assert.equal(first.length, 3);
    first[1]!.done(new Error('Connection closed'));
    first[0]!.done(undefined);
    first[2]!.done(undefined);
    t.autoAck = true;
    for (let k = 0; k < 100 && box.counters.published < 48; k++) {
      for (const s of t.sent.splice(0)) s.done(undefined);
      await tick(1);
    }
    assert.equal(box.counters.published, 48);
    await box.close();
  });

  it('survives a restart: what was spooled or in flight at close is sent by the next process first', async () => {
    const t1 = new FakeTransport();
    t1.connected = true;
    t1.autoAck = false;
    const a = make(t1, { maxInflight: 2, runId: 1 });
    a.start();
    for (let i = 0; i < 40; i++) a.push(transition(i));
    a.flush();
    t1.connected = false;
    await a.close({ graceMs: 0 });
    assert.equal(a.counters.spooled, 40);
    assert.equal(a.counters.published, 0);

    const t2 = new FakeTransport();
    t2.connected = true;
    const b = make(t2, { runId: 2 });
    b.start();
    for (let i = 0; i < 5; i++) b.push(transition(i));
    for (let k = 0; k < 100 && b.counters.published < 45; k++) await tick(2);
    await b.close();
    const runs = t2.sent.map((s) => {
      const r = decodeTransitionBatch(s.payload);
      assert.ok(r.ok);
      return [r.value.runId, r.value.firstSeq, r.value.count] as const;
    });
    const run1 = runs.filter((r) => r[0] === 1);
    assert.deepEqual(
      run1.flatMap(([, f, n]) => Array.from({ length: n }, (_, i) => f + i)),
      [...Array(40).keys()],
    );
    assert.ok(runs.findIndex((r) => r[0] === 2) > runs.findLastIndex((r) => r[0] === 1));
    assert.equal(b.counters.drained, 40);
  });
});

describe('transport/DiskSpool', () => {
  it('skips a torn tail record and keeps the ones before it', () => {
    const tmp = tempDir();
    try {
      const s = new DiskSpool({ dir: tmp.dir, limitBytes: 1e6 });
      s.append(Buffer.from('one'));
      s.append(Buffer.from('two'));
      s.close();
      const [name] = readdirSync(tmp.dir);
      const p = `${tmp.dir}/${name ?? ''}`;
      truncateSync(p, statSync(p).size - 1);
      const r = new DiskSpool({ dir: tmp.dir, limitBytes: 1e6 });
      const rec = r.next();
      assert.equal(rec?.payload.toString(), 'one');
      assert.equal(r.next(), undefined);
      assert.equal(r.corruptRecords, 1);
      assert.ok(rec);
      r.ack(rec);
      assert.equal(r.bytes, 0);
      r.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('transport/TransitionInbox', () => {
  const topics = new Topics();
  const topic = topics.topic('dog-1', 'transitions');
  const batch = (firstSeq: number, count = 2, runId = 77): Buffer =>
    encodeTransitionBatch({ ...sampleBatch(count, firstSeq), runId });

  function inbox(extra: { reorderWindowMs?: number } = {}): {
    box: TransitionInbox;
    got: TransitionBatch[];
  } {
    const got: TransitionBatch[] = [];
    const box = new TransitionInbox({
      transport: { subscribe: () => Promise.resolve(() => Promise.resolve()) },
      topics,
      onBatch: (b) => got.push(b),
      reorderWindowMs: extra.reorderWindowMs ?? 30,
    });
    return { box, got };
  }
  const seqs = (got: TransitionBatch[]): number[] =>
    got.flatMap((b) => Array.from({ length: b.count }, (_, i) => b.firstSeq + i));

  it('drops duplicates and overlaps, reorders within the window', async () => {
    const { box, got } = inbox();
    box.handle(topic, batch(0));
    box.handle(topic, batch(0));
    box.handle(topic, batch(1, 3));
    box.handle(topic, batch(6));
    box.handle(topic, batch(4));
    assert.deepEqual(seqs(got), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(box.counters.duplicates, 3);
    assert.equal(box.counters.accepted, 8);
    assert.equal(got[1]!.states[0], sampleBatch(3, 1).states[3]);
    box.handle(topic, batch(0, 2, 78));
    assert.equal(box.counters.accepted, 10);
    await box.close();
  });

  it('keeps each command with its transition when it drops an overlap', async () => {
    const { box, got } = inbox();
    const withCommands = (firstSeq: number, count: number): Buffer =>
      encodeTransitionBatch({
        ...sampleBatch(count, firstSeq),
        commands: Float32Array.from({ length: 3 * count }, (_, j) => firstSeq + Math.floor(j / 3)),
      });
    box.handle(topic, withCommands(0, 2));
    box.handle(topic, withCommands(1, 3)); // seq 1 again, then 2 and 3
    assert.deepEqual(seqs(got), [0, 1, 2, 3]);
    assert.deepEqual(Array.from(got[1]!.commands ?? []), [2, 2, 2, 3, 3, 3]);
    await box.close();
  });

  it('skips a gap after the reorder window and counts it', async () => {
    const { box, got } = inbox();
    box.handle(topic, batch(0));
    box.handle(topic, batch(5));
    assert.deepEqual(seqs(got), [0, 1]);
    await tick(60);
    assert.deepEqual(seqs(got), [0, 1, 5, 6]);
    assert.equal(box.counters.gaps, 3);
    box.handle(topic, batch(3));
    assert.equal(box.counters.duplicates, 2);
    await box.close();
  });

  it('rejects garbage, wrong topics and mismatched robot ids without throwing', async () => {
    const { box, got } = inbox();
    box.handle(topic, Buffer.from('hello'));
    box.handle(topic, batch(0).subarray(0, 30));
    box.handle(topics.topic('dog-2', 'transitions'), batch(0));
    box.handle('other/topic', batch(0));
    box.handle(topic, Buffer.alloc(0));
    assert.equal(box.counters.rejected, 5);
    assert.equal(got.length, 0);
    assert.match(box.lastRejection?.reason ?? '', /header/);
    box.handle(topic, batch(0));
    assert.equal(got.length, 1);
    await box.close();
  });
});
