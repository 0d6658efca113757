import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { tiltNeedsImu } from '../../../src/cli/sessionConfig.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { fakeRclnodejs } from '../robot/ros2/fakeRclnodejs.js';

const ROS2 = resolve('config/quadruped_ros2.yaml');
const SIM = resolve('config/quadruped.yaml');

describe('cli/RunSession: where the tilt rule reads the base orientation', () => {
  it('the state quaternion when the state has one; else the IMU, which must then be fresh', () => {
    assert.equal(tiltNeedsImu(loadConfig(ROS2).config), false);
    const imuOnly = ['state.base=[pos_z, linvel]'];
    assert.equal(tiltNeedsImu(loadConfig(ROS2, { overrides: imuOnly }).config), true);
    assert.equal(
      tiltNeedsImu(loadConfig(SIM, { overrides: imuOnly }).config),
      true,
      'MuJoCo always has its IMU',
    );
    const off = [...imuOnly, 'safety.tilt.enabled=false'];
    assert.equal(tiltNeedsImu(loadConfig(ROS2, { overrides: off }).config), false);
  });

  it('a ROS 2 robot with the tilt rule but neither base.quat nor an IMU topic is a config error, before ROS is touched', async () => {
    const { config } = loadConfig(ROS2, {
      overrides: ['state.base=[pos_z, linvel]', 'robot.ros2.topics.imu=null'],
    });
    const fake = fakeRclnodejs();
    const session = new RunSession({ config, logger: silentLogger(), rclnodejs: fake.api });
    await assert.rejects(
      session.open(),
      (e: unknown) =>
        isStriderError(e, 'CONFIG_INVALID') &&
        /safety\.tilt\.enabled needs the base orientation/.test(e.message),
    );
    assert.equal(fake.init.callCount, 0);
    await session.close();
  });
});
