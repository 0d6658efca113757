import assert from 'node:assert/strict';
import { Topics, TransitionInbox, Transport } from '../../../src/transport/index.js';
import { encodeTransitionBatch } from '../../../src/transport/TransitionBatchCodec.js';
import { tempDir } from '../../helpers/tmp.js';
import { sampleBatch } from '../../unit/transport/fixtures.js';
import { Mosquitto, hasMosquitto } from './brokers.js';
import { authRequired, brokerRestart, burst, modelChannel, roundTrip } from './scenarios.js';
import type { BrokerUnderTest } from './scenarios.js';
import { requireInCi } from '../../helpers/requireInCi.js';

const title = hasMosquitto
  ? 'transport over a real mosquitto (MQTT 5)'
  : 'transport over a real mosquitto (skipped: mosquitto not installed at /usr/sbin/mosquitto)';

describe(title, function () {
  this.timeout(180_000); // a bound on a hang; the waits inside are bounded too
  let tmp: ReturnType<typeof tempDir>;
  let mosq: Mosquitto | undefined;
  let under: BrokerUnderTest;

  before(function () {
    requireInCi(this, hasMosquitto, 'mosquitto (/usr/sbin/mosquitto)');
  });
  beforeEach(async () => {
    tmp = tempDir();
    const m = await Mosquitto.start(tmp.dir);
    mosq = m;
    under = { url: m.url, protocolVersion: 5, pause: () => m.pause(), resume: () => m.resume() };
  });
  afterEach(async () => {
    await mosq?.close();
    tmp.cleanup();
  });

  it('round-trips transitions', async () => {
    await roundTrip(under, `${tmp.dir}/spool`);
  });

  it('loses nothing when mosquitto is stopped and restarted mid-stream (spool, order, duplicates)', async () => {
    await brokerRestart(under, `${tmp.dir}/spool`);
  });

  it('rejects corrupt, NaN, wrong-shape and truncated models and then accepts a good one', async () => {
    await modelChannel(under);
  });

  it('delivers a 20,000-transition burst in order, nothing dropped (rate: bench/transportThroughput.ts)', async () => {
    await burst(under, `${tmp.dir}/spool`);
  });

  it('splits a fleet across trainers with a shared subscription', async () => {
    const topics = new Topics('itest');
    const counts = [0, 0];
    const clients: Transport[] = [];
    const inboxes: TransitionInbox[] = [];
    try {
      for (const k of [0, 1]) {
        const t = new Transport({ url: under.url, clientId: `share-${k}`, protocolVersion: 5 });
        t.start();
        await t.waitConnected();
        clients.push(t);
        const inbox = new TransitionInbox({
          transport: t,
          topics,
          shareGroup: 'trainers',
          onBatch: (b) => (counts[k]! += b.count),
        });
        await inbox.start();
        inboxes.push(inbox);
      }
      const pub = new Transport({ url: under.url, clientId: 'share-pub', protocolVersion: 5 });
      pub.start();
      clients.push(pub);
      await pub.waitConnected();
      for (let i = 0; i < 40; i++) {
        const robot = `r${i % 4}`;
        const payload = encodeTransitionBatch({
          ...sampleBatch(2, Math.floor(i / 4) * 2),
          robotId: robot,
        });
        await pub.publishAsync(topics.topic(robot, 'transitions'), payload, { qos: 1 });
      }
      const end = Date.now() + 3000;
      while (counts[0]! + counts[1]! < 80 && Date.now() < end)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(counts[0]! + counts[1]!, 80, `got ${counts.join('+')}`);
      assert.ok(counts[0]! > 0 && counts[1]! > 0, `each trainer got a share: ${counts.join('+')}`);
    } finally {
      for (const i of inboxes) await i.close();
      for (const c of clients) await c.close();
    }
  });

  it('refuses anonymous clients when a password file is set', async () => {
    const dir = tempDir();
    const secure = await Mosquitto.start(dir.dir, { username: 'robot', password: 's3cret' });
    try {
      await authRequired(
        {
          url: secure.url,
          protocolVersion: 5,
          pause: () => secure.pause(),
          resume: () => secure.resume(),
        },
        'robot',
        's3cret',
      );
    } finally {
      await secure.close();
      dir.cleanup();
    }
  });
});
