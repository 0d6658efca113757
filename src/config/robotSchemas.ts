/** The `robot:` and `state:` sections of the config (src/config/schema.ts). */
import { z } from 'zod';
import { ros2Schema } from '../robot/ros2/ros2Config.js';

export const mujocoSchema = z
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

export const robotSchema = z
  .strictObject({
    link: z
      .enum(['mujoco', 'ros2'])
      .default('mujoco')
      .describe(
        'which robot link drives the robot: mujoco (embedded simulator) or ros2 (rclnodejs; docs/ros2.md)',
      ),
    model: z
      .string()
      .min(1)
      .describe(
        'robot model file (MJCF .xml or URDF .urdf); relative paths are resolved from the config file',
      ),
    mujoco: mujocoSchema,
    ros2: ros2Schema,
  })
  .describe('the robot and how strider talks to it');

export const BASE_QUANTITIES = ['pos_x', 'pos_y', 'pos_z', 'quat', 'linvel', 'angvel'] as const;

export const stateSchema = z
  .strictObject({
    joints: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'joints in the state vector, in this order (default: all non-base joints, model order)',
      ),
    base: z
      .array(z.enum(BASE_QUANTITIES))
      .default(['pos_z', 'quat', 'linvel', 'angvel'])
      .describe(
        'root-body quantities in the state vector: pos_x/pos_y/pos_z (world), quat (w,x,y,z), ' +
          'linvel (world frame), angvel (body frame); world x/y are excluded by default',
      ),
  })
  .prefault({});
