import assert from 'node:assert/strict';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import { isPolicyCommand } from '../../../src/safety/types.js';
import { safetySchema, type SafetyConfig } from '../../../src/safety/safetyConfig.js';
import { StateWatchdog } from '../../../src/safety/StateWatchdog.js';
import type { Float64MultiArray } from '../../../src/msgs/types.js';
import type { RobotDescription, RobotLink } from '../../../src/robot/types.js';
import { urdfDescription } from '../../../src/robot/ros2/urdfDescription.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { Rng } from '../../../src/util/rng.js';
import { QUADRUPED_EFFORT_URDF } from '../../helpers/quadruped.js';

const MESSAGES = 120_000;

/** Checks every command it is sent against the description's limits; keeps counts only. */
class CheckingLink implements RobotLink {
  commands = 0;
  nonFinite = 0;
  outOfLimits = 0;
  /** The last command sent (model order), and the one before it. */
  readonly last: Float64Array;
  readonly previous: Float64Array;
  hasPrevious = false;
  constructor(readonly description: RobotDescription) {
    this.last = new Float64Array(description.actuators.length);
    this.previous = new Float64Array(description.actuators.length);
  }
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
    if (this.commands > 1) {
      this.previous.set(this.last);
      this.hasPrevious = true;
    }
    for (let k = 0; k < acts.length; k++) this.last[k] = cmd.data[k]!;
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

/**
 * What the gate promises about a policy command built from `state` (an independent reading of the
 * rules in docs/safety.md, not the gate's code): effort within the joint's effort limit; no effort
 * pushing a joint further past its position limit (less the margin) or its velocity limit; a change
 * from the previous command within the rate limit unless a safety cut set it to zero. Returns the
 * broken rules, empty when none.
 */
function brokenRules(
  desc: RobotDescription,
  names: readonly string[],
  state: Float32Array,
  cmd: Float64Array,
  previous: Float64Array | null,
  config: SafetyConfig,
  periodMs: number,
): string[] {
  const broken: string[] = [];
  const margin = config.limits.position_margin;
  for (let k = 0; k < desc.actuators.length; k++) {
    const a = desc.actuators[k]!;
    const j = desc.joints.find((x) => x.name === a.joint)!;
    const c = cmd[k]!;
    const q = state[names.indexOf(`joint.${j.name}.pos`)]!;
    const qd = state[names.indexOf(`joint.${j.name}.vel`)]!;
    if (j.effortLimit !== null && Math.abs(c) > j.effortLimit) broken.push(`${a.name} effort ${c}`);
    let cut = false;
    if (j.positionLimits !== null) {
      const [lo, hi] = j.positionLimits;
      if ((q >= hi - margin && c > 0) || (q <= lo + margin && c < 0))
        broken.push(`${a.name} pushes past its position limit at q=${q}: ${c}`);
      cut ||= q >= hi - margin || q <= lo + margin;
    }
    if (j.velocityLimit !== null) {
      const v = j.velocityLimit;
      if ((qd >= v && c > 0) || (qd <= -v && c < 0))
        broken.push(`${a.name} pushes past its velocity limit at qd=${qd}: ${c}`);
      cut ||= Math.abs(qd) >= v;
    }
    if (previous !== null && config.rate_limit.enabled) {
      const [lo, hi] = a.commandLimits;
      const step = config.rate_limit.range_per_s * (hi - lo) * (periodMs / 1000);
      const moved = Math.abs(c - previous[k]!);
      if (moved > step * (1 + 1e-9) && !(cut && c === 0))
        broken.push(`${a.name} moved ${moved} > rate step ${step}`);
    }
  }
  return broken;
}

/** A value a sane driver never sends in a state message. */
const insane = (v: number): boolean => !Number.isFinite(v) || Math.abs(v) > 1e6;

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

  it(`${MESSAGES} messages: no crash; every command finite and in range; every policy command within the joint position, velocity, effort and rate limits and built from well-formed messages only`, () => {
    // the effort quadruped: the checks below are the effort actuators' rules
    const desc = urdfDescription(QUADRUPED_EFFORT_URDF, 'free');
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
    const layoutNames = assembler.layout.names;
    let policyCommands = 0;
    const violations: string[] = [];
    // A topic is tainted while the last message the watchdog took from it was malformed or
    // carried an insane value: no policy command may be built until a sane one replaces it.
    const tainted = { jointState: false, odometry: false, imu: false };
    const deliver = (topic: keyof typeof tainted, msg: unknown, bad: boolean): void => {
      const before = watchdog.malformed + watchdog.dropped;
      watchdog[topic](msg as never);
      if (watchdog.malformed + watchdog.dropped === before) tainted[topic] = bad;
    };
    let taintedPolicyCommands = 0;
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
        // malformed: a missing name or position array, or fewer or more values than joints
        const bad =
          msg.name === undefined ||
          msg.position === null ||
          count !== n ||
          header === undefined ||
          [...msg.position, ...msg.velocity].some(insane);
        deliver('jointState', msg, bad);
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
        const p = msg.pose as { pose?: { position: object; orientation: object } };
        const values =
          p.pose === undefined
            ? [Number.NaN]
            : [
                (p.pose.position as { z: number }).z, // world x/y are not in the state
                ...Object.values(p.pose.orientation as Record<string, number>),
                ...Object.values(msg.twist.twist.linear),
                ...Object.values(msg.twist.twist.angular),
              ];
        deliver('odometry', msg, header === undefined || values.some(insane));
      } else if (kind < 0.93) {
        const orientation = { x: value(1), y: value(1), z: value(1), w: value(1) };
        deliver(
          'imu',
          malformed ? { header } : { header, orientation },
          malformed || header === undefined || Object.values(orientation).some(insane),
        );
      } else {
        // a control tick with an arbitrary (sometimes hostile) planner output
        nowMs += rng.next() < 0.02 ? 200 : 20;
        for (let i = 0; i < action.length; i++)
          action[i] = rng.next() < 0.1 ? pick() : rng.uniform(-50, 50);
        const sentBefore = link.commands;
        const v = gate.send(assembler.state, action, exec);
        verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
        if (isPolicyCommand(v)) {
          assert.equal(link.commands, sentBefore + 1, 'a policy command was sent');
          policyCommands++;
          if (tainted.jointState || tainted.odometry) taintedPolicyCommands++;
          const broken = brokenRules(
            desc,
            layoutNames,
            assembler.state,
            link.last,
            link.hasPrevious ? link.previous : null,
            config,
            20,
          );
          if (broken.length > 0 && violations.length < 5) violations.push(...broken);
        }
        for (let i = 0; i < exec.length; i++)
          assert.ok(Number.isFinite(exec[i]!), 'executed must be finite');
        if (!isPolicyCommand(v) && rng.next() < 0.3) gate.rearm();
        if (rng.next() < 0.001) gate.stop();
        if (rng.next() < 0.02) gate.release();
      }
    }
    assert.equal(link.nonFinite, 0);
    assert.equal(link.outOfLimits, 0);
    assert.deepEqual(violations, [], 'policy commands within the joint limits and the rate limit');
    assert.equal(taintedPolicyCommands, 0, 'no policy command built from a malformed message');
    assert.ok(policyCommands > 100, `policy commands checked: ${policyCommands}`);
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
