import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../../src/config/index.js';
import { readUrdfInfo } from '../../../../src/robot/urdf/index.js';
import { urdfDescription, urdfDescriptionFromText } from '../../../../src/robot/ros2/index.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { assertQuadrupedJointsAndActuators, QUADRUPED_JOINTS } from '../../../helpers/quadruped.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const QUADRUPED = path.join(ROOT, 'urdf/quadruped.urdf');
const JOINTS = QUADRUPED_JOINTS;
const IMU_INTERFACES = [
  'orientation.x',
  'orientation.y',
  'orientation.z',
  'orientation.w',
  'angular_velocity.x',
  'angular_velocity.y',
  'angular_velocity.z',
  'linear_acceleration.x',
  'linear_acceleration.y',
  'linear_acceleration.z',
];

type Xml = Record<string, unknown>;

function list(v: unknown): Xml[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as Xml[];
}

/** urdf/quadruped.urdf as plain XML, for the Gazebo-only parts strider itself does not read. */
function quadrupedXml(): Xml {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  return (parser.parse(readFileSync(QUADRUPED, 'utf8')) as Xml)['robot'] as Xml;
}

function sensorUrdf(withJoint: boolean): string {
  return `<?xml version="1.0"?>
<robot name="one_joint">
  <link name="base"/>
  <link name="arm"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="arm"/>
    <limit lower="-1" upper="1" effort="5" velocity="2"/>
  </joint>
  <ros2_control name="sys" type="system">
    <hardware><plugin>gz_ros2_control/GazeboSimSystem</plugin></hardware>
    <sensor name="imu_sensor">
      ${IMU_INTERFACES.map((n) => `<state_interface name="${n}"/>`).join('\n      ')}
    </sensor>
    ${withJoint ? '<joint name="shoulder"><command_interface name="effort"/><state_interface name="position"/></joint>' : ''}
  </ros2_control>
  <gazebo reference="base">
    <sensor name="imu_sensor" type="imu"><always_on>true</always_on><update_rate>100</update_rate></sensor>
  </gazebo>
</robot>`;
}

describe('robot/ros2/urdfDescription', () => {
  it('urdf/quadruped.urdf gives exactly the 12 position actuators, in ros2_control order, with the joint limits as command limits, and no IMU actuator', () => {
    const desc = urdfDescription(QUADRUPED, 'free');
    assert.equal(desc.name, 'strider_quadruped');
    assert.deepEqual(desc.base, { body: 'base_link', kind: 'free' });
    assertQuadrupedJointsAndActuators(desc, 'position');
    desc.actuators.forEach((a, i) => {
      const knee = a.joint.endsWith('knee_joint');
      const abd = a.joint.endsWith('hip_abd_joint');
      const range = knee ? [-2.7, 0.1] : abd ? [-0.8, 0.8] : [-1.6, 1.6];
      assert.deepEqual(a.commandLimits, range, a.name);
      assert.deepEqual(desc.joints[i]!.positionLimits, range, a.joint);
    });
    assert.ok(!desc.actuators.some((a) => /imu/i.test(a.name) || /imu/i.test(a.joint)));
    assert.ok(!desc.joints.some((j) => /imu/i.test(j.name)));
    // the MuJoCo link's reading of the same file (one motor per ros2_control joint)
    const info = readUrdfInfo(readFileSync(QUADRUPED, 'utf8'), QUADRUPED);
    assert.deepEqual(
      info.ros2Control.map((r) => r.joint),
      JOINTS,
    );
  });

  it('a ros2_control <sensor> is neither a joint nor an actuator', () => {
    const desc = urdfDescriptionFromText(sensorUrdf(true), '/x/one_joint.urdf', 'fixed');
    assert.deepEqual(
      desc.actuators.map((a) => a.name),
      ['shoulder_effort'],
    );
    assert.deepEqual(
      desc.joints.map((j) => j.name),
      ['shoulder'],
    );
    // a block with only a sensor commands nothing: the ROS 2 link refuses it
    assert.throws(
      () => urdfDescriptionFromText(sensorUrdf(false), '/x/sensor_only.urdf', 'fixed'),
      (err: unknown) => isStriderError(err) && err.code === 'MODEL_UNSUPPORTED',
    );
  });

  it('urdf/quadruped.urdf declares the IMU and odometry that config/ros2_controllers.yaml and config/quadruped_ros2.yaml expect', () => {
    const robot = quadrupedXml();
    // ros2_control sensor with the 10 IMU state interfaces, no command interface
    const rc = list(robot['ros2_control']);
    assert.equal(rc.length, 1);
    const sensors = list(rc[0]!['sensor']);
    assert.deepEqual(
      sensors.map((s) => s['@_name']),
      ['imu_sensor'],
    );
    assert.deepEqual(
      list(sensors[0]!['state_interface']).map((s) => s['@_name']),
      IMU_INTERFACES,
    );
    assert.equal(sensors[0]!['command_interface'], undefined);

    // the Gazebo IMU sensor of the same name on base_link, and the model plugins
    const gazebo = list(robot['gazebo']);
    const onBase = gazebo.filter((g) => g['@_reference'] === 'base_link');
    const gzSensors = onBase.flatMap((g) => list(g['sensor']));
    assert.deepEqual(
      gzSensors.map((s) => [s['@_name'], s['@_type']]),
      [['imu_sensor', 'imu']],
    );
    const plugins = gazebo
      .filter((g) => g['@_reference'] === undefined)
      .flatMap((g) => list(g['plugin']));
    const byName = new Map(plugins.map((p) => [p['@_name'], p]));
    assert.equal(byName.get('gz::sim::systems::Imu')?.['@_filename'], 'gz-sim-imu-system');
    const odom = byName.get('gz::sim::systems::OdometryPublisher');
    assert.ok(odom !== undefined, 'OdometryPublisher plugin');
    assert.equal(odom['@_filename'], 'gz-sim-odometry-publisher-system');
    assert.equal(odom['odom_frame'], 'odom');
    assert.equal(odom['robot_base_frame'], 'base_link');
    assert.equal(odom['dimensions'], 3);
    assert.equal(odom['odom_publish_frequency'], 50);
    assert.equal(odom['odom_topic'], '/model/strider_quadruped/odometry');

    // the broadcaster reads that sensor; strider subscribes to the broadcaster's topic
    const controllers = parseYaml(
      readFileSync(path.join(ROOT, 'config/ros2_controllers.yaml'), 'utf8'),
    ) as Record<string, { ros__parameters: Record<string, unknown> }>;
    assert.equal(
      (controllers['controller_manager']!.ros__parameters['imu_sensor_broadcaster'] as Xml)['type'],
      'imu_sensor_broadcaster/IMUSensorBroadcaster',
    );
    assert.equal(
      controllers['imu_sensor_broadcaster']!.ros__parameters['sensor_name'],
      'imu_sensor',
    );
    assert.equal(controllers['imu_sensor_broadcaster']!.ros__parameters['frame_id'], 'base_link');

    const { config } = loadConfig(path.join(ROOT, 'config/quadruped_ros2.yaml'));
    assert.equal(config.robot.link, 'ros2');
    assert.equal(config.robot.model, QUADRUPED);
    assert.equal(config.control.rate_hz, 50);
    assert.equal(config.robot.ros2.topics.imu, '/imu_sensor_broadcaster/imu');
    assert.equal(config.robot.ros2.topics.odometry, '/odom');

    // the Gazebo launch file bridges that odometry to /odom and spawns the broadcaster
    const launch = readFileSync(path.join(ROOT, 'launch/gazebo.launch.py'), 'utf8');
    assert.match(launch, /ROBOT_NAME = 'strider_quadruped'/);
    assert.match(launch, /GZ_ODOM_TOPIC = f'\/model\/\{ROBOT_NAME\}\/odometry'/);
    assert.match(launch, /\{GZ_ODOM_TOPIC\}@nav_msgs\/msg\/Odometry\[gz\.msgs\.Odometry/);
    assert.match(launch, /remappings=\[\(GZ_ODOM_TOPIC, '\/odom'\)\]/);
    assert.match(launch, /\/clock@rosgraph_msgs\/msg\/Clock\[gz\.msgs\.Clock/);
    assert.match(launch, /spawner\('imu_sensor_broadcaster'/);
  });
});
