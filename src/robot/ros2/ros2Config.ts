import { z } from 'zod';

/**
 * The `robot.ros2:` config section: how the ROS 2 link (rclnodejs) talks to a robot driven by
 * ros2_control (Gazebo with gz_ros2_control, or the real hardware). Topic names may be relative
 * (resolved in the node's namespace) or absolute.
 */

const ROS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * rcl's topic name rules (rcl_validate_topic_name): tokens of letters, digits and _ not starting
 * with a digit, separated by single slashes, no trailing slash; absolute (/), private (~/) or
 * relative. A name rcl would refuse fails here, as CONFIG_INVALID, not at createPublisher.
 */
const TOPIC = /^(~\/|\/)?[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;
const TOPIC_RULE =
  'a ROS topic name: tokens of letters, digits and _ (not starting with a digit) joined by ' +
  'single slashes, optionally starting with / or ~/, no trailing slash';

const topic = (def: string, what: string) =>
  z.string().regex(TOPIC, TOPIC_RULE).default(def).describe(what);

const optionalTopic = (def: string | null, what: string) =>
  z.string().regex(TOPIC, TOPIC_RULE).nullable().default(def).describe(`${what}; null: not used`);

function qosSchema(defaults: { reliability: 'reliable' | 'best_effort'; depth: number }) {
  return z
    .strictObject({
      reliability: z
        .enum(['reliable', 'best_effort', 'system_default'])
        .default(defaults.reliability)
        .describe('QoS reliability'),
      durability: z
        .enum(['volatile', 'transient_local', 'system_default'])
        .default('volatile')
        .describe('QoS durability'),
      history: z
        .enum(['keep_last', 'keep_all', 'system_default'])
        .default('keep_last')
        .describe('QoS history'),
      depth: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(defaults.depth)
        .describe('QoS depth (keep_last)'),
    })
    .prefault({});
}

export type QosConfig = z.infer<ReturnType<typeof qosSchema>>;

const topicsSchema = z
  .strictObject({
    joint_states: topic('/joint_states', 'sensor_msgs/JointState in (joint_state_broadcaster)'),
    odometry: optionalTopic('/odom', 'nav_msgs/Odometry in (base pose and twist)'),
    imu: optionalTopic(null, 'sensor_msgs/Imu in (imu_sensor_broadcaster)'),
    command: topic(
      '/effort_controller/commands',
      'command out: std_msgs/Float64MultiArray (forward_command_controller) or trajectory_msgs/JointTrajectory',
    ),
    cmd_vel: optionalTopic('/cmd_vel', 'geometry_msgs/Twist in: the velocity task'),
    path: optionalTopic('/plan', 'nav_msgs/Path in: waypoints for the task layer'),
    stop: topic(
      '/strider/stop',
      'std_msgs/Bool in: true stops (latched), false releases the request',
    ),
    rearm: topic('/strider/rearm', 'std_msgs/Empty in: re-arm after a latched stop or fault'),
    diagnostics: topic('/diagnostics', 'diagnostic_msgs/DiagnosticArray out'),
  })
  .prefault({});

const qosSectionSchema = z
  .strictObject({
    state: qosSchema({ reliability: 'best_effort', depth: 5 }).describe(
      'QoS of the state subscriptions',
    ),
    command: qosSchema({ reliability: 'reliable', depth: 1 }).describe(
      'QoS of the command publisher (ros2_control controllers subscribe reliable)',
    ),
    task: qosSchema({ reliability: 'reliable', depth: 10 }).describe(
      'QoS of cmd_vel, path, stop and rearm',
    ),
    diagnostics: qosSchema({ reliability: 'reliable', depth: 10 }).describe('QoS of /diagnostics'),
  })
  .prefault({});

export const ros2Schema = z
  .strictObject({
    node_name: z
      .string()
      .regex(ROS_NAME, 'a ROS node name')
      .default('strider')
      .describe('ROS node name'),
    namespace: z
      .string()
      .regex(
        /^(\/[A-Za-z_][A-Za-z0-9_]*)*$|^\/$/,
        'empty, / or an absolute ROS namespace like /robot1 (no trailing slash)',
      )
      .default('')
      .describe('ROS namespace of the node (empty: root)'),
    use_sim_time: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe(
        'auto: keep what the launch file set (--ros-args -p use_sim_time:=...); true: ROS time from /clock (Gazebo); false: wall time',
      ),
    actuation: z
      .enum(['command', 'observe'])
      .default('command')
      .describe(
        'observe: never create the command publisher (watching a robot or a bag played with ros2 bag play)',
      ),
    command_type: z
      .enum(['float64_multi_array', 'joint_trajectory'])
      .default('float64_multi_array')
      .describe(
        'float64_multi_array: ros2_control forward_command_controller; joint_trajectory: joint_trajectory_controller',
      ),
    command_joints: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'joint order of the command (the controller\u2019s joints: list); default: the URDF\u2019s ros2_control order',
      ),
    trajectory_time_from_start_ms: z
      .number()
      .min(0)
      .max(10000)
      .default(0)
      .describe('time_from_start of the single JointTrajectory point, ms (0: one control period)'),
    base: z
      .enum(['free', 'planar', 'fixed'])
      .default('free')
      .describe('how the robot\u2019s base moves (a URDF does not say): free for legged robots'),
    diagnostics_rate_hz: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe('rate of /diagnostics, Hz (0: off)'),
    lifecycle: z
      .boolean()
      .default(false)
      .describe(
        'true: a ROS 2 managed (lifecycle) node that starts unconfigured and waits for configure / activate (ros2 lifecycle set); false: a plain node that runs at once (docs/ros2.md)',
      ),
    topics: topicsSchema,
    qos: qosSectionSchema,
  })
  .prefault({})
  .describe('the ROS 2 link (rclnodejs): topics, QoS, command type (docs/ros2.md)');

export type Ros2Config = z.infer<typeof ros2Schema>;
