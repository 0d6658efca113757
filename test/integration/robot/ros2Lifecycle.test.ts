import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sinon from 'sinon';
import { runCommand } from '../../../src/cli/runCommand.js';
import { loadConfig } from '../../../src/config/index.js';
import { RemoteTraining } from '../../../src/learning/RemoteTraining.js';
import type { RunReport } from '../../../src/telemetry/Report.js';
import { SimulatedRosRobot } from '../../helpers/simulatedRosRobot.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  fakeRclnodejs,
  type FakeLifecycleNode,
  type FakePublisher,
} from '../../unit/robot/ros2/fakeRclnodejs.js';

/**
 * `strider run` with robot.ros2.lifecycle: true, end to end: the real Ros2Link (a LifecycleNode
 * of the rclnodejs fake), RunSession, safety gate, continuous learning loop with the child
 * trainer over the embedded broker (the real transport and outbox), driven through the node's
 * ~/change_state as `ros2 lifecycle set` would, with MuJoCo as the robot behind the fake.
 * What this cannot show: that the real rclnodejs and rcl behave as the fake does (docs/ros2.md).
 */

const CONFIG = resolve('config/quadruped_ros2.yaml');
const MODEL = resolve('urdf/quadruped.urdf');

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The controller's key/values in the newest /diagnostics snapshot. */
function lastDiag(diag: FakePublisher): Map<string, string> {
  const s = diag.snapshots.at(-1) as
    { status: { values: { key: string; value: string }[] }[] } | undefined;
  return new Map(s?.status[0]?.values.map((kv) => [kv.key, kv.value]) ?? []);
}

const ticks = (diag: FakePublisher): number => Number(lastDiag(diag).get('ticks') ?? 0);

describe('strider run with a ROS 2 managed lifecycle (rclnodejs fake, MuJoCo as the robot)', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('strider-ros2-lifecycle-');
  });
  after(() => {
    tmp.cleanup();
  });
  afterEach(() => {
    sinon.restore();
  });

  it('waits unconfigured; configure ticks with the gate inactive; activate arms per safety.arm; deactivate holds; a refused transition changes nothing; cleanup and shutdown end the run with the outbox flushed', async () => {
    const fake = fakeRclnodejs();
    const set = [
      'robot.ros2.lifecycle=true',
      'robot.ros2.use_sim_time=true',
      'robot.ros2.diagnostics_rate_hz=20',
      'safety.state_timeout_ms=500',
      'safety.tilt.enabled=false',
      'safety.require_model=false', // the gate arms on the random policy: arming is what is shown
      'log.level=error',
      'run.steps_per_episode=50',
      'model.ensemble_size=2',
      'model.hidden=[16, 16]',
      'model.epochs_first=2',
      'model.epochs_per_round=1',
      'planner.population=50',
      'planner.horizon=5',
    ];
    const { config } = loadConfig(CONFIG, { overrides: set });
    assert.equal(config.run.mode, 'auto', 'continuous on a robot link');
    const t = config.robot.ros2.topics;
    const robot = await SimulatedRosRobot.start(fake, {
      modelPath: MODEL,
      periodMs: 1000 / config.control.rate_hz,
      topics: {
        joint_states: t.joint_states,
        odometry: t.odometry,
        imu: t.imu,
        command: t.command,
      },
    });
    const out = join(tmp.dir, 'run');
    const flush = sinon.spy(RemoteTraining.prototype, 'flush');
    const write = sinon.stub(process.stdout, 'write').returns(true);
    let code: number;
    try {
      const args = {
        command: 'run' as const,
        config: CONFIG,
        set,
        out,
        report: undefined,
        help: false,
      };
      const running = runCommand(args, 'test', { rclnodejs: fake.api });
      const change = async (label: string, id = 0) =>
        (await node().changeStateService({ transition: { id, label } }))?.success ?? null;
      const node = (): FakeLifecycleNode => fake.lifecycleNode();
      await until('the lifecycle node', () => fake.nodes.some((n) => n.spinning));
      const cmd = node().publisher(t.command);
      const diag = node().publisher('/diagnostics');

      // Unconfigured: nothing ticks, nothing is commanded; activate is not available yet.
      await sleep(300);
      assert.equal(node().currentState.label, 'unconfigured');
      assert.equal(cmd.snapshots.length, 0);
      assert.equal(await change('activate'), false, 'activate from unconfigured');
      assert.equal(node().currentState.label, 'unconfigured');

      // configure: the run goes on (trainer, broker, ticks), the gate inactive sends nothing.
      assert.equal(await change('configure'), true);
      await until('ticks', () => ticks(diag) > 20);
      assert.equal(lastDiag(diag).get('safety_mode'), 'inactive');
      assert.equal(lastDiag(diag).get('lifecycle_state'), 'inactive');
      assert.equal(cmd.snapshots.length, 0, 'nothing commanded while inactive');

      // activate: commands flow; arm: manual in this config, so the gate waits for /strider/rearm.
      assert.equal(await change('activate'), true);
      await until('commands', () => cmd.snapshots.length > 10);
      await until('the gate waiting', () => lastDiag(diag).get('safety_mode') === 'waiting');
      assert.equal(lastDiag(diag).get('lifecycle_state'), 'active');
      node().deliver('/strider/rearm', {});
      await until('the gate armed', () =>
        ['soft_start', 'running'].includes(lastDiag(diag).get('safety_mode') ?? ''),
      );

      // deactivate: the final safe command, then nothing while the ticks go on.
      assert.equal(await change('deactivate'), true);
      const held = cmd.snapshots.length;
      const ticksAtHold = ticks(diag);
      await until('ticks while held', () => ticks(diag) > ticksAtHold + 20);
      assert.equal(cmd.snapshots.length, held, 'nothing after the final safe command');
      assert.equal(lastDiag(diag).get('safety_mode'), 'inactive');

      // An invalid transition id (deactivate from inactive): refused by rclnodejs, ticks go on.
      assert.equal(await change('', 4), null, 'no response');
      assert.match(fake.rclLog.at(-1)!.message, /change_state request: .*not registered/);
      assert.equal(node().currentState.label, 'inactive');
      const ticksAtRefusal = ticks(diag);
      await until('ticks after the refusal', () => ticks(diag) > ticksAtRefusal + 10);

      // activate again: commands again.
      assert.equal(await change('activate'), true);
      await until('commands again', () => cmd.snapshots.length > held + 10);

      // deactivate, cleanup (outbox flushed), shutdown: the run ends.
      assert.equal(await change('deactivate'), true);
      assert.equal(flush.callCount, 0);
      assert.equal(await change('cleanup'), true);
      await until('the outbox flushed at cleanup', () => flush.callCount === 1);
      assert.equal(await change('shutdown'), true);
      assert.equal(node().currentState.label, 'finalized');
      code = await running;
    } finally {
      write.restore();
      await robot.stop();
    }
    assert.equal(code, 0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    const transport = report.trainer?.transport as {
      outbox: { queued: number; published: number; spooled: number; dropped: number };
    };
    const o = transport.outbox;
    assert.ok(o.queued > 0, 'transitions streamed to the trainer');
    assert.equal(o.dropped, 0);
    assert.ok(
      o.published + o.spooled >= o.queued,
      `every transition sent or spooled: ${JSON.stringify(o)}`,
    );
    assert.equal(flush.callCount, 2, 'cleanup and shutdown flushed the outbox');
    assert.ok(fake.shutdown.calledOnce);
  });
});
