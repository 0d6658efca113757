import assert from 'node:assert/strict';
import { EmbeddedBroker, Transport } from '../../../src/transport/index.js';

/**
 * A persistent session resumed after a crash or restart: the broker delivers the QoS 1 messages it
 * queued as soon as it accepts the connection, before the client has subscribed again (a trainer
 * restarted by its supervisor connects, then subscribes). They reach the handler that subscribes
 * after the connection, in order: none is lost for having come early.
 */
describe('transport: a resumed persistent session loses no message queued while away', function () {
  this.timeout(60_000); // a bound on a hang only
  let broker: EmbeddedBroker;
  beforeEach(async () => {
    broker = await EmbeddedBroker.start();
  });
  afterEach(async () => {
    await broker.close();
  });

  it('hands the messages that arrived before subscribe() to the handler, in order', async () => {
    const opts = { url: broker.url, protocolVersion: 4 as const, session: 'persistent' as const };
    const first = new Transport({ ...opts, clientId: 'trainer-like' });
    first.start();
    await first.waitConnected({ timeoutMs: 30_000 });
    await first.subscribe('t/data', 1, () => undefined);
    await first.close();

    const pub = new Transport({ ...opts, clientId: 'controller-like', session: 'clean' });
    pub.start();
    await pub.waitConnected({ timeoutMs: 30_000 });
    const N = 200;
    for (let i = 0; i < N; i++)
      await pub.publishAsync('t/data', Buffer.from(String(i)), { qos: 1 });

    const again = new Transport({ ...opts, clientId: 'trainer-like' });
    again.start();
    await again.waitConnected({ timeoutMs: 30_000 });
    // the queued messages may already be here: give them every chance to arrive first
    const until = Date.now() + 30_000;
    while (again.unclaimed.held < N && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const got: number[] = [];
    await again.subscribe('t/data', 1, (_t, payload) => got.push(Number(payload.toString())));
    while (got.length < N && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [...Array(N).keys()]);
    assert.deepEqual(again.unclaimed, { held: 0, dropped: 0 });
    await again.close();
    await pub.close();
  });
});
