import { strict as assert } from 'node:assert';
import { XMLParser } from 'fast-xml-parser';
import {
  augmentMjcf,
  readUrdfInfo,
  urdfForMujoco,
  xmlRootElement,
} from '../../../src/robot/mujoco/urdfToMjcf.js';
import { frameSkipOf } from '../../../src/robot/mujoco/MujocoLink.js';
import { isStriderError } from '../../../src/util/StriderError.js';

const URDF = `<?xml version="1.0"?>
<robot name="two_link">
  <link name="base"/>
  <link name="arm"/>
  <link name="tool"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="arm"/>
    <limit lower="-1" upper="1" effort="12.5" velocity="3"/>
  </joint>
  <joint name="wrist" type="continuous"><parent link="arm"/><child link="tool"/></joint>
  <ros2_control name="sys" type="system">
    <hardware><plugin>gz_ros2_control/GazeboSimSystem</plugin></hardware>
    <joint name="shoulder">
      <command_interface name="position"/>
      <command_interface name="effort"/>
      <param name="kp">80</param>
    </joint>
    <joint name="wrist"><state_interface name="position"/></joint>
  </ros2_control>
</robot>`;

describe('urdfToMjcf', () => {
  it('reads name, root link, limits and ros2_control command interfaces', () => {
    const info = readUrdfInfo(URDF, '/x/two_link.urdf');
    assert.equal(info.robotName, 'two_link');
    assert.equal(info.rootLink, 'base');
    assert.deepEqual(info.limits.get('shoulder'), { effort: 12.5, velocity: 3 });
    assert.deepEqual(info.limits.get('wrist'), { effort: null, velocity: null });
    assert.equal(info.jointTypes.get('wrist'), 'continuous');
    // wrist has only a state interface: not actuated; shoulder takes its first command interface
    assert.deepEqual(info.ros2Control, [
      { joint: 'shoulder', commandInterface: 'position', params: { kp: '80' } },
    ]);
  });

  it('rejects a document that is not a URDF', () => {
    assert.throws(
      () => readUrdfInfo('<mujoco/>', '/x/m.urdf'),
      (err: unknown) => isStriderError(err, 'MODEL_LOAD') && err.message.includes('/x/m.urdf'),
    );
  });

  it('asks MuJoCo to keep the root link as a body', () => {
    const out = urdfForMujoco(URDF);
    assert.match(
      out,
      /<robot name="two_link">\s*<mujoco><compiler fusestatic="false"\/><\/mujoco>/,
    );
    const own = URDF.replace(
      '<link name="base"/>',
      '<mujoco><compiler discardvisual="true"/></mujoco><link name="base"/>',
    );
    assert.match(urdfForMujoco(own), /<compiler fusestatic="false" discardvisual="true"\/>/);
    const kept = URDF.replace(
      '<link name="base"/>',
      '<mujoco><compiler fusestatic="true"/></mujoco><link name="base"/>',
    );
    assert.equal(urdfForMujoco(kept), kept);
  });

  it('adds a free joint, lifts the base, adds actuators and a floor', () => {
    const mjcf = `<mujoco model="two_link"><compiler angle="radian"/><worldbody>
      <body name="base" pos="1 2 0"><inertial pos="0 0 0" mass="1" diaginertia="1 1 1"/>
        <body name="arm"><joint name="shoulder" range="-1 1"/><geom size="0.1"/></body>
      </body></worldbody></mujoco>`;
    const out = augmentMjcf(
      mjcf,
      {
        rootBody: 'base',
        floatingBase: true,
        baseHeightM: 0.5,
        addFloor: true,
        actuators: [
          { joint: 'shoulder', commandInterface: 'effort', effortLimit: 12.5, kp: 0, kv: 0 },
          { joint: 'shoulder', commandInterface: 'position', effortLimit: 12.5, kp: 80, kv: 0 },
        ],
      },
      new Map([['shoulder', [-1, 1] as const]]),
      '/x/two_link.urdf',
    );
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(out) as {
      mujoco: {
        worldbody: { geom: Record<string, string>; light: unknown; body: Record<string, unknown> };
        actuator: { motor: Record<string, string>; position: Record<string, string> };
      };
    };
    const base = doc.mujoco.worldbody.body;
    assert.deepEqual(base['freejoint'], { name: 'floating_base' });
    assert.equal(base['pos'], '1 2 0.5');
    assert.equal(doc.mujoco.worldbody.geom['type'], 'plane');
    assert.ok(doc.mujoco.worldbody.light);
    assert.equal(doc.mujoco.actuator.motor['ctrlrange'], '-12.5 12.5');
    assert.equal(doc.mujoco.actuator.motor['joint'], 'shoulder');
    assert.equal(doc.mujoco.actuator.position['kp'], '80');
    assert.equal(doc.mujoco.actuator.position['ctrlrange'], '-1 1');
    assert.equal(doc.mujoco.actuator.position['forcerange'], '-12.5 12.5');
  });

  it('names the file when the root body is missing', () => {
    assert.throws(
      () =>
        augmentMjcf(
          '<mujoco><worldbody/></mujoco>',
          { rootBody: 'base', floatingBase: true, addFloor: false, actuators: [] },
          new Map(),
          '/x/r.urdf',
        ),
      (err: unknown) =>
        isStriderError(err, 'MODEL_LOAD') && /"base".*\/x\/r\.urdf/.test(err.message),
    );
  });

  it('tells MJCF from URDF by the root element', () => {
    assert.deepEqual(xmlRootElement('<?xml version="1.0"?><mujoco model="m"/>'), {
      name: 'mujoco',
      attrs: { model: 'm' },
    });
    assert.equal(xmlRootElement(URDF).name, 'robot');
  });

  it('computes frame skip and rejects periods that are not timestep multiples', () => {
    assert.equal(frameSkipOf(0.05, 0.01, 'm.xml'), 5);
    assert.equal(frameSkipOf(0.02, 0.002, 'm.xml'), 10);
    for (const [period, dt] of [
      [0.025, 0.01],
      [0.005, 0.01],
    ] as const) {
      assert.throws(
        () => frameSkipOf(period, dt, 'm.xml'),
        (err: unknown) =>
          isStriderError(err, 'CONFIG_INVALID') &&
          err.message.includes(String(period)) &&
          err.message.includes(String(dt)),
      );
    }
  });
});
