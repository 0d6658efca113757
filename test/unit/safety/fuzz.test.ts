import assert from 'node:assert/strict';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import { isPolicyCommand } from '../../../src/safety/types.js';
import { safetySchema } from '../../../src/safety/safetyConfig.js';
import { StateWatchdog } from '../../../src/safety/StateWatchdog.js';
import type { Float64MultiArray } from '../../../src/msgs/types.js';
import type { RobotDescription, RobotLink } from '../../../src/robot/types.js';
import { urdfDescription } from '../../../src/robot/ros2/urdfDescription.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { Rng } from '../../../src/util/rng.js';

const MESSAGES = 120_000;

/** Checks every command it is sent against the description's limits; keeps counts only. */
class CheckingLink implements RobotLink {
  commands = 0;
  nonFinite = 0;
  outOfLimits = 0;
  constructor(readonly description: RobotDescription) {}
  configure(): Promise<RobotDescription> {
    return Promise.resolve(this.description);
  }
  activate(): Promise<void> {
    return Promise.resolve();
  }
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    this.commands++;
    const acts = this.description.actuators;
    if (cmd.data.length !== acts.length) throw new Error('wrong length');
    for (let k = 0; k < acts.length; k++) {
      const v = cmd.data[k]!;
      if (!Number.isFinite(v)) this.nonFinite++;
      const [lo, hi] = acts[k]!.commandLimits;
      if (!(v >= lo && v <= hi)) this.outOfLimits++;
    }
  }
  deactivate(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const EXTREMES = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e308,
  -1e308,
  5e-324,
  -0,
  0,
  1e9,
  -1e9,
  Number.MAX_SAFE_INTEGER,
];

describe('safety fuzz: malformed and extreme state messages through watchdog, assembler and gate', function () {
  this.timeout(60000);

  it(`${MESSAGES} messages: no crash, 0 non-finite and 0 out-of-limit commands`, () => {
    const desc = urdfDescription('urdf/quadruped.urdf', 'free');
    const link = new CheckingLink(desc);
    const assembler = new StateAssembler(desc, { base: ['pos_z', 'quat', 'linvel', 'angvel'] });
    let nowMs = 0;
    const clock = { nowMs: () => nowMs };
    const config = safetySchema.parse({ soft_start: { duration_s: 0.1 }, state_timeout_ms: 60 });
    const watchdog = new StateWatchdog({
      downstream: assembler,
      clock,
      timeoutMs: config.state_timeout_ms,
      stamps: 'strict',
      required: { jointState: true, odometry: true, imu: false },
    });
    const gate = new SafetyGate(
      link,
      desc.actuators,
      desc.actuators.map((a) => a.name),
      assembler.layout,
      {
        config,
        joints: desc.joints,
        clock,
        periodMs: 20,
        watchdog,
        imu: assembler,
      },
    );
    const rng = new Rng(20261123);
    const names = desc.joints.map((j) => j.name);
    const n = names.length;
    const action = new Float32Array(desc.actuators.length);
    const exec = new Float32Array(desc.actuators.length);
    let stamp = 1;
    const pick = (): number => EXTREMES[Math.floor(rng.uniform(0, EXTREMES.length))]!;
    /** Mostly sane values, sometimes extreme: what a broken driver or bus sends. */
    const value = (scale: number): number =>
      rng.next() < 0.004 ? pick() : rng.uniform(-scale, scale);
    const verdicts = new Map<string, number>();
    for (let m = 0; m < MESSAGES; m++) {
      const kind = rng.next();
      const malformed = rng.next() < 0.08;
      stamp += rng.next() < 0.05 ? -0.01 : rng.next() < 0.05 ? 0 : 0.02;
      const header =
        rng.next() < 0.02
          ? undefined
          : {
              stamp: { sec: Math.floor(stamp), nanosec: Math.round((stamp % 1) * 1e9) },
              frame_id: '',
            };
      if (kind < 0.45) {
        const count = malformed ? Math.floor(rng.uniform(0, n + 2)) : n;
        const msg = {
          header,
          name: malformed && rng.next() < 0.3 ? undefined : names.slice(0, count),
          position:
            malformed && rng.next() < 0.3
              ? null
              : Float64Array.from({ length: count }, () => value(2)),
          velocity: Float64Array.from({ length: count }, () => value(20)),
          effort: new Float64Array(count),
        };
        watchdog.jointState(msg as never);
      } else if (kind < 0.9) {
        const ang = value(0.5);
        const msg = {
          header,
          child_frame_id: 'base_link',
          pose:
            malformed && rng.next() < 0.5
              ? {}
              : {
                  pose: {
                    position: { x: value(1), y: value(1), z: value(1) },
                    orientation: {
                      w: Math.cos(ang),
                      x: Math.sin(ang),
                      y: value(0.1),
                      z: value(0.1),
                    },
                  },
                  covariance: new Float64Array(36),
                },
          twist: {
            twist: {
              linear: { x: value(2), y: value(2), z: value(2) },
              angular: { x: value(5), y: value(5), z: value(5) },
            },
            covariance: new Float64Array(36),
          },
        };
        watchdog.odometry(msg as never);
      } else if (kind < 0.93) {
        watchdog.imu(
          (malformed
            ? { header }
            : {
                header,
                orientation: { x: value(1), y: value(1), z: value(1), w: value(1) },
              }) as never,
        );
      } else {
        // a control tick with an arbitrary (sometimes hostile) planner output
        nowMs += rng.next() < 0.02 ? 200 : 20;
        for (let i = 0; i < action.length; i++)
          action[i] = rng.next() < 0.1 ? pick() : rng.uniform(-50, 50);
        const v = gate.send(assembler.state, action, exec);
        verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
        for (let i = 0; i < exec.length; i++)
          assert.ok(Number.isFinite(exec[i]!), 'executed must be finite');
        if (!isPolicyCommand(v) && rng.next() < 0.3) gate.rearm();
        if (rng.next() < 0.001) gate.stop();
        if (rng.next() < 0.02) gate.release();
      }
    }
    assert.equal(link.nonFinite, 0);
    assert.equal(link.outOfLimits, 0);
    assert.ok(link.commands > 5000, `commands sent: ${link.commands}`);
    assert.ok(
      (verdicts.get('ok') ?? 0) + (verdicts.get('clamped') ?? 0) > 100,
      `some policy commands went out: ${JSON.stringify([...verdicts])}`,
    );
    assert.ok(
      watchdog.malformed > 1000 && watchdog.dropped > 1000,
      'malformed and stale messages were exercised',
    );
  });
});
