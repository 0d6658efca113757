import { strict as assert } from 'node:assert';
import {
  commandedRos2ControlJoints,
  readUrdfInfo,
  xmlRootElement,
} from '../../../../src/robot/urdf/index.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { TWO_LINK_URDF as URDF } from '../../../helpers/twoLinkUrdf.js';

describe('robot/urdf/readUrdfInfo', () => {
  it('reads name, root link, limits and ros2_control command interfaces', () => {
    const info = readUrdfInfo(URDF, '/x/two_link.urdf');
    assert.equal(info.robotName, 'two_link');
    assert.equal(info.rootLink, 'base');
    assert.deepEqual(info.limits.get('shoulder'), { effort: 12.5, velocity: 3 });
    assert.deepEqual(info.limits.get('wrist'), { effort: null, velocity: null });
    assert.equal(info.jointTypes.get('wrist'), 'continuous');
    // wrist has only a state interface: not actuated; shoulder takes its first command interface
    assert.deepEqual(info.ros2Control, [
      {
        joint: 'shoulder',
        commandInterface: 'position',
        params: { kp: '80' },
        initialPosition: null,
      },
    ]);
  });

  it('rejects a document that is not a URDF', () => {
    assert.throws(
      () => readUrdfInfo('<mujoco/>', '/x/m.urdf'),
      (err: unknown) => isStriderError(err, 'MODEL_LOAD') && err.message.includes('/x/m.urdf'),
    );
  });

  it('tells MJCF from URDF by the root element', () => {
    assert.deepEqual(xmlRootElement('<?xml version="1.0"?><mujoco model="m"/>'), {
      name: 'mujoco',
      attrs: { model: 'm' },
    });
    assert.equal(xmlRootElement(URDF).name, 'robot');
  });

  it('reads the kinematic tree with position limits', () => {
    const info = readUrdfInfo(URDF, '/x/two_link.urdf');
    assert.deepEqual(info.joints, [
      { name: 'shoulder', type: 'revolute', parent: 'base', child: 'arm', lower: -1, upper: 1 },
      { name: 'wrist', type: 'continuous', parent: 'arm', child: 'tool', lower: null, upper: null },
    ]);
  });

  it('commands the ros2_control joints that move, and names an undefined one', () => {
    const fixed = URDF.replace('type="revolute"', 'type="fixed"');
    assert.deepEqual(commandedRos2ControlJoints(readUrdfInfo(fixed, '/x/f.urdf'), '/x/f.urdf'), []);
    const info = readUrdfInfo(URDF, '/x/two_link.urdf');
    assert.deepEqual(
      commandedRos2ControlJoints(info, '/x/two_link.urdf').map((j) => j.joint),
      ['shoulder'],
    );
    const unknown = URDF.replace('<joint name="shoulder">', '<joint name="elbow">');
    assert.throws(
      () => commandedRos2ControlJoints(readUrdfInfo(unknown, '/x/u.urdf'), '/x/u.urdf'),
      (err: unknown) =>
        isStriderError(err, 'MODEL_LOAD') &&
        /"elbow".*not define/.test(err.message) &&
        err.message.includes('/x/u.urdf'),
    );
  });
});
