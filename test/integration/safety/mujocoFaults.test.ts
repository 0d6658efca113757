import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlLoop } from '../../../src/control/ControlLoop.js';
import {
  isPolicyCommand,
  SafetyGate,
  type GateVerdict,
  type SafetyGateOptions,
} from '../../../src/safety/index.js';
import { safetySchema, type SafetyConfig } from '../../../src/safety/safetyConfig.js';
import { StateWatchdog } from '../../../src/safety/StateWatchdog.js';
import type { ActionPolicy } from '../../../src/control/types.js';
import type { Float64MultiArray, Imu, JointState, Odometry } from '../../../src/msgs/types.js';
import { MujocoLink } from '../../../src/robot/mujoco/index.js';
import type {
  ActuatorInfo,
  RobotDescription,
  RobotLink,
  StateHandlers,
} from '../../../src/robot/types.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { LatencyHistogram } from '../../../src/telemetry/LatencyHistogram.js';
import { silentLogger } from '../../../src/util/logger.js';
import { Rng } from '../../../src/util/rng.js';
import { QUADRUPED_EFFORT_URDF } from '../../helpers/quadruped.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The safety gate on the embedded simulator, with faults injected between the MuJoCo link and
 * the state path (link -> injector -> StateWatchdog -> StateAssembler), the same path a ROS 2
 * link uses. Every scenario checks, tick by tick against ground truth kept by the injector:
 * time to the safe command <= 2 ticks, 0 policy commands built on stale state, 0 non-finite
 * values ever sent, every command within the actuators' limits.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const QUADRUPED = path.join(ROOT, 'urdf/quadruped.urdf');
const RUNNER = path.join(ROOT, 'urdf/planar_runner.xml');
const PERIOD_MS = 20;
const TIMEOUT_MS = 50;

type Fault = 'none' | 'drop' | 'stuck' | 'delay' | 'frozen_stamp' | 'nan' | 'inf';

/** Sits between the link and the watchdog; keeps the ground truth of what it let through. */
class FaultInjector implements StateHandlers {
  fault: Fault = 'none';
  /** Harness time (ms) when data with a new stamp last went through, and that stamp (s). */
  lastFreshMs = Number.NaN;
  lastFreshStampSec = Number.NEGATIVE_INFINITY;
  /** Whether the last message let through carried a non-finite value. */
  poisoned = false;
  readonly #delayLine: Array<() => void> = [];
  #last: { js: JointState; odom: Odometry; imu: Imu } | null = null;
  #frozenStamp: { sec: number; nanosec: number } | null = null;

  constructor(
    readonly downstream: StateHandlers,
    readonly now: () => number,
    readonly delayTicks: number,
  ) {}

  jointState(msg: Readonly<JointState>): void {
    this.#route('js', structuredClone(msg));
  }
  imu(msg: Readonly<Imu>): void {
    this.#route('imu', structuredClone(msg));
  }
  odometry(msg: Readonly<Odometry>): void {
    this.#route('odom', structuredClone(msg));
  }

  #route(kind: 'js' | 'imu' | 'odom', msg: JointState | Imu | Odometry): void {
    if (this.fault !== 'frozen_stamp') this.#frozenStamp = null;
    const last = (this.#last ??= { js: msg as JointState, odom: msg as Odometry, imu: msg as Imu });
    switch (this.fault) {
      case 'drop':
        return;
      case 'stuck': {
        // the publisher repeats its last message (same stamp, same values)
        this.#forward(kind, kind === 'js' ? last.js : kind === 'odom' ? last.odom : last.imu);
        return;
      }
      case 'delay': {
        this.#delayLine.push(() => {
          this.#forward(kind, msg);
        });
        if (this.#delayLine.length > 3 * this.delayTicks) this.#delayLine.shift()?.();
        return;
      }
      case 'frozen_stamp': {
        // new values, but the stamp no longer advances (a driver stamping with a stuck clock)
        // frozen at the stamp of the last message that went through before the fault
        this.#frozenStamp ??= {
          ...(kind === 'js' ? last.js : kind === 'odom' ? last.odom : last.imu).header.stamp,
        };
        msg.header.stamp = { ...this.#frozenStamp };
        break;
      }
      case 'nan':
        if (kind === 'js')
          (msg as JointState).position = Float64Array.from((msg as JointState).position, (v, i) =>
            i === 4 ? Number.NaN : v,
          );
        break;
      case 'inf':
        if (kind === 'odom') (msg as Odometry).twist.twist.angular.y = Number.POSITIVE_INFINITY;
        break;
      case 'none':
        this.#delayLine.length = 0;
        break;
    }
    if (kind === 'js') last.js = msg as JointState;
    else if (kind === 'odom') last.odom = msg as Odometry;
    else last.imu = msg as Imu;
    this.#forward(kind, msg);
  }

  #forward(kind: 'js' | 'imu' | 'odom', msg: JointState | Imu | Odometry): void {
    const stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9;
    if (kind === 'js') {
      const js = msg as JointState;
      this.poisoned = Array.from(js.position).some((v) => !Number.isFinite(v));
      this.downstream.jointState(js);
    } else if (kind === 'odom') {
      const od = msg as Odometry;
      const a = od.twist.twist.angular;
      this.poisoned ||= !Number.isFinite(a.x + a.y + a.z);
      this.downstream.odometry(od);
    } else {
      this.downstream.imu(msg as Imu);
    }
    if (kind === 'js' && stamp > this.lastFreshStampSec) {
      this.lastFreshStampSec = stamp;
      this.lastFreshMs = this.now();
    }
  }
}

/** Forwards to MuJoCo and checks every command against the description's limits. */
class CheckingLink implements RobotLink {
  sent = 0;
  nonFinite = 0;
  outOfLimits = 0;
  constructor(
    readonly inner: MujocoLink,
    readonly actuators: readonly ActuatorInfo[],
  ) {}
  configure(): Promise<RobotDescription> {
    return this.inner.configure();
  }
  activate(h: StateHandlers): Promise<void> {
    return this.inner.activate(h);
  }
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    this.sent++;
    for (let k = 0; k < this.actuators.length; k++) {
      const v = cmd.data[k]!;
      if (!Number.isFinite(v)) this.nonFinite++;
      const [lo, hi] = this.actuators[k]!.commandLimits;
      if (!(v >= lo && v <= hi)) this.outOfLimits++;
    }
    this.inner.sendCommand(cmd);
  }
  deactivate(): Promise<void> {
    return this.inner.deactivate();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class RecordingGate extends SafetyGate {
  verdict: GateVerdict = 'waiting';
  override send(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    this.verdict = super.send(state, action, executed);
    return this.verdict;
  }
}

/**
 * Random actions in `scale` of each range, NaN on demand; with `standKp` > 0, a PD hold of the
 * first pose it sees (effort actuators) plus the random part, so a legged robot stands.
 */
class TestPolicy implements ActionPolicy {
  readonly source = 'random' as const;
  emitNaN = false;
  scale = 0.1;
  standKp = 0;
  readonly #rng = new Rng(7);
  #q0: number[] | null = null;
  constructor(
    readonly actuators: readonly ActuatorInfo[],
    readonly names: readonly string[],
  ) {}
  act(s: Float32Array, _d: number, out: Float32Array): void {
    const pos = this.actuators.map((a) => this.names.indexOf(`joint.${a.joint}.pos`));
    const vel = this.actuators.map((a) => this.names.indexOf(`joint.${a.joint}.vel`));
    this.#q0 ??= pos.map((j) => s[j]!);
    for (let i = 0; i < out.length; i++) {
      const [lo, hi] = this.actuators[i]!.commandLimits;
      const stand = this.standKp * (this.#q0[i]! - s[pos[i]!]!) - 0.01 * this.standKp * s[vel[i]!]!;
      out[i] = this.emitNaN ? Number.NaN : stand + this.scale * this.#rng.uniform(lo, hi);
    }
  }
}

interface TickRecord {
  readonly tick: number;
  readonly verdict: GateVerdict;
  /** Ground truth: the freshest data is older than the timeout. */
  readonly stale: boolean;
  readonly poisoned: boolean;
  readonly tiltRad: number;
}

async function withRobot(
  model: string,
  safety: Partial<SafetyConfig> | Record<string, unknown>,
  run: (h: {
    step: (t: number) => Promise<TickRecord>;
    injector: FaultInjector;
    gate: RecordingGate;
    policy: TestPolicy;
    link: CheckingLink;
    sim: MujocoLink;
  }) => Promise<void>,
): Promise<void> {
  const mujoco = new MujocoLink({
    modelPath: model,
    controlPeriodSec: PERIOD_MS / 1000,
    resetNoiseScale: 0.01,
  });
  try {
    const desc = await mujoco.configure();
    const link = new CheckingLink(mujoco, desc.actuators);
    const assembler = new StateAssembler(desc, { base: ['pos_z', 'quat', 'linvel', 'angvel'] });
    const clock = { now: 0 };
    const config = safetySchema.parse({ state_timeout_ms: TIMEOUT_MS, ...safety });
    const watchdog = new StateWatchdog({
      downstream: assembler,
      clock: { nowMs: () => clock.now },
      timeoutMs: config.state_timeout_ms,
      stamps: 'strict',
      required: { jointState: true, odometry: true, imu: false },
      stampClock: { nowSec: () => mujoco.simTimeSec },
    });
    const injector = new FaultInjector(watchdog, () => clock.now, 5);
    const options: SafetyGateOptions = {
      config,
      joints: desc.joints,
      clock: { nowMs: () => clock.now },
      periodMs: PERIOD_MS,
      watchdog,
      simulated: true,
    };
    const gate = new RecordingGate(
      link,
      desc.actuators,
      desc.actuators.map((a) => a.name),
      assembler.layout,
      options,
    );
    const policy = new TestPolicy(desc.actuators, assembler.layout.names);
    const loop = new ControlLoop({
      assembler,
      policy,
      gate,
      clock: { nowMs: () => clock.now },
      budgetMs: 15,
      actionDim: desc.actuators.length,
      latency: new LatencyHistogram(),
      logger: silentLogger(),
      onTransition: () => undefined,
    });
    await mujoco.activate(injector);
    mujoco.reset(3);
    const qw = assembler.layout.names.indexOf('base.quat.w');
    const step = async (t: number): Promise<TickRecord> => {
      clock.now = t * PERIOD_MS;
      mujoco.step();
      await loop.tick({
        index: t,
        scheduledMs: clock.now,
        startedMs: clock.now,
        measuredPeriodMs: PERIOD_MS,
      });
      const s = assembler.state;
      const q = { w: s[qw]!, x: s[qw + 1]!, y: s[qw + 2]!, z: s[qw + 3]! };
      const cos =
        (q.w * q.w + q.z * q.z - q.x * q.x - q.y * q.y) /
        (q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
      const ageMs = clock.now - injector.lastFreshMs;
      const stampAgeMs = (mujoco.simTimeSec - injector.lastFreshStampSec) * 1000;
      return {
        tick: t,
        verdict: gate.verdict,
        stale: !(ageMs <= TIMEOUT_MS) || !(stampAgeMs <= TIMEOUT_MS + 1e-6),
        poisoned: injector.poisoned,
        tiltRad: Math.acos(Math.max(-1, Math.min(1, cos))),
      };
    };
    await run({ step, injector, gate, policy, link, sim: mujoco });
    assert.equal(link.nonFinite, 0, 'non-finite values sent');
    assert.equal(link.outOfLimits, 0, 'commands outside limits sent');
  } finally {
    await mujoco.close();
  }
}

/** Ticks from `from` to the first safe (non-policy) command. */
function ticksToSafe(records: readonly TickRecord[], from: number): number {
  const r = records.find((x) => x.tick >= from && !isPolicyCommand(x.verdict));
  return r === undefined ? Number.POSITIVE_INFINITY : r.tick - from;
}

function assertNoCommandOnBadState(records: readonly TickRecord[]): void {
  for (const r of records) {
    if (isPolicyCommand(r.verdict)) {
      assert.ok(!r.stale, `tick ${r.tick}: a policy command was built on stale state`);
      assert.ok(!r.poisoned, `tick ${r.tick}: a policy command was built on non-finite state`);
    }
  }
}

describe('safety gate on MuJoCo with fault injection', function () {
  this.timeout(120000);

  for (const fault of ['drop', 'stuck', 'delay', 'frozen_stamp'] as const) {
    it(`state ${fault} -> safe command within 2 ticks, latched until re-armed, none built on stale state`, async () => {
      await withRobot(
        QUADRUPED,
        { soft_start: { duration_s: 0.2 }, tilt: { max_rad: 1.2 } },
        async ({ step, injector, gate }) => {
          const records: TickRecord[] = [];
          for (let t = 0; t < 40; t++) records.push(await step(t));
          assert.ok(
            records.slice(15, 40).every((r) => isPolicyCommand(r.verdict)),
            `running before the fault: ${records.map((r) => `${r.verdict}/${r.tiltRad.toFixed(2)}`).join(' ')}`,
          );
          injector.fault = fault;
          for (let t = 40; t < 60; t++) records.push(await step(t));
          assert.ok(
            ticksToSafe(records, 40) <= 2,
            `time to safe: ${ticksToSafe(records, 40)} ticks`,
          );
          injector.fault = 'none';
          for (let t = 60; t < 70; t++) records.push(await step(t));
          assert.ok(
            records.slice(45, 70).every((r) => !isPolicyCommand(r.verdict)),
            'latched: no motion without a re-arm',
          );
          assert.equal(gate.latch, 'stale');
          assert.equal(gate.rearm(), true);
          for (let t = 70; t < 90; t++) records.push(await step(t));
          assert.ok(
            records.slice(71, 90).every((r) => isPolicyCommand(r.verdict)),
            'moving again after the re-arm',
          );
          assertNoCommandOnBadState(records);
        },
      );
    });
  }

  it('NaN / Inf in state fields -> safe command in the same tick, not latched', async () => {
    await withRobot(QUADRUPED, { soft_start: { duration_s: 0 } }, async ({ step, injector }) => {
      const records: TickRecord[] = [];
      for (let t = 0; t < 10; t++) records.push(await step(t));
      for (const fault of ['nan', 'inf'] as const) {
        const from = records.length;
        injector.fault = fault;
        for (let t = from; t < from + 3; t++) records.push(await step(t));
        assert.equal(ticksToSafe(records, from), 0);
        assert.ok(records.slice(from, from + 3).every((r) => r.verdict === 'state_not_finite'));
        injector.fault = 'none';
        for (let t = from + 3; t < from + 6; t++) records.push(await step(t));
        assert.ok(
          isPolicyCommand(records[from + 3]!.verdict),
          'the next valid state is used again',
        );
      }
      assertNoCommandOnBadState(records);
    });
  });

  it('planner NaN -> safe command in the same tick; a limit-violating plan is limited', async () => {
    await withRobot(
      QUADRUPED,
      { soft_start: { duration_s: 0 } },
      async ({ step, policy, link }) => {
        const records: TickRecord[] = [];
        for (let t = 0; t < 5; t++) records.push(await step(t));
        policy.emitNaN = true;
        records.push(await step(5));
        assert.equal(records[5]!.verdict, 'action_not_finite');
        policy.emitNaN = false;
        policy.scale = 40; // 40 x the command range: far outside every limit
        for (let t = 6; t < 30; t++) records.push(await step(t));
        assert.ok(
          records.slice(6).every((r) => r.verdict === 'clamped' || !isPolicyCommand(r.verdict)),
        );
        assert.ok(link.sent >= 30);
        assertNoCommandOnBadState(records);
      },
    );
  });

  it('software stop -> safe command at once, latched; release does not restart; re-arm does', async () => {
    await withRobot(QUADRUPED, { soft_start: { duration_s: 0 } }, async ({ step, gate, link }) => {
      const records: TickRecord[] = [];
      for (let t = 0; t < 10; t++) records.push(await step(t));
      const before = link.sent;
      gate.stop();
      assert.equal(link.sent, before + 1, 'the safe command left inside stop()');
      for (let t = 10; t < 15; t++) records.push(await step(t));
      gate.release();
      for (let t = 15; t < 20; t++) records.push(await step(t));
      assert.ok(records.slice(10, 20).every((r) => r.verdict === 'stopped'));
      assert.equal(gate.rearm(), true);
      for (let t = 20; t < 25; t++) records.push(await step(t));
      assert.ok(records.slice(20).every((r) => isPolicyCommand(r.verdict)));
    });
  });

  for (const pushed of [true, false]) {
    it(`tilt via a push (a sideways shove of the quadruped\u2019s torso mid-run): ${pushed ? 'latched stop within 2 ticks of crossing' : 'without it, no stop'}`, async () => {
      // the effort quadruped: a torque PD stand the shove can tip (position servos resist it)
      await withRobot(
        QUADRUPED_EFFORT_URDF,
        { soft_start: { duration_s: 0 }, tilt: { max_rad: 0.6 } },
        async ({ step, gate, policy, sim }) => {
          policy.standKp = 20; // stand (PD on the first pose) with a little noise
          policy.scale = 0.02;
          const records: TickRecord[] = [];
          for (let t = 0; t < 10; t++) records.push(await step(t));
          if (pushed) sim.setExternalWrench('base_link', [0, 250, 0], [60, 0, 0]); // a 0.2 s shove and roll
          for (let t = 10; t < 20; t++) records.push(await step(t));
          sim.setExternalWrench('base_link', [0, 0, 0]);
          for (let t = 20; t < 40; t++) records.push(await step(t));
          assert.ok(
            records.slice(0, 10).every((r) => r.tiltRad < 0.3),
            'level before the push',
          );
          assert.ok(
            records.slice(0, 10).some((r) => isPolicyCommand(r.verdict)),
            'moving before the push',
          );
          const crossed = records.find((r) => r.tiltRad > 0.6);
          if (!pushed) {
            assert.equal(crossed, undefined, 'nothing tips it over without the push');
            assert.equal(gate.latch, null);
            return;
          }
          assert.ok(crossed !== undefined, 'the push tipped the quadruped over');
          assert.ok(ticksToSafe(records, crossed.tick) <= 2);
          assert.equal(gate.latch, 'tilt');
          assert.ok(
            records.slice(crossed.tick + 2).every((r) => !isPolicyCommand(r.verdict)),
            'latched',
          );
        },
      );
    });
  }

  it('tilt via a big pitch rate at reset (the planar runner) -> latched stop within 2 ticks of crossing the threshold', async () => {
    const tmp = tempDir();
    try {
      // The planar runner with a keyframe that starts it pitching at 9 rad/s: MuJoCo resets to it.
      const xml = readFileSync(RUNNER, 'utf8').replace(
        '</mujoco>',
        '<keyframe><key name="push" qvel="0.5 0 -9 0 0 0 0 0 0"/></keyframe></mujoco>',
      );
      const model = tmp.write('pushed_runner.xml', xml);
      await withRobot(
        model,
        { soft_start: { duration_s: 0 }, tilt: { max_rad: 0.6 } },
        async ({ step, gate }) => {
          const records: TickRecord[] = [];
          for (let t = 0; t < 40; t++) records.push(await step(t));
          const crossed = records.find((r) => r.tiltRad > 0.6);
          assert.ok(crossed !== undefined, 'the push tipped the runner over');
          assert.ok(
            records.slice(0, crossed.tick).some((r) => isPolicyCommand(r.verdict)),
            'it was moving before',
          );
          assert.ok(ticksToSafe(records, crossed.tick) <= 2);
          assert.equal(gate.latch, 'tilt');
          assert.ok(
            records.slice(crossed.tick + 2).every((r) => !isPolicyCommand(r.verdict)),
            'latched',
          );
        },
      );
    } finally {
      tmp.cleanup();
    }
  });
});
