import assert from 'node:assert/strict';
import { StateAssembler } from '../../../src/state/StateAssembler.js';
import { StriderError } from '../../../src/util/StriderError.js';
import { jointState, odometry, twoJointRobot } from '../../helpers/fixtures.js';

const ALL_BASE = ['pos_z', 'quat', 'linvel', 'angvel'] as const;

describe('state/StateAssembler', () => {
  it('lays out joint positions, velocities, then base quantities without world x/y by default', () => {
    const a = new StateAssembler(twoJointRobot(), { base: [...ALL_BASE] });
    assert.deepEqual(a.layout.names, [
      'joint.hip.pos',
      'joint.knee.pos',
      'joint.hip.vel',
      'joint.knee.vel',
      'base.pos.z',
      'base.quat.w',
      'base.quat.x',
      'base.quat.y',
      'base.quat.z',
      'base.linvel.x',
      'base.linvel.y',
      'base.linvel.z',
      'base.angvel.x',
      'base.angvel.y',
      'base.angvel.z',
    ]);
    assert.equal(a.layout.dim, 15);
  });

  it('maps joints by name whatever order the message uses, and honours a configured subset', () => {
    const a = new StateAssembler(twoJointRobot(), { joints: ['knee'], base: [] });
    a.jointState(jointState(['hip', 'knee'], [0.1, -0.5], [1, 2]));
    assert.deepEqual(Array.from(a.state), [-0.5, 2]);
    const b = new StateAssembler(twoJointRobot(), { base: [] });
    b.jointState(jointState(['knee', 'hip'], [-0.5, 0.25], [2, 1]));
    assert.deepEqual(Array.from(b.state), [0.25, -0.5, 1, 2]);
    assert.ok(b.ready);
  });

  it('is ready only once joints and base have both arrived since clear()', () => {
    const a = new StateAssembler(twoJointRobot(), { base: ['pos_z'] });
    assert.equal(a.ready, false);
    a.jointState(jointState(['hip', 'knee'], [0, 0], [0, 0]));
    assert.equal(a.ready, false);
    a.odometry(odometry([0, 0, 0.7], { w: 1, x: 0, y: 0, z: 0 }, [0, 0, 0], [0, 0, 0], 3));
    assert.equal(a.ready, true);
    assert.equal(a.stampSec, 3);
    a.clear();
    assert.equal(a.ready, false);
  });

  it('rotates the body-frame twist into world-frame linear velocity', () => {
    const a = new StateAssembler(twoJointRobot(), { base: ['linvel', 'angvel', 'quat'] });
    // pitched nose-down by 90 deg about y: body x points along world -z
    const h = Math.SQRT1_2;
    a.odometry(odometry([0, 0, 0], { w: h, x: 0, y: h, z: 0 }, [2, 0, 0], [0, 0.5, 0]));
    const s = Array.from(a.state.subarray(4));
    assert.ok(Math.abs(s[0]! - 0) < 1e-6, `vx ${s[0]}`);
    assert.ok(Math.abs(s[1]! - 0) < 1e-6);
    assert.ok(Math.abs(s[2]! + 2) < 1e-6, `vz ${s[2]}`);
    assert.deepEqual(s.slice(3, 6), [0, 0.5, 0]); // angular velocity stays in the body frame
    assert.ok(Math.abs(s[6]! - h) < 1e-6 && Math.abs(s[8]! - h) < 1e-6); // quat w, y
    // yawed 90 deg about z: body x is world y
    a.odometry(odometry([0, 0, 0], { w: h, x: 0, y: 0, z: h }, [1, 0, 0], [0, 0, 0]));
    assert.ok(Math.abs(a.state[4]!) < 1e-6 && Math.abs(a.state[5]! - 1) < 1e-6);
  });

  it('does not mark joints ready from a message that lacks a state joint', () => {
    const a = new StateAssembler(twoJointRobot(), { base: [] });
    a.jointState(jointState(['hip'], [0.1], [0]));
    assert.equal(a.ready, false);
  });

  it('rejects joints the model does not have, and base quantities on a fixed base', () => {
    assert.throws(
      () => new StateAssembler(twoJointRobot(), { joints: ['hip', 'ankle'], base: [] }),
      (e: unknown) =>
        e instanceof StriderError &&
        e.code === 'MODEL_MAPPING' &&
        /"ankle".*hip, knee/.test(e.message),
    );
    const fixed = { ...twoJointRobot(), base: { body: 'b', kind: 'fixed' as const } };
    assert.throws(
      () => new StateAssembler(fixed, { base: ['pos_z'] }),
      (e: unknown) =>
        e instanceof StriderError && e.code === 'MODEL_MAPPING' && /fixed base/.test(e.message),
    );
  });

  it('updates one preallocated buffer in place', () => {
    const a = new StateAssembler(twoJointRobot(), { base: [] });
    const buf = a.state;
    a.jointState(jointState(['hip', 'knee'], [1, 2], [3, 4]));
    a.jointState(jointState(['hip', 'knee'], [5, 6], [7, 8]));
    assert.equal(a.state, buf);
    assert.deepEqual(Array.from(buf), [5, 6, 7, 8]);
  });
});
