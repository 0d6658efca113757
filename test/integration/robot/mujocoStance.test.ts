import assert from 'node:assert/strict';
import { configSchema } from '../../../src/config/schema.js';
import { ActionSpace } from '../../../src/control/ActionSpace.js';
import type { JointState, Odometry } from '../../../src/msgs/types.js';
import { MujocoLink, type MujocoLinkOptions } from '../../../src/robot/mujoco/index.js';
import type { StateHandlers } from '../../../src/robot/types.js';
import { StriderError } from '../../../src/util/StriderError.js';
import { QUADRUPED_EFFORT_URDF } from '../../helpers/quadruped.js';
import { tempDir } from '../../helpers/tmp.js';

const STANCE = { hip_abd: 0, hip: 0.7, knee: -1.4 };
const LEGS = ['fl', 'fr', 'rl', 'rr'];
const QUADRUPED_STANCE: Record<string, number> = {};
for (const leg of LEGS) {
  for (const [j, q] of Object.entries(STANCE)) QUADRUPED_STANCE[`${leg}_${j}_joint`] = q;
}

/** A one-legged hopper on a free base: position servos over the whole circle, two keyframes. */
const HOPPER = `<mujoco model="hopper_keys">
  <option timestep="0.002"/>
  <worldbody>
    <geom type="plane" size="5 5 0.1"/>
    <body name="trunk" pos="0 0 0.5">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.05" mass="2"/>
      <body name="thigh">
        <joint name="hip" axis="0 1 0" range="-1 3"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.5"/>
        <body name="shank" pos="0 0 -0.2">
          <joint name="knee" axis="0 1 0" range="-2.6 -0.6"/>
          <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.2"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position name="hip_pos" joint="hip" kp="50" ctrlrange="-6.28 6.28"/>
    <position name="knee_pos" joint="knee" kp="50" ctrlrange="-6.28 6.28"/>
  </actuator>
  <keyframe>
    <key name="straight" qpos="0 0 0.45 1 0 0 0 0 -0.6"/>
    <key name="home" qpos="0 0 0.33 1 0 0 0 0.8 -1.5"/>
  </keyframe>
</mujoco>`;

class Last implements StateHandlers {
  joints: JointState | null = null;
  odom: Odometry | null = null;
  jointState(m: Readonly<JointState>): void {
    this.joints = structuredClone(m);
  }
  imu(): void {}
  odometry(m: Readonly<Odometry>): void {
    this.odom = structuredClone(m);
  }
}

describe('robot/mujoco keyframes, stance resets and PD servos from config (real MuJoCo WASM)', function () {
  this.timeout(60000);
  const tmp = tempDir('strider-stance-');
  const links: MujocoLink[] = [];
  function link(opts: Partial<MujocoLinkOptions> & { modelPath: string }): MujocoLink {
    const l = new MujocoLink({ controlPeriodSec: 0.02, resetNoiseScale: 0, ...opts });
    links.push(l);
    return l;
  }
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
  });
  after(() => {
    tmp.cleanup();
  });

  it('reads MJCF keyframes into the description and resets to the one named', async () => {
    const file = tmp.write('hopper.xml', HOPPER);
    const l = link({ modelPath: file, resetPose: { keyframe: 'home' } });
    const desc = await l.configure();
    assert.deepEqual(
      desc.keyframes?.map((k) => k.name),
      ['straight', 'home'],
    );
    const home = desc.keyframes[1]!;
    assert.deepEqual(home.jointPositions, { hip: 0.8, knee: -1.5 });
    assert.equal(home.baseHeightM, 0.33);
    const last = new Last();
    await l.activate(last);
    l.reset(0);
    assert.deepEqual(Array.from(last.joints!.position), [0.8, -1.5]);
    assert.ok(Math.abs(last.odom!.pose.pose.position.z - 0.33) < 1e-9);
  });

  it('a keyframe name the model lacks is reported by the action space, listing those it has', async () => {
    const file = tmp.write('hopper2.xml', HOPPER);
    const desc = await link({ modelPath: file }).configure();
    const action = configSchema.parse({
      robot: { model: file },
      control: { action: { space: 'position', keyframe: 'stand' } },
    }).control.action;
    assert.throws(
      () => ActionSpace.fromConfig(desc, desc.actuators, action),
      (err: unknown) =>
        err instanceof StriderError &&
        err.code === 'CONFIG_INVALID' &&
        /"stand"/.test(err.message) &&
        /straight, home/.test(err.message),
    );
  });

  it('an effort-only URDF gets PD position servos from config and stands from its stance', async () => {
    const l = link({
      modelPath: QUADRUPED_EFFORT_URDF,
      urdf: { positionGains: { kp: 80, kv: 2 } },
      resetPose: { stance: QUADRUPED_STANCE },
    });
    const desc = await l.configure();
    assert.equal(desc.actuators.length, 12);
    for (const a of desc.actuators) assert.equal(a.interface, 'position', a.name);
    const last = new Last();
    await l.activate(last);
    l.reset(0);
    const names = last.joints!.name;
    const q = last.joints!.position;
    for (let i = 0; i < names.length; i++) {
      assert.ok(Math.abs(q[i]! - QUADRUPED_STANCE[names[i]!]!) < 1e-9, names[i]);
    }
    const z0 = last.odom!.pose.pose.position.z;
    assert.ok(z0 > 0.3 && z0 < 0.45, `stance base height ${z0}`);
    // the reset command holds the stance: 2 s later it still stands near that height
    for (let t = 0; t < 100; t++) l.step();
    const z = last.odom!.pose.pose.position.z;
    assert.ok(z > 0.28, `stands: z ${z} after 2 s (from ${z0})`);
  });
});
