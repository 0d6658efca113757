import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BagReader } from '../../../src/bags/BagReader.js';
import { readBagEpisodes, replayBag } from '../../../src/bags/replayBag.js';
import { describeRobot } from '../../../src/cli/replayCommand.js';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig, type StriderConfig } from '../../../src/config/index.js';
import { loadInitialModel } from '../../../src/cli/initialModel.js';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { replayCommand, type ReplayReport } from '../../../src/cli/replayCommand.js';
import { EmbeddedBroker } from '../../../src/transport/EmbeddedBroker.js';
import { ModelChannel, type ModelEvent } from '../../../src/transport/ModelChannel.js';
import { writeModelArtifactDir } from '../../../src/transport/ModelArtifactDir.js';
import { Topics } from '../../../src/transport/topics.js';
import { Transport } from '../../../src/transport/Transport.js';
import { silentLogger } from '../../../src/util/logger.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';

const EPISODES = 12;
const STEPS = 100;

/**
 * The planar runner on random actions in lockstep, recording its bag; the shipped config's replay
 * section maps the bag's topics back (the command topic carries every actuator, model order).
 */
function runConfig(): StriderConfig {
  return loadConfig(resolve('config/planar_runner.yaml'), {
    overrides: [
      'control.policy=random',
      `run.episodes=${EPISODES}`,
      `run.steps_per_episode=${STEPS}`,
      'run.seed=3',
      'run.record_bag=true',
      'log.level=warn',
      'model.ensemble_size=3',
      'model.hidden=[64, 64]',
      'model.epochs_first=80',
      'model.h_step_horizon=5',
    ],
  }).config;
}

/** One live transition as the run streamed it (onRecorded), copied. */
interface Streamed {
  readonly episode: number;
  readonly state: Float32Array;
  readonly action: Float32Array;
  readonly nextState: Float32Array;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe('bags: a strider run records its bag, and replay reads back the run', function () {
  this.timeout(240_000);
  const tmp = tempDir();
  const bagDir = join(tmp.dir, 'bag');
  const config = runConfig();
  const streamed: Streamed[] = [];
  let recorderStats = { accepted: 0, dropped: 0, written: 0, flushed: 0 };

  before(async () => {
    const session = new RunSession({
      config,
      logger: silentLogger(),
      recordBagDir: bagDir,
      onRecorded: (t, _r, episode) => {
        streamed.push({
          episode,
          state: t.state.slice(),
          action: t.action.slice(),
          nextState: t.nextState.slice(),
        });
      },
    });
    try {
      await session.open();
      await session.parts.runner.runEpisodes(EPISODES);
    } finally {
      await session.close();
    }
    recorderStats = session.recording!.stats;
  });
  after(() => {
    tmp.cleanup();
  });

  it('writes a rosbag2 MCAP with metadata.yaml, nothing dropped', async () => {
    assert.equal(streamed.length, EPISODES * STEPS);
    assert.ok(existsSync(join(bagDir, 'metadata.yaml')));
    assert.equal(recorderStats.dropped, 0);
    assert.equal(recorderStats.written, recorderStats.accepted);
    const bag = await BagReader.open(bagDir);
    const count = (t: string): number => bag.topics.get(t)?.count ?? -1;
    // each tick: one command; activation, each reset and each step: a joint state, an IMU and
    // an odometry message
    const states = 1 + EPISODES * (STEPS + 1);
    assert.equal(count('/joint_states'), states);
    assert.equal(count('/imu'), states);
    assert.equal(count('/odom'), states);
    assert.ok(count('/effort_controller/commands') >= EPISODES * STEPS);
    assert.equal(bag.topics.get('/odom')!.type, 'nav_msgs/msg/Odometry');
    assert.equal(bag.topics.get('/odom')!.definition, 'embedded');
  });

  it('replays into the very transitions the run streamed, bit for bit', async () => {
    const description = await describeRobot(config);
    const { cut } = await readBagEpisodes({
      bagPath: bagDir,
      config,
      description,
      logger: silentLogger(),
    });
    assert.equal(cut.episodes.length, EPISODES);
    assert.equal(cut.droppedEpisodes, 0);
    const S = streamed[0]!.state.length;
    const A = streamed[0]!.action.length;
    let k = 0;
    for (let e = 0; e < EPISODES; e++) {
      const ep = cut.episodes[e]!;
      assert.equal(ep.actions.length / A, STEPS, `episode ${e}: steps`);
      for (let t = 0; t < STEPS; t++, k++) {
        const live = streamed[k]!;
        assert.equal(live.episode, e);
        const at = `episode ${e} step ${t}`;
        assert.ok(sameBits(ep.states.subarray(t * S, (t + 1) * S), live.state), `${at}: state`);
        assert.ok(sameBits(ep.actions.subarray(t * A, (t + 1) * A), live.action), `${at}: action`);
        assert.ok(
          sameBits(ep.states.subarray((t + 1) * S, (t + 2) * S), live.nextState),
          `${at}: next state`,
        );
      }
    }
  });

  const modelDir = join(tmp.dir, 'model');

  it('trains a model that beats both baselines on H-step error on held-out episodes', async () => {
    const { summary, model } = await replayBag({
      bagPath: bagDir,
      config,
      description: await describeRobot(config),
      logger: silentLogger(),
    });
    assert.equal(summary.episodes, EPISODES);
    assert.equal(summary.transitions, EPISODES * STEPS);
    assert.ok(summary.held_out.episodes >= 3);
    const { zero_delta, constant_velocity } = summary.baselines;
    assert.ok(
      summary.h_step_error < zero_delta.h_step_error &&
        summary.h_step_error < constant_velocity.h_step_error,
      `H-step error ${summary.h_step_error} vs zero-delta ${zero_delta.h_step_error}, ` +
        `constant-velocity ${constant_velocity.h_step_error}`,
    );
    await writeModelArtifactDir(modelDir, model);
  });

  it('model.initial: strider run starts on the replayed model, through the hot-swap checks', async () => {
    const initial = await loadInitialModel(modelDir, 23, 6);
    assert.equal(initial.version, 0, "serves as version 0: the trainer's versions are newer");
    await assert.rejects(loadInitialModel(modelDir, 22, 6), (e: unknown) =>
      isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
    await assert.rejects(loadInitialModel(join(tmp.dir, 'none'), 23, 6), (e: unknown) =>
      isStriderError(e, 'IO'),
    );
    const out = join(tmp.dir, 'run-initial');
    const set = [
      'control.policy=mpc',
      'trainer.mode=in_process',
      'learning.random_episodes=1',
      'learning.iterations=0',
      'run.steps_per_episode=20',
      'model.ensemble_size=3',
      'model.hidden=[64, 64]',
      'planner.population=60',
      'planner.iterations=1',
      `model.initial=${modelDir}`,
    ];
    const r = spawnSync(
      process.execPath,
      [resolve('bin/strider.js'), 'run', '--out', out, ...set.flatMap((x) => ['--set', x])],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, STRIDER_LOG_LEVEL: 'warn' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const [first] = report.swaps;
    assert.ok(first !== undefined, 'a swap decision on the initial model');
    assert.equal(first.version, 0);
    assert.equal(first.decision, 'accepted', first.reason);
    const [episode] = report.episodes;
    assert.equal(episode?.source, 'mpc');
    // the report names the serving model, the initial one, with its fit's figures
    assert.equal(report.model?.version, 0);
    assert.equal(report.model.val_loss, initial.metrics.val_loss);
    assert.equal(report.model.initial, modelDir, 'and the folder it came from');
    assert.deepEqual(
      report.models.map((m) => m.version),
      [0],
    );
  });

  it("replay --publish sends the model retained on the robot's model topic", async () => {
    const broker = await EmbeddedBroker.start();
    const sub = new Transport({ url: broker.url, clientId: 'controller', protocolVersion: 4 });
    try {
      const publishArgs = {
        command: 'replay' as const,
        config: 'config/planar_runner.yaml',
        set: [
          'log.level=warn',
          'model.ensemble_size=3',
          'model.hidden=[32]',
          'model.epochs_first=5',
          `transport.broker=${broker.url}`,
          'transport.robot_id=runner1',
        ],
        out: join(tmp.dir, 'replay-publish'),
        report: undefined,
        help: false,
        bag: bagDir,
        publish: true,
      };
      assert.equal(await replayCommand(publishArgs, 'test'), 0);
      // a controller that subscribes afterwards gets the retained model at once
      sub.start();
      await sub.waitConnected({ timeoutMs: 10_000 });
      const channel = new ModelChannel({ transport: sub, topics: new Topics('strider') });
      const got = new Promise<ModelEvent>((res) => {
        void channel.subscribe('runner1', res);
      });
      const ev = await got;
      assert.equal(ev.type, 'accepted');
      assert.equal(ev.model.snapshot.architecture.stateDim, 23);
      await assert.rejects(
        replayCommand({ ...publishArgs, set: ['log.level=warn'] }, 'test'),
        (e: unknown) => isStriderError(e, 'CLI_USAGE') && /transport\.broker/.test(e.message),
      );
    } finally {
      await sub.close();
      await broker.close();
    }
  });

  it('replay --shadow: the planner acts on every held-out recorded state; nothing is sent', async () => {
    const out = join(tmp.dir, 'replay-shadow');
    const shadowArgs = {
      command: 'replay' as const,
      config: 'config/planar_runner.yaml',
      set: [
        'log.level=warn',
        'model.ensemble_size=3',
        'model.hidden=[32]',
        'model.epochs_first=5',
        'planner.population=30',
        'planner.iterations=1',
        `model.initial=${modelDir}`,
      ],
      out,
      report: undefined,
      help: false,
      bag: bagDir,
      shadow: true,
    };
    assert.equal(await replayCommand(shadowArgs, 'test'), 0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReplayReport;
    const shadow = report.shadow;
    assert.ok(shadow !== undefined);
    assert.equal(shadow.model_version, 0, "the controller's model: model.initial");
    assert.equal(shadow.episodes, report.held_out.episodes);
    assert.equal(shadow.steps, report.held_out.transitions);
    assert.equal(shadow.planner.plans, shadow.steps);
    assert.equal(shadow.commands_sent, 0);
    assert.equal(shadow.actions.rmse.length, 6);
    assert.ok(shadow.actions.rmse.every((r) => Number.isFinite(r) && r > 0));
    assert.ok(Number.isFinite(shadow.next_state.one_step_error));
    assert.ok(shadow.next_state.h_step_error < shadow.next_state.baselines.zero_delta.h_step_error);
    await assert.rejects(
      replayCommand({ ...shadowArgs, set: [...shadowArgs.set, 'replay.robot=topics'] }, 'test'),
      (e: unknown) => isStriderError(e, 'CONFIG_INVALID') && /replay\.robot: model/.test(e.message),
    );
  });
});
