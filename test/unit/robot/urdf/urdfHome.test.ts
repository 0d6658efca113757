import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { urdfDescription } from '../../../../src/robot/ros2/urdfDescription.js';
import type { RobotKeyframe } from '../../../../src/robot/types.js';
import {
  commandedRos2ControlJoints,
  readUrdfInfo,
  withUrdfHome,
} from '../../../../src/robot/urdf/index.js';
import { TWO_LINK_URDF } from '../../../helpers/twoLinkUrdf.js';

const QUADRUPED = resolve('urdf/quadruped.urdf');

describe('robot/urdf withUrdfHome: a URDF\u2019s stance keyframe from its ros2_control initial values', () => {
  it('reads each position state interface\u2019s initial_value', () => {
    const info = readUrdfInfo(readFileSync(QUADRUPED, 'utf8'), QUADRUPED);
    const byJoint = new Map(info.ros2Control.map((rc) => [rc.joint, rc.initialPosition]));
    assert.equal(byJoint.size, 12);
    assert.equal(byJoint.get('fl_hip_abd_joint'), 0);
    assert.equal(byJoint.get('rr_hip_joint'), 0.7);
    assert.equal(byJoint.get('rl_knee_joint'), -1.4);
  });

  it('makes them the keyframe "home" when every commanded joint has one', () => {
    const info = readUrdfInfo(readFileSync(QUADRUPED, 'utf8'), QUADRUPED);
    const joints = info.ros2Control.map((rc) => rc.joint);
    const [home] = withUrdfHome([], commandedRos2ControlJoints(info, QUADRUPED), [
      ...joints,
      'passive_joint',
    ]);
    assert.ok(home !== undefined);
    assert.equal(home.name, 'home');
    assert.equal(home.baseHeightM, null);
    assert.equal(home.jointPositions['fr_knee_joint'], -1.4);
    assert.equal(home.jointPositions['passive_joint'], 0, 'joints outside ros2_control at 0');
  });

  it('makes none when a commanded joint has no initial_value, and keeps a model\u2019s own "home"', () => {
    // the two-link URDF's shoulder has a command interface but no initial_value
    const twoLink = readUrdfInfo(TWO_LINK_URDF, '/x/two_link.urdf');
    assert.deepEqual(
      withUrdfHome([], commandedRos2ControlJoints(twoLink, '/x/two_link.urdf'), [
        'shoulder',
        'wrist',
      ]),
      [],
    );
    const info = readUrdfInfo(readFileSync(QUADRUPED, 'utf8'), QUADRUPED);
    const own: RobotKeyframe = { name: 'home', jointPositions: {}, baseHeightM: 0.3 };
    assert.deepEqual(withUrdfHome([own], commandedRos2ControlJoints(info, QUADRUPED), []), [own]);
    assert.deepEqual(withUrdfHome([], null, []), []);
  });

  it('reaches the ROS 2 link\u2019s description too', () => {
    const d = urdfDescription(QUADRUPED, 'free');
    const home = d.keyframes?.find((k) => k.name === 'home');
    assert.ok(home !== undefined, 'the ROS 2 description has "home"');
    assert.equal(home.jointPositions['fl_hip_joint'], 0.7);
  });
});
