import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RemoteTraining } from '../../../src/learning/RemoteTraining.js';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { decodeStatus } from '../../../src/transport/StatusCodec.js';
import { Topics } from '../../../src/transport/topics.js';
import { Transport } from '../../../src/transport/Transport.js';
import { TransitionInbox } from '../../../src/transport/TransitionInbox.js';
import type { TransitionBatch } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { tempDir } from '../../helpers/tmp.js';
import { hasMosquitto, Mosquitto, MOSQUITTO } from '../transport/brokers.js';
import { requireInCi } from '../../helpers/requireInCi.js';

/** Poll `cond` every 50 ms for up to `timeoutMs`. */
async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

/** How long a wait may last: a bound on a hang on a loaded machine, never a measurement. */
const HANG_MS = 60_000;

const title = hasMosquitto
  ? 'the controller streaming to a real mosquitto that goes away mid-run'
  : `the controller streaming to a real mosquitto (skipped: mosquitto not installed at ${MOSQUITTO})`;

describe(title, function () {
  this.timeout(300_000); // bounds a hang only
  before(function () {
    requireInCi(this, hasMosquitto, 'mosquitto (/usr/sbin/mosquitto)');
  });

  it('keeps controlling while the broker is down, spools, and delivers every transition once, in order, after it returns', async () => {
    const tmp = tempDir('strider-outage-');
    const broker = await Mosquitto.start(tmp.dir);
    const logger = silentLogger();
    const overrides = [
      'control.policy=random',
      'run.steps_per_episode=50',
      `transport.broker=${broker.url}`,
      'trainer.mode=external',
    ];
    const configPath = join('config', 'planar_runner.yaml');
    const { config } = loadConfig(configPath, { overrides });
    let remote: RemoteTraining | null = null;
    const session = new RunSession({
      config,
      logger,
      onRecorded: (t, r, e, d) => remote?.push(t, r, e, d),
    });
    const parts = await session.open();
    const S = parts.assembler.layout.dim;
    const A = parts.actuators.length;
    // the trainer's side: a persistent session that exists before the controller sends anything
    const trainer = new Transport({
      url: broker.url,
      clientId: 'trainer-standin',
      protocolVersion: 5,
      logger,
    });
    trainer.start();
    await trainer.waitConnected({ timeoutMs: 5000 });
    const seqs: number[] = [];
    const inbox = new TransitionInbox({
      transport: trainer,
      topics: new Topics(config.transport.prefix),
      robotId: config.transport.robot_id,
      stateDim: S,
      actionDim: A,
      onBatch: (b: TransitionBatch) => {
        for (let i = 0; i < b.count; i++) seqs.push(b.firstSeq + i);
      },
      logger,
    });
    await inbox.start();
    const statuses: string[] = [];
    await trainer.subscribe(
      new Topics(config.transport.prefix).topic(config.transport.robot_id, 'status'),
      1,
      (_topic, payload) => {
        const d = decodeStatus(payload);
        if (d.ok && d.value.role === 'controller') statuses.push(d.value.state);
      },
    );
    try {
      remote = await RemoteTraining.start({
        config,
        configPath,
        overrides,
        outDir: tmp.dir,
        stateDim: S,
        actionDim: A,
        logger,
      });
      const recorded = (): number => parts.runner.records.reduce((n, r) => n + r.steps, 0);
      await parts.runner.runEpisodes(3);
      assert.equal(recorded(), 150, 'lockstep: every step recorded, however slow the machine');
      assert.ok(
        await until(() => seqs.length >= 150, HANG_MS),
        `before the outage: ${seqs.length} of 150`,
      );

      await broker.pause(); // the broker process is gone
      await parts.runner.runEpisodes(3); // the controller does not wait for the network
      assert.equal(parts.runner.records.length, 6);
      assert.ok(
        await until(() => (remote?.report().outbox['spooled'] ?? 0) > 0, HANG_MS),
        'batches went to the disk spool',
      );

      await broker.resume();
      await parts.runner.runEpisodes(3);
      assert.equal(recorded(), 450);
      assert.ok(
        await until(() => seqs.length >= 450, HANG_MS),
        `after the outage: ${seqs.length} of 450`,
      );
      await new Promise((r) => setTimeout(r, 300)); // late duplicates, if any, would arrive now

      const outbox = remote.report().outbox;
      assert.equal(outbox['queued'], 450);
      assert.equal(outbox['dropped'], 0);
      assert.ok((outbox['drained'] ?? 0) > 0, 'the spool was drained');
      assert.equal(seqs.length, 450, 'every transition exactly once (duplicates removed)');
      for (let i = 1; i < seqs.length; i++)
        assert.equal(seqs[i], seqs[i - 1]! + 1, `in order at ${i}`);

      await remote.close();
      assert.ok(
        await until(() => statuses.at(-1) === 'offline', HANG_MS),
        `controller status ${statuses.join(',')}`,
      );
      assert.equal(statuses[0], 'online');
    } finally {
      await remote?.close();
      await session.close();
      await inbox.close();
      await trainer.close();
      await broker.close();
      tmp.cleanup();
    }
  });
});
