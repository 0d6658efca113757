import { z } from 'zod';

/**
 * The `replay:` config section: how `strider replay` turns a bag's topics into transitions
 * (docs/bags.md). The state vector itself is `state:` (the same StateAssembler as live control);
 * this section names the topics that feed it and the action, and how time is resampled.
 */

export const TWIST_FIELDS = [
  'linear.x',
  'linear.y',
  'linear.z',
  'angular.x',
  'angular.y',
  'angular.z',
] as const;
export type TwistField = (typeof TWIST_FIELDS)[number];

const topicName = z.string().regex(/^\/?[A-Za-z_~{][A-Za-z0-9_/{}~]*$/, 'a ROS 2 topic name');

export const replaySchema = z
  .strictObject({
    robot: z
      .enum(['model', 'topics'])
      .default('model')
      .describe(
        'model: joint names are matched to robot.model (state.joints as in live control); ' +
          'topics: no model file (e.g. a diff-drive base): the robot is described by its topics alone',
      ),
    time: z
      .enum(['log', 'header'])
      .default('log')
      .describe(
        'which clock aligns topics: log (the recorder\u2019s receive time, the same clock for every topic) ' +
          'or header (header.stamp; messages without a header, such as Twist, keep their log time)',
      ),
    odometry: topicName
      .nullable()
      .default('/odom')
      .describe('nav_msgs/Odometry topic that feeds state.base (null: none)'),
    joint_states: topicName
      .nullable()
      .default(null)
      .describe('sensor_msgs/JointState topic that feeds the joint part of the state (null: none)'),
    action: z
      .strictObject({
        kind: z
          .enum(['twist', 'float64_multi_array', 'joint_trajectory'])
          .default('twist')
          .describe(
            'twist: geometry_msgs/Twist (cmd_vel); float64_multi_array: std_msgs/Float64MultiArray ' +
              '(ros2_control forward command); joint_trajectory: trajectory_msgs/JointTrajectory (first point\u2019s positions)',
          ),
        topic: topicName.default('/cmd_vel').describe('the command topic'),
        twist_fields: z
          .array(z.enum(TWIST_FIELDS))
          .min(1)
          .default(['linear.x', 'angular.z'])
          .describe('kind twist: the Twist fields that make up the action, in this order'),
        timeout_s: z
          .number()
          .min(0)
          .max(3600)
          .default(0)
          .describe(
            'a command older than this counts as missing (a gap); 0: the last command holds until the next one',
          ),
      })
      .prefault({}),
    max_gap_s: z
      .number()
      .gt(0)
      .max(3600)
      .default(0.5)
      .describe('state samples further apart than this (or a missing command) end an episode'),
    episode_s: z
      .number()
      .gt(0)
      .max(86400)
      .default(10)
      .describe(
        'longer stretches are cut into episodes of this length, so whole episodes can be held out',
      ),
    min_episode_steps: z
      .number()
      .int()
      .min(2)
      .max(100000)
      .default(12)
      .describe('shorter episodes (in control periods) are dropped and counted'),
    holdout_fraction: z
      .number()
      .gt(0)
      .max(0.8)
      .default(0.25)
      .describe('share of transitions held out, by whole episodes, for the reported errors'),
  })
  .prefault({})
  .describe('strider replay: bag topics to state and action (docs/bags.md)');

export type ReplayConfig = z.infer<typeof replaySchema>;
