import { z } from 'zod';

/**
 * The config sections of legged robots: the action space (`control.action`), the legged reward's
 * weights (`task.legged`) and falls (`task.fall`). Part of the one schema (schema.ts).
 */

export const actionSchema = z
  .strictObject({
    space: z
      .enum(['effort', 'position'])
      .default('effort')
      .describe(
        'effort: actions are the actuators\u2019 commands over their whole range; position: joint ' +
          'position targets nominal + scale * a, a in [-1, 1], tracked by the robot\u2019s own PD ' +
          '(MuJoCo position actuators, ros2_control position interfaces)',
      ),
    nominal: z
      .enum(['keyframe', 'config', 'arming'])
      .default('keyframe')
      .describe(
        'position: the stance the targets are around: keyframe (the model\u2019s MJCF <key>), config ' +
          '(control.action.stance) or arming (the pose measured when the safety gate first arms)',
      ),
    keyframe: z
      .string()
      .min(1)
      .default('home')
      .describe('nominal keyframe: the MJCF <key name=...> of the stance (Menagerie: home)'),
    stance: z
      .record(z.string().min(1), z.number().min(-100).max(100))
      .optional()
      .describe(
        'nominal config: joint name -> position (rad or m) of the stance; joints not named stay at 0',
      ),
    scale: z
      .union([z.number().gt(0).max(100), z.record(z.string().min(1), z.number().gt(0).max(100))])
      .default(0.3)
      .describe(
        'position: target = nominal + scale * a, rad (or m) per unit action; a number for every ' +
          'joint or joint name -> scale (joints not named: 0.3); nominal +- scale must lie within ' +
          'the joint\u2019s range',
      ),
    pd: z
      .strictObject({
        kp: z.number().gt(0).max(1e6).describe('position gain, N m/rad (N/m)'),
        kv: z.number().min(0).max(1e5).default(0).describe('damping gain, N m s/rad (N s/m)'),
      })
      .optional()
      .describe(
        'MuJoCo, URDF only: turn every effort ros2_control joint into a PD position servo with these ' +
          'gains (an effort-only robot in position space needs them)',
      ),
  })
  .prefault({});

export const leggedSchema = z
  .strictObject({
    upright: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe(
        'penalty weight on |g_xy|^2, the gravity direction off the body z axis (sin^2 of the tilt)',
      ),
    height: z
      .number()
      .min(0)
      .max(10000)
      .default(20)
      .describe('penalty weight on (z - z*)^2, base height from its target, 1/m^2'),
    base_height_m: z
      .number()
      .gt(0)
      .max(10)
      .optional()
      .describe(
        'z*, the target base height, m (default: the keyframe stance\u2019s; none: no height term)',
      ),
    tracking_l1: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        'penalty weight on the tracking error itself, |v_xy - v*_xy| + 0.5 |w_z - w*_z| (m/s, rad/s): the exponential terms are flat near the target, this one is not (a zero command held in place)',
      ),
    action_rate: z
      .number()
      .min(0)
      .max(100)
      .default(0.01)
      .describe('penalty weight on |(a_t - a_{t-1}) / halfwidth|^2, summed over actuators'),
    ang_vel_xy: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        'penalty weight on w_x^2 + w_y^2, the base\u2019s roll and pitch rates (rad/s, base.angvel): damps a rocking or tipping gait (legged_gym\u2019s ang_vel_xy)',
      ),
    lin_vel_z: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        'penalty weight on v_z^2, the base\u2019s vertical velocity (m/s, base.linvel.z; legged_gym\u2019s lin_vel_z)',
      ),
    fall: z
      .number()
      .min(0)
      .max(1000)
      .default(5)
      .describe(
        'penalty on a (predicted) fallen state: tilt past safety.tilt.max_rad or below task.fall.min_height_fraction of z*',
      ),
  })
  .prefault({});

export const fallSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'end a simulated episode when the base tilts past safety.tilt.max_rad or sinks below the height limit',
      ),
    min_height_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'fallen below this fraction of the stance height (the keyframe\u2019s base height, else the episode\u2019s first state); 0: height not judged',
      ),
  })
  .prefault({});
