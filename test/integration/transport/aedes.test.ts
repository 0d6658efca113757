import { EmbeddedBroker } from '../../../src/transport/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { authRequired, brokerRestart, burst, modelChannel, roundTrip } from './scenarios.js';
import type { BrokerUnderTest } from './scenarios.js';

describe('transport over the embedded aedes broker', function () {
  this.timeout(180_000); // a bound on a hang; the waits inside are bounded too
  let broker: EmbeddedBroker;
  let tmp: ReturnType<typeof tempDir>;
  let under: BrokerUnderTest;

  beforeEach(async () => {
    tmp = tempDir();
    broker = await EmbeddedBroker.start();
    under = {
      url: broker.url,
      protocolVersion: 4,
      pause: () => broker.pause(),
      resume: () => broker.resume(),
    };
  });
  afterEach(async () => {
    await broker.close();
    tmp.cleanup();
  });

  it('round-trips transitions', async () => {
    await roundTrip(under, tmp.dir);
  });

  it('loses nothing when the broker stops and restarts mid-stream (spool, order, duplicates)', async () => {
    await brokerRestart(under, tmp.dir);
  });

  it('rejects corrupt, NaN, wrong-shape and truncated models and then accepts a good one', async () => {
    await modelChannel(under);
  });

  it('delivers a 20,000-transition burst in order, nothing dropped (rate: bench/transportThroughput.ts)', async () => {
    await burst(under, tmp.dir);
  });

  it('refuses anonymous clients when a username/password is set', async () => {
    const secure = await EmbeddedBroker.start({ username: 'robot', password: 's3cret' });
    try {
      await authRequired(
        {
          url: secure.url,
          protocolVersion: 4,
          pause: () => secure.pause(),
          resume: () => secure.resume(),
        },
        'robot',
        's3cret',
      );
    } finally {
      await secure.close();
    }
  });
});
