import assert from 'node:assert/strict';
import { configSchema, type ActionConfig } from '../../../src/config/schema.js';
import { ActionSpace } from '../../../src/control/ActionSpace.js';
import { RandomPolicy } from '../../../src/control/RandomPolicy.js';
import { ForwardSpeedReward } from '../../../src/planning/rewards.js';
import type { RobotDescription } from '../../../src/robot/types.js';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import { defaultSafetyConfig } from '../../../src/safety/safetyConfig.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { StriderError } from '../../../src/util/StriderError.js';
import { RecordingLink, twoJointRobot } from '../../helpers/fixtures.js';

/** A two-leg robot with position servos over the whole circle (Menagerie style) and a home key. */
function servoRobot(): RobotDescription {
  return {
    name: 'legs',
    modelPath: '/fixtures/legs.xml',
    joints: [
      { name: 'hip', type: 'hinge', positionLimits: [-1, 3], velocityLimit: 20, effortLimit: 30 },
      {
        name: 'knee',
        type: 'hinge',
        positionLimits: [-2.6, -0.6],
        velocityLimit: 20,
        effortLimit: 30,
      },
    ],
    actuators: [
      { name: 'hip_pos', joint: 'hip', interface: 'position', commandLimits: [-6.28, 6.28] },
      { name: 'knee_pos', joint: 'knee', interface: 'position', commandLimits: [-6.28, 6.28] },
    ],
    base: { body: 'trunk', kind: 'free' },
    keyframes: [
      { name: 'zero', jointPositions: { hip: 0, knee: -1 }, baseHeightM: 0.4 },
      { name: 'home', jointPositions: { hip: 0.8, knee: -1.5 }, baseHeightM: 0.34 },
    ],
  };
}

function action(over: Record<string, unknown>): ActionConfig {
  return configSchema.parse({ robot: { model: 'x.xml' }, control: { action: over } }).control
    .action;
}

function build(desc: RobotDescription, over: Record<string, unknown>): ActionSpace {
  return ActionSpace.fromConfig(desc, desc.actuators, action(over));
}

function throwsNaming(fn: () => unknown, code: string, ...parts: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StriderError);
    assert.equal(err.code, code);
    for (const p of parts) assert.match(err.message, p);
    return true;
  });
}

describe('control/ActionSpace', () => {
  it('effort (the default): the command range, nominal zero', () => {
    const desc = twoJointRobot();
    const s = build(desc, {});
    assert.equal(s.kind, 'effort');
    assert.deepEqual(Array.from(s.low), [-5, -2]);
    assert.deepEqual(Array.from(s.high), [5, 0]);
    assert.deepEqual(Array.from(s.nominal), [0, 0]);
  });

  it('position around a keyframe: nominal -+ scale, per joint scales', () => {
    const s = build(servoRobot(), { space: 'position', scale: { knee: 0.5 } });
    assert.equal(s.nominalSource, 'keyframe');
    assert.ok(Math.abs(s.nominal[0]! - 0.8) < 1e-6 && Math.abs(s.nominal[1]! + 1.5) < 1e-6);
    assert.ok(Math.abs(s.low[0]! - 0.5) < 1e-6 && Math.abs(s.high[0]! - 1.1) < 1e-6); // default 0.3
    assert.ok(Math.abs(s.low[1]! + 2) < 1e-6 && Math.abs(s.high[1]! + 1) < 1e-6);
    assert.equal(s.stanceBaseHeightM, 0.34);
  });

  it('position around a config stance', () => {
    const s = build(servoRobot(), {
      space: 'position',
      nominal: 'config',
      stance: { hip: 1, knee: -1.2 },
      scale: 0.2,
    });
    assert.ok(Math.abs(s.low[0]! - 0.8) < 1e-6 && Math.abs(s.high[1]! + 1) < 1e-6);
  });

  it('a keyframe that does not exist: names the key and lists the ones that do', () => {
    throwsNaming(
      () => build(servoRobot(), { space: 'position', keyframe: 'stand' }),
      'CONFIG_INVALID',
      /control\.action\.keyframe/,
      /"stand"/,
      /its keyframes are: zero, home/,
    );
  });

  it('a scale that would command outside the joint range: names the key, joint and largest scale', () => {
    throwsNaming(
      () => build(servoRobot(), { space: 'position', scale: { knee: 1 } }),
      'CONFIG_INVALID',
      /control\.action\.scale/,
      /joint "knee"/,
      /outside its range \[-2\.6, -0\.6\]/,
      /expected a scale <= 0\.9/,
    );
  });

  it('position on effort-only joints without gains: names the joint and what was expected', () => {
    const desc = twoJointRobot();
    throwsNaming(
      () => build(desc, { space: 'position', nominal: 'config', stance: { knee: -1 } }),
      'CONFIG_INVALID',
      /control\.action\.space/,
      /joint "hip"/,
      /effort actuator "hip_motor"/,
      /control\.action\.pd/,
    );
  });

  it('a stance joint the model lacks is MODEL_MAPPING', () => {
    throwsNaming(
      () => build(servoRobot(), { space: 'position', nominal: 'config', stance: { ankle: 0 } }),
      'MODEL_MAPPING',
      /control\.action\.stance/,
      /"ankle"/,
    );
  });

  it('nominal arming: captured once, the bounds follow', () => {
    const s = build(servoRobot(), { space: 'position', nominal: 'arming', scale: 0.1 });
    assert.ok(s.awaitingCapture);
    assert.equal(s.captureNominal([0.5, -1]), true);
    assert.equal(s.captureNominal([2, -2]), false);
    assert.ok(Math.abs(s.low[0]! - 0.4) < 1e-6 && Math.abs(s.high[1]! + 0.9) < 1e-6);
  });

  it('random actions in position space stay within scale x the bounds around the nominal', () => {
    const desc = servoRobot();
    const s = build(desc, { space: 'position', scale: 0.3 });
    const random = new RandomPolicy(desc.actuators, { scale: 0.5, seed: 1, space: s });
    const out = new Float32Array(2);
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      random.act(new Float32Array(0), 0, out);
      assert.ok(out[0]! >= 0.8 - 0.15 - 1e-6 && out[0]! <= 0.8 + 0.15 + 1e-6);
      assert.ok(out[1]! >= -1.5 - 0.15 - 1e-6 && out[1]! <= -1.5 + 0.15 + 1e-6);
      sum += out[0]!;
    }
    assert.ok(Math.abs(sum / 2000 - 0.8) < 0.02);
  });

  it('the control cost is zero at the nominal and 1 per joint at the bound', () => {
    const desc = servoRobot();
    const s = build(desc, { space: 'position', scale: 0.3 });
    const layout = { dim: 1, names: ['base.linvel.x'] } as unknown as ConstructorParameters<
      typeof ForwardSpeedReward
    >[0];
    const r = new ForwardSpeedReward(layout, desc.actuators, 1, s);
    const out = new Float32Array(2);
    r.evaluate(
      new Float32Array(2),
      Float32Array.of(0.8, -1.5, 1.1, -1.2),
      new Float32Array(2),
      2,
      out,
    );
    assert.ok(Math.abs(out[0]!) < 1e-5);
    assert.ok(Math.abs(out[1]! + 2) < 1e-4);
  });

  it('the safety gate limits to the bounds and its safe command walks to the stance', () => {
    const desc = servoRobot();
    const s = build(desc, { space: 'position', scale: 0.3 });
    const link = new RecordingLink(desc);
    const layout = new StateAssembler(desc, { base: [] }).layout;
    const cfg = defaultSafetyConfig();
    const gate = new SafetyGate(link, desc.actuators, ['hip_pos', 'knee_pos'], layout, {
      config: {
        ...cfg,
        soft_start: { duration_s: 0 },
        rate_limit: { enabled: true, range_per_s: 5 },
      },
      joints: desc.joints,
      periodMs: 20,
      actionSpace: s,
    });
    const executed = new Float32Array(2);
    const state = Float32Array.of(0.8, -1.5, 0, 0);
    assert.equal(gate.send(state, Float32Array.of(3, -1.5), executed), 'clamped');
    assert.ok(
      Math.abs(link.sent[0]![0]! - 1.1) < 1e-6,
      `hip clamped to nominal + scale: ${link.sent[0]![0]}`,
    );
    // a fault: from a pose 0.2 rad off the stance the safe command steps towards it, 5 x 0.6 x 0.02
    const off = Float32Array.of(0.6, -1.5, 0, 0);
    gate.sendFault(off, 'policy_failed', executed);
    const last = link.sent.at(-1)!;
    assert.ok(
      Math.abs(last[0]! - (0.6 + 0.06)) < 1e-6,
      `one rate step towards the stance: ${last[0]}`,
    );
    assert.ok(Math.abs(last[1]! + 1.5) < 1e-6);
    gate.sendFault(state, 'policy_failed', executed);
    assert.ok(Math.abs(link.sent.at(-1)![0]! - 0.8) < 1e-6);
  });
});

describe('control/ActionSpace: the safe command before the gate was ever armed', () => {
  it('holds the measured pose (a robot lying down is not stood up unarmed), then seeks the stance once armed', () => {
    const desc = servoRobot();
    const s = build(desc, { space: 'position', scale: 0.3 });
    const link = new RecordingLink(desc);
    const layout = new StateAssembler(desc, { base: [] }).layout;
    const gate = new SafetyGate(link, desc.actuators, ['hip_pos', 'knee_pos'], layout, {
      config: {
        ...defaultSafetyConfig(),
        soft_start: { duration_s: 0 },
        rate_limit: { enabled: true, range_per_s: 5 },
      },
      joints: desc.joints,
      periodMs: 20,
      actionSpace: s,
    });
    const executed = new Float32Array(2);
    const lying = Float32Array.of(0.2, -0.5, 0, 0); // far from the stance
    gate.sendSafe(lying, executed);
    gate.sendSafe(lying, executed);
    assert.deepEqual(Array.from(link.sent.at(-1)!), [Math.fround(0.2), -0.5]);
    gate.send(lying, Float32Array.of(0.2, -0.5), executed); // armed by its first policy command
    gate.sendFault(lying, 'policy_failed', executed);
    assert.ok(link.sent.at(-1)![0]! > 0.2 + 1e-6, `towards the stance: ${link.sent.at(-1)![0]}`);
  });
});

describe('control/ActionSpace nominal: arming, through the safety gate', () => {
  it('the gate captures the stance at its first arming and limits commands around it', () => {
    const desc = servoRobot();
    const s = build(desc, { space: 'position', nominal: 'arming', scale: 0.1 });
    const link = new RecordingLink(desc);
    const layout = new StateAssembler(desc, { base: [] }).layout;
    const gate = new SafetyGate(link, desc.actuators, ['hip_pos', 'knee_pos'], layout, {
      config: {
        ...defaultSafetyConfig(),
        soft_start: { duration_s: 0 },
        rate_limit: { enabled: false, range_per_s: 1 },
      },
      joints: desc.joints,
      actionSpace: s,
    });
    const executed = new Float32Array(2);
    gate.send(Float32Array.of(0.5, -1, 0, 0), Float32Array.of(0.5, -1), executed);
    assert.equal(s.awaitingCapture, false);
    assert.ok(Math.abs(s.nominal[0]! - 0.5) < 1e-6 && Math.abs(s.nominal[1]! + 1) < 1e-6);
    gate.send(Float32Array.of(0.5, -1, 0, 0), Float32Array.of(2, -2), executed);
    const last = link.sent.at(-1)!;
    assert.ok(Math.abs(last[0]! - 0.6) < 1e-6 && Math.abs(last[1]! + 1.1) < 1e-6, String(last));
  });
});
