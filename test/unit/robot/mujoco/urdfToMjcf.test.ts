import { strict as assert } from 'node:assert';
import { XMLParser } from 'fast-xml-parser';
import { augmentMjcf, urdfForMujoco } from '../../../../src/robot/mujoco/urdfToMjcf.js';
import { frameSkipOf } from '../../../../src/robot/mujoco/MujocoLink.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { TWO_LINK_URDF as URDF } from '../../../helpers/twoLinkUrdf.js';

describe('urdfToMjcf', () => {
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
