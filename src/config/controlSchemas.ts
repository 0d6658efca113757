/** The `control:` and `task:` sections of the config (src/config/schema.ts). */
import { z } from 'zod';
import { actionSchema, fallSchema, leggedSchema } from './actionSchema.js';

export const randomPolicySchema = z
  .strictObject({
    scale: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        'random actions are uniform in this fraction of each actuator\u2019s command range ' +
          '(position action space: of the space\u2019s bounds around its nominal stance)',
      ),
  })
  .prefault({});

export const controlSchema = z
  .strictObject({
    rate_hz: z.number().min(1).max(1000).default(20).describe('control rate in Hz'),
    budget_ms: z
      .number()
      .gt(0)
      .max(1000)
      .optional()
      .describe(
        'per-tick compute budget in ms (default: 80% of the control period); must not exceed the period',
      ),
    actuators: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('actuators commanded, in this order (default: all actuators, model order)'),
    gc_between_ticks: z
      .boolean()
      .default(true)
      .describe(
        'run a young-generation GC (scavenge) in the gap after each tick that has no other work waiting, so scavenges do not stall the next plan (docs/daemon.md)',
      ),
    policy: z
      .enum(['random', 'mpc', 'policy', 'dagger'])
      .default('mpc')
      .describe(
        'random: random actions only; mpc: the learning loop (Nagabandi Alg. 1): random episodes, ' +
          'fit the ensemble, then MPC episodes aggregated into the data and refit; dagger: the ' +
          'learning loop, then policy.rounds DAgger rounds (policy.mixing) and policy.eval_episodes ' +
          'of the distilled policy alone; policy: as dagger, but the policy acts in every round once ' +
          'one is loaded (MPC labels every state)',
      ),
    random: randomPolicySchema,
    action: actionSchema.describe('the action space: what an action means (docs/robots.md)'),
  })
  .prefault({});

export const cmdVelSchema = z
  .strictObject({
    linear_x: z
      .number()
      .min(-10)
      .max(10)
      .default(0.5)
      .describe(
        'target forward speed, m/s (heading frame: world velocity turned by -yaw, as ROS cmd_vel)',
      ),
    linear_y: z
      .number()
      .min(-10)
      .max(10)
      .default(0)
      .describe('target lateral speed, m/s (heading frame)'),
    angular_z: z.number().min(-10).max(10).default(0).describe('target yaw rate, rad/s (body z)'),
  })
  .prefault({});

export const pathSchema = z
  .strictObject({
    tolerance_m: z
      .number()
      .gt(0)
      .max(100)
      .default(0.25)
      .describe('a waypoint counts as reached within this distance (x/y), m'),
    speed_mps: z
      .number()
      .gt(0)
      .max(10)
      .default(0.4)
      .describe('forward speed target while following a nav_msgs/Path, m/s'),
    yaw_gain: z
      .number()
      .min(0)
      .max(100)
      .default(1.5)
      .describe('yaw-rate target per radian of heading error towards the next waypoint, 1/s'),
    max_yaw_rate: z
      .number()
      .gt(0)
      .max(10)
      .default(1)
      .describe('largest yaw-rate target while following a path, rad/s'),
  })
  .prefault({});

export const taskSchema = z
  .strictObject({
    reward: z
      .enum(['forward_speed', 'cmd_vel', 'legged'])
      .default('forward_speed')
      .describe(
        'forward_speed: r = vx - w|a|^2 (gym style); cmd_vel: track a Twist; legged: cmd_vel plus ' +
          'upright, height, action-rate and fall terms (task.legged)',
      ),
    ctrl_cost_weight: z
      .number()
      .min(0)
      .max(100)
      .default(0.1)
      .describe(
        'w in the control cost w|a|^2, actions taken from the action space\u2019s nominal and normalised to [-1, 1] by its half-width (effort: the command range)',
      ),
    cmd_vel: cmdVelSchema.describe(
      'the velocity target of the cmd_vel reward until a cmd_vel or path message arrives (ROS 2 link)',
    ),
    cmd_vel_timeout_s: z
      .number()
      .min(0)
      .max(60)
      .default(0.5)
      .describe(
        'ROS 2 link: a cmd_vel stream silent this long sets the target to zero (stand still); 0: keep the last message',
      ),
    legged: leggedSchema.describe(
      'weights of the legged reward (task.reward: legged), legged_gym style',
    ),
    fall: fallSchema.describe(
      'simulation: episodes end early on a fall (the report says terminated: fall); on a robot the tilt stop latches instead',
    ),
    path: pathSchema.describe(
      'ROS 2 link: following a nav_msgs/Path (waypoints in the odometry frame)',
    ),
  })
  .prefault({});
