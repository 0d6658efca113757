import assert from 'node:assert/strict';
import sinon from 'sinon';
import { configSchema } from '../../../src/config/schema.js';
import { PolicyFitter } from '../../../src/dynamics/policy/PolicyFitter.js';
import type { PolicySnapshot } from '../../../src/dynamics/policy/PolicyNetwork.js';
import { PolicySchedule } from '../../../src/trainer/PolicySchedule.js';
import { decodePolicyArtifact } from '../../../src/transport/PolicyArtifactCodec.js';
import { EmbeddedBroker, Topics, Transport } from '../../../src/transport/index.js';
import type { TransitionBatch } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { A, S, linearEpisode } from '../../unit/trainer/transitionFixtures.js';

const topics = new Topics('ptest');
const policy = configSchema.shape.policy.parse({ hidden: [8], epochs: 3, batch_size: 16 });

/**
 * An episode of robot `robotId` whose batch carries the command (vx, vy, yaw rate) per transition,
 * labelled by an expert that follows the command's vx.
 */
function commanded(robotId: string, episode: number, gain: number): TransitionBatch {
  const b = labelled(episode, gain, 'mpc');
  const commands = new Float32Array(b.count * 3);
  for (let i = 0; i < b.count; i++) {
    commands[i * 3] = (i % 3) * 0.5 - 0.5;
    commands[i * 3 + 2] = 0.25;
    for (let k = 0; k < A && i > 0; k++) b.expertActions[i * A + k]! += commands[i * 3]!;
  }
  return { ...b, robotId, commands };
}

/** An episode whose rows are labelled by a known expert (scaled by `gain`), the first row not. */
function labelled(episode: number, gain: number, source: 'mpc' | 'mixed'): TransitionBatch {
  const b = linearEpisode({ episode, firstSeq: episode * 100, steps: 30, source });
  for (let i = 0; i < b.count; i++) {
    for (let k = 0; k < A; k++) {
      b.expertActions[i * A + k] = i === 0 ? Number.NaN : gain * Math.tanh(b.states[i * S + k]!);
    }
  }
  return b;
}

describe('trainer/PolicySchedule: labels in, policy out retained on the policy topic', function () {
  this.timeout(60_000);
  let broker: EmbeddedBroker;
  let trn: Transport;
  let obs: Transport;

  before(async () => {
    broker = await EmbeddedBroker.start();
    const make = (clientId: string): Transport => {
      const t = new Transport({
        url: broker.url,
        clientId,
        protocolVersion: 4,
        connectTimeoutMs: 2000,
      });
      t.start();
      return t;
    };
    trn = make('policy-trainer');
    obs = make('policy-observer');
    await Promise.all([trn, obs].map((t) => t.waitConnected({ timeoutMs: 5000 })));
  });

  after(async () => {
    await Promise.all([trn.close(), obs.close()]);
    await broker.close();
  });

  it('aggregates labelled rows only, publishes versioned artifacts, and keeps versions rising when the bounds grow', async () => {
    const schedule = new PolicySchedule({
      transport: trn,
      topics,
      config: policy,
      logger: silentLogger(),
    });
    const random = linearEpisode({ episode: 0, firstSeq: 0, steps: 30, source: 'random' });
    schedule.addBatch(random); // no labels: nothing to fit
    schedule.fitAfterModel('robot0');
    await schedule.fits;
    assert.equal(schedule.counters.published, 0);

    schedule.addBatch(labelled(1, 0.5, 'mpc'));
    schedule.fitAfterModel('robot0');
    await schedule.fits;
    assert.equal(schedule.counters.labels, 29, 'the unlabelled first row is skipped');
    assert.equal(schedule.counters.published, 1);

    // labels beyond the first fit's bounds: a wider trainer takes the labels held, versions go on
    const wide = labelled(2, 0.9, 'mixed');
    let widest = -Infinity;
    for (let i = 1; i < wide.count; i++) widest = Math.max(widest, wide.expertActions[i * A]!);
    schedule.addBatch(wide);
    schedule.fitAfterModel('robot0');
    await schedule.fits;
    assert.equal(schedule.counters.published, 2);

    const received: PolicySnapshot[] = [];
    await obs.subscribe(topics.topic('robot0', 'policy'), 1, (_t, payload) => {
      const d = decodePolicyArtifact(payload, { stateDim: S, actionDim: A });
      assert.ok(d.ok, d.ok ? '' : d.reason);
      received.push(d.value);
    });
    const end = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const snap = received.at(-1);
    assert.ok(snap !== undefined, 'the retained policy reaches a late subscriber');
    assert.equal(snap.version, 2);
    assert.equal(snap.round, 2);
    assert.equal(snap.labelled, 58, 'refitted on the aggregate of both episodes');
    assert.ok(Number.isFinite(snap.imitationLoss));
    assert.ok(snap.actionHigh[0]! >= widest, `bounds ${snap.actionHigh[0]} cover ${widest}`);
    await schedule.close();
  });

  it('fits a policy on state ++ command when the stream carries the command (manifest input layout), and drops a batch of the other layout with an error naming the robot', async () => {
    const logger = silentLogger();
    const error = sinon.spy(logger, 'error');
    const schedule = new PolicySchedule({ transport: trn, topics, config: policy, logger });
    schedule.addBatch(commanded('robot-cmd', 1, 0.3));
    schedule.fitAfterModel('robot-cmd');
    await schedule.fits;
    // labels beyond the first fit's bounds: the rebuilt trainer keeps the commands of the labels held
    schedule.addBatch(commanded('robot-cmd', 2, 0.9));
    // the same robot without the command column: not mixed into the set
    schedule.addBatch({ ...labelled(4, 0.5, 'mpc'), robotId: 'robot-cmd' });
    schedule.fitAfterModel('robot-cmd');
    await schedule.fits;
    assert.equal(schedule.counters.published, 2);
    assert.equal(schedule.counters.commandMismatch, 1);
    assert.equal(error.callCount, 1);
    assert.match(String(error.firstCall.args[1]), /robot robot-cmd lacks the task's command/);
    assert.deepEqual(error.firstCall.args[0], { robotId: 'robot-cmd', commandDim: 0, expected: 3 });

    const received: PolicySnapshot[] = [];
    await obs.subscribe(topics.topic('robot-cmd', 'policy'), 1, (_t, payload) => {
      const d = decodePolicyArtifact(payload, { stateDim: S, actionDim: A, commandDim: 3 });
      assert.ok(d.ok, d.ok ? '' : d.reason);
      received.push(d.value);
    });
    const end = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const snap = received.at(-1);
    assert.ok(snap !== undefined, 'the retained policy reaches a late subscriber');
    assert.equal(snap.version, 2);
    assert.equal(snap.architecture.commandDim, 3);
    assert.equal(snap.architecture.inputDim, S + 3);
    assert.equal(snap.labelled, 58, 'both commanded episodes, not the one without a command');
    assert.ok(Number.isFinite(snap.imitationLoss));
    await schedule.close();
  });

  it('stops a running policy fit between batches at shutdown, publishing nothing', async () => {
    const logger = silentLogger();
    const info = sinon.spy(logger, 'info');
    const fit = sinon.spy(PolicyFitter.prototype, 'fit');
    try {
      // 10 000 epochs of 3 batches: seconds, and a policy published, if the fit ran to its end
      const long = configSchema.shape.policy.parse({ hidden: [8], epochs: 10_000, batch_size: 8 });
      const schedule = new PolicySchedule({ transport: trn, topics, config: long, logger });
      schedule.addBatch({ ...labelled(1, 0.5, 'mpc'), robotId: 'robot-stop' });
      schedule.fitAfterModel('robot-stop');
      while (!fit.called) await new Promise((r) => setImmediate(r));
      schedule.stop();
      await schedule.fits;
      assert.equal(schedule.counters.fits, 0);
      assert.equal(schedule.counters.published, 0);
      assert.equal(schedule.counters.failed, 0, 'a stop is not a failure');
      assert.ok(
        info.getCalls().some((c) => /policy fit stopped/.test(String(c.args[1]))),
        'the stop is logged',
      );
      await schedule.close();
    } finally {
      fit.restore();
    }
  });

  it("policy.frame heading: the trainer process finds the quaternion from state.base, and the manifest names it for the controller's check", async () => {
    const heading = configSchema.shape.policy.parse({
      hidden: [8],
      epochs: 3,
      batch_size: 16,
      frame: 'heading',
    });
    const received = new Map<string, PolicySnapshot>();
    for (const [robotId, config, stateBase] of [
      ['robot-heading', heading, ['quat']],
      ['robot-world', policy, ['quat']],
      ['robot-noquat', heading, ['pos_z', 'angvel']],
    ] as const) {
      const schedule = new PolicySchedule({
        transport: trn,
        topics,
        config,
        stateBase,
        logger: silentLogger(),
      });
      schedule.addBatch({ ...labelled(1, 0.5, 'mpc'), robotId });
      schedule.fitAfterModel(robotId);
      await schedule.fits;
      await obs.subscribe(topics.topic(robotId, 'policy'), 1, (_t, payload) => {
        const d = decodePolicyArtifact(payload, { stateDim: S, actionDim: A });
        assert.ok(d.ok, d.ok ? '' : d.reason);
        received.set(robotId, d.value);
      });
      const end = Date.now() + 10_000;
      while (!received.has(robotId) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 20));
      await schedule.close();
    }
    // S 4 with state.base [quat]: the quaternion is the whole state, no linvel
    assert.deepEqual(received.get('robot-heading')?.architecture.headingFrame, {
      quatW: 0,
      linvelX: null,
    });
    assert.equal(received.get('robot-world')?.architecture.headingFrame, undefined);
    // 4 values of pos_z + angvel: no quaternion, nothing to turn
    assert.equal(received.get('robot-noquat')?.architecture.headingFrame, undefined);
  });
});
