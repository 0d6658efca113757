import { z } from 'zod';

/**
 * The configuration schema: one strict object per section (unknown keys are errors), every field
 * with bounds, a default and a description. `StriderConfig` (z.infer) is the only config type.
 * Robot dimensions (joints, actuators, limits) are not here: they come from the robot model.
 */

const mujocoSchema = z
  .strictObject({
    pacing: z
      .enum(['lockstep', 'realtime'])
      .default('lockstep')
      .describe(
        'lockstep: physics advances when the controller answers (fast, for learning); ' +
          'realtime: physics advances on the wall clock at the control period (emulates a robot)',
      ),
    reset_noise: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('scale of uniform qpos / Gaussian qvel noise added at each reset'),
    floating_base: z
      .boolean()
      .default(true)
      .describe('URDF only: give the root link a free joint (MuJoCo fixes URDF bases otherwise)'),
  })
  .prefault({});

const robotSchema = z
  .strictObject({
    link: z
      .enum(['mujoco'])
      .default('mujoco')
      .describe('which robot link drives the robot: mujoco (embedded simulator)'),
    model: z
      .string()
      .min(1)
      .describe('robot model file (MJCF .xml or URDF .urdf); relative paths are resolved from the config file'),
    mujoco: mujocoSchema,
  })
  .describe('the robot and how strider talks to it');

const BASE_QUANTITIES = ['pos_x', 'pos_y', 'pos_z', 'quat', 'linvel', 'angvel'] as const;

const stateSchema = z
  .strictObject({
    joints: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('joints in the state vector, in this order (default: all non-base joints, model order)'),
    base: z
      .array(z.enum(BASE_QUANTITIES))
      .default(['pos_z', 'quat', 'linvel', 'angvel'])
      .describe(
        'root-body quantities in the state vector: pos_x/pos_y/pos_z (world), quat (w,x,y,z), ' +
          'linvel (world frame), angvel (body frame); world x/y are excluded by default',
      ),
  })
  .prefault({});

const randomPolicySchema = z
  .strictObject({
    scale: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe('random actions are uniform in this fraction of each actuator\u2019s command range'),
  })
  .prefault({});

const controlSchema = z
  .strictObject({
    rate_hz: z.number().min(1).max(1000).default(20).describe('control rate in Hz'),
    budget_ms: z
      .number()
      .gt(0)
      .max(1000)
      .optional()
      .describe('per-tick compute budget in ms (default: 80% of the control period); must not exceed the period'),
    actuators: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('actuators commanded, in this order (default: all actuators, model order)'),
    policy: z.enum(['random']).default('random').describe('who chooses actions: random'),
    random: randomPolicySchema,
  })
  .prefault({});

const cmdVelSchema = z
  .strictObject({
    linear_x: z.number().min(-10).max(10).default(0.5).describe('target forward speed, m/s (world x)'),
    linear_y: z.number().min(-10).max(10).default(0).describe('target lateral speed, m/s (world y)'),
    angular_z: z.number().min(-10).max(10).default(0).describe('target yaw rate, rad/s (body z)'),
  })
  .prefault({});

const taskSchema = z
  .strictObject({
    reward: z
      .enum(['forward_speed', 'cmd_vel'])
      .default('forward_speed')
      .describe('forward_speed: r = vx - w|a|^2 (gym style); cmd_vel: track a Twist'),
    ctrl_cost_weight: z
      .number()
      .min(0)
      .max(100)
      .default(0.1)
      .describe('w in the control cost w|a|^2, actions normalised to [-1, 1] by the command range'),
    cmd_vel: cmdVelSchema,
  })
  .prefault({});

const runSchema = z
  .strictObject({
    episodes: z.number().int().min(1).max(100000).default(5).describe('episodes to run'),
    steps_per_episode: z
      .number()
      .int()
      .min(1)
      .max(10000000)
      .default(200)
      .describe('control ticks per episode'),
    seed: z.number().int().min(0).max(4294967295).default(0).describe('random seed for resets and policies'),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
      .default('info')
      .describe('log level of the JSON log on stderr'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  robot: robotSchema,
  state: stateSchema,
  control: controlSchema,
  task: taskSchema,
  run: runSchema,
  log: logSchema,
});

export type StriderConfig = z.infer<typeof configSchema>;
export type RobotConfig = StriderConfig['robot'];
export type StateConfig = StriderConfig['state'];
export type ControlConfig = StriderConfig['control'];
export type TaskConfig = StriderConfig['task'];
export type RunConfig = StriderConfig['run'];
export type BaseQuantity = (typeof BASE_QUANTITIES)[number];
