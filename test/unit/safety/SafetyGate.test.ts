import assert from 'node:assert/strict';
import { SafetyGate } from '../../../src/safety/SafetyGate.js';
import { defaultSafetyConfig } from '../../../src/safety/safetyConfig.js';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { StriderError } from '../../../src/util/StriderError.js';
import { RecordingLink, twoJointRobot } from '../../helpers/fixtures.js';

function setup(commanded = ['hip_motor', 'knee_servo']) {
  const robot = twoJointRobot();
  const link = new RecordingLink(robot);
  const layout = new StateAssembler(robot, { base: [] }).layout;
  const gate = new SafetyGate(link, robot.actuators, commanded, layout, {
    config: { ...defaultSafetyConfig(), soft_start: { duration_s: 0 } },
  });
  return { link, gate };
}

describe('safety/SafetyGate', () => {
  it('passes a finite in-range command through and reports what was executed', () => {
    const { link, gate } = setup();
    const executed = new Float32Array(2);
    const v = gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(1.5, -0.5), executed);
    assert.equal(v, 'ok');
    assert.deepEqual(link.sent, [[1.5, -0.5]]);
    assert.deepEqual(Array.from(executed), [1.5, -0.5]);
  });

  it('clamps to each actuator\u2019s command limits', () => {
    const { link, gate } = setup();
    const executed = new Float32Array(2);
    assert.equal(
      gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(9, 3), executed),
      'clamped',
    );
    assert.deepEqual(link.sent[0], [5, 0]);
    assert.equal(gate.clamps, 1);
  });

  it('sends the safe command for a non-finite action or state: zero effort, hold measured position', () => {
    const { link, gate } = setup();
    const executed = new Float32Array(2);
    assert.equal(
      gate.send(Float32Array.of(0.2, -1.25, 0, 0), Float32Array.of(Number.NaN, -0.5), executed),
      'action_not_finite',
    );
    assert.deepEqual(link.sent[0], [0, -1.25]);
    assert.equal(
      gate.send(
        Float32Array.of(0.2, Number.POSITIVE_INFINITY, 0, 0),
        Float32Array.of(1, -0.5),
        executed,
      ),
      'state_not_finite',
    );
    // no finite measurement now: hold the last one (the removed config-less gate sent the
    // middle of the range, [0, -1])
    assert.deepEqual(link.sent[1], [0, -1.25]);
    assert.equal(gate.safeCommands, 2);
    for (const cmd of link.sent) for (const x of cmd) assert.ok(Number.isFinite(x));
  });

  it('sends the safe command for a policy fault, named in the verdict', () => {
    const { link, gate } = setup();
    const executed = new Float32Array(2);
    const state = Float32Array.of(0.2, -1.25, 0, 0);
    assert.equal(gate.sendFault(state, 'policy_failed', executed), 'policy_failed');
    assert.equal(gate.sendFault(state, 'policy_stalled', executed), 'policy_stalled');
    assert.deepEqual(link.sent, [
      [0, -1.25],
      [0, -1.25],
    ]);
    assert.deepEqual(Array.from(executed), [0, -1.25]);
    assert.equal(gate.safeCommands, 2);
  });

  it('gives actuators the policy does not drive their safe value', () => {
    const { link, gate } = setup(['knee_servo']);
    const executed = new Float32Array(1);
    gate.send(Float32Array.of(0.3, -0.7, 0, 0), Float32Array.of(-0.5), executed);
    assert.deepEqual(link.sent[0], [0, -0.5]);
  });

  it('reuses one command message', () => {
    const { link, gate } = setup();
    const executed = new Float32Array(2);
    gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(1, -1), executed);
    gate.send(Float32Array.of(0, -1, 0, 0), Float32Array.of(2, -1), executed);
    assert.equal(link.sentObjects[0], link.sentObjects[1]);
  });

  it('rejects an actuator name the robot does not have', () => {
    assert.throws(
      () => setup(['hip_motor', 'tail']),
      (e: unknown) =>
        e instanceof StriderError &&
        e.code === 'MODEL_MAPPING' &&
        /"tail".*hip_motor, knee_servo/.test(e.message),
    );
  });
});
