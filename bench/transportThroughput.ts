/**
 * Transport throughput: transitions per second from TransitionOutbox.push to TransitionInbox
 * acceptance through a broker on loopback (S=6, A=2, batches of 32), over the embedded aedes
 * broker and, where installed, a real mosquitto (MQTT 5). The figures the transport integration
 * tests used to log; the tests keep only the behaviour (every transition, in order).
 *
 *   npx tsx bench/transportThroughput.ts [--transitions 20000]
 *
 * Prints one JSON object on stdout: { aedes: transitions/s, mosquitto: transitions/s | null }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EmbeddedBroker,
  Topics,
  TransitionInbox,
  TransitionOutbox,
  Transport,
} from '../src/transport/index.js';
import { hasMosquitto, Mosquitto } from '../test/integration/transport/brokers.js';

const { values } = parseArgs({ options: { transitions: { type: 'string', default: '20000' } } });
const total = Number(values.transitions);
const S = 6;
const A = 2;

async function rate(url: string, protocolVersion: 4 | 5, dir: string): Promise<number> {
  const topics = new Topics('bench');
  const trn = new Transport({ url, clientId: 'bench-trn', protocolVersion });
  const ctl = new Transport({ url, clientId: 'bench-ctl', protocolVersion });
  trn.start();
  ctl.start();
  await Promise.all([trn.waitConnected(), ctl.waitConnected()]);
  let accepted = 0;
  const inbox = new TransitionInbox({
    transport: trn,
    topics,
    robotId: 'r',
    stateDim: S,
    actionDim: A,
    onBatch: (b) => (accepted += b.count),
  });
  await inbox.start();
  const outbox = new TransitionOutbox({
    transport: ctl,
    topic: topics.topic('r', 'transitions'),
    robotId: 'r',
    stateDim: S,
    actionDim: A,
    spoolDir: join(dir, 'spool'),
    batchSize: 32,
    flushIntervalMs: 20,
    capacity: 1024,
  });
  outbox.start();
  const state = new Float32Array(S);
  const action = new Float32Array(A);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    outbox.push({
      state,
      action,
      expertAction: null,
      nextState: state,
      reward: 0,
      done: false,
      episode: 0,
      source: 'mpc',
    });
    if (i % 512 === 511) await new Promise((r) => setImmediate(r));
  }
  outbox.flush();
  while (accepted < total) await new Promise((r) => setTimeout(r, 1));
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  await outbox.close({ graceMs: 200 });
  await inbox.close();
  await Promise.all([trn.close(), ctl.close()]);
  return Math.round(total / sec);
}

const dir = mkdtempSync(join(tmpdir(), 'strider-bench-transport-'));
try {
  const aedes = await EmbeddedBroker.start();
  const aedesRate = await rate(aedes.url, 4, join(dir, 'a'));
  await aedes.close();
  let mosquittoRate: number | null = null;
  if (hasMosquitto) {
    const m = await Mosquitto.start(dir);
    mosquittoRate = await rate(m.url, 5, join(dir, 'm'));
    await m.close();
  }
  process.stdout.write(
    `${JSON.stringify({ transitions: total, S, A, aedes: aedesRate, mosquitto: mosquittoRate })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
