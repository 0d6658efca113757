import { z } from 'zod';

/**
 * The `safety:` config section: the rules of the safety gate (src/safety/SafetyGate.ts), the same
 * for every robot link. Every rule can be tuned; the ones that can be switched off say so. The
 * gate never reads YAML itself: the composition root passes this parsed, frozen slice.
 */

const limitsSchema = z
  .strictObject({
    position: z
      .boolean()
      .default(true)
      .describe('keep commands inside the model\u2019s joint position limits (less the margin)'),
    position_margin: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'distance from a position limit, rad or m, where commands pushing outwards are cut',
      ),
    velocity: z
      .boolean()
      .default(true)
      .describe(
        'keep joints under the model\u2019s velocity limits (velocity commands, position steps, effort that accelerates past the limit)',
      ),
    effort: z
      .boolean()
      .default(true)
      .describe('keep effort commands under the model\u2019s effort limits'),
    state_position_tolerance: z
      .number()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        'a measured joint position further than this outside its limits (rad or m) is implausible: the state is rejected (garbage detection, not a limit)',
      ),
    state_base_height: z
      .number()
      .gt(0)
      .max(1e9)
      .default(1000)
      .describe(
        'a measured base height (|base.pos.z|) above this, m, is implausible: the state is rejected (garbage detection, not a limit)',
      ),
    state_base_speed: z
      .number()
      .gt(0)
      .max(1e6)
      .default(50)
      .describe(
        'a measured base linear velocity component above this, m/s, is implausible: the state is rejected (garbage detection, not a limit)',
      ),
    state_base_rate: z
      .number()
      .gt(0)
      .max(1e6)
      .default(100)
      .describe(
        'a measured base angular velocity component above this, rad/s, is implausible: the state is rejected (garbage detection, not a limit)',
      ),
    state_velocity_factor: z
      .number()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        'a measured joint speed above this multiple of its velocity limit is implausible: the state is rejected (garbage detection, not a limit)',
      ),
  })
  .prefault({});

const rateLimitSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('limit how fast each command may change'),
    range_per_s: z
      .number()
      .gt(0)
      .max(1e6)
      .default(25)
      .describe(
        'largest change per second, as a multiple of the actuator\u2019s command range (25: the whole range in 40 ms)',
      ),
  })
  .prefault({});

const tiltSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('latch a stop when the base tilts too far'),
    max_rad: z
      .number()
      .gt(0)
      .max(Math.PI)
      .default(0.8)
      .describe(
        'largest angle between the base\u2019s z axis and world up, rad, before a latched stop',
      ),
  })
  .prefault({});

const softStartSchema = z
  .strictObject({
    duration_s: z
      .number()
      .min(0)
      .max(60)
      .default(0.5)
      .describe(
        'after arming, commands blend from holding the measured pose to the policy over this time, s (0: no ramp)',
      ),
  })
  .prefault({});

export const safetySchema = z
  .strictObject({
    state_timeout_ms: z
      .number()
      .gt(0)
      .max(10000)
      .default(60)
      .describe(
        'state older than this (arrival on the monotonic clock, and header stamp age where the link has a clock) is stale: safe command, latched until re-armed',
      ),
    stamps: z
      .enum(['strict', 'arrival_only'])
      .default('strict')
      .describe(
        'strict: duplicate or out-of-order header stamps count as missing and stamp age is judged; arrival_only: judge arrival times only (sources without stamps)',
      ),
    safe_command: z
      .enum(['damping', 'hold'])
      .default('damping')
      .describe(
        'what effort actuators get on a fault: damping (-kd qdot) or hold (PD on the pose measured at the fault); position actuators always hold, velocity actuators get 0',
      ),
    damping_kd: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe('kd of the safe command, N m s/rad (N s/m for slides)'),
    hold_kp: z
      .number()
      .min(0)
      .max(10000)
      .default(20)
      .describe('kp of the hold safe command and of the soft start, N m/rad (N/m)'),
    arm: z
      .enum(['auto', 'manual'])
      .default('auto')
      .describe(
        'auto: arm by itself once a valid state and model exist; manual: wait for an explicit re-arm even at start',
      ),
    require_model: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe(
        'true: no motion (safe command) until a learned model serves, so random exploration never moves the robot; auto: true on the ROS 2 link, false in the embedded simulator',
      ),
    rearm_on_episode_reset: z
      .boolean()
      .default(true)
      .describe(
        'simulated links only: an episode reset clears latched faults (a real robot is never reset)',
      ),
    limits: limitsSchema,
    rate_limit: rateLimitSchema,
    tilt: tiltSchema,
    soft_start: softStartSchema,
  })
  .prefault({})
  .describe('the safety gate between the planner and the robot (docs/safety.md)');

export type SafetyConfig = z.infer<typeof safetySchema>;

/** The defaults of every rule (what `safety: {}` parses to). */
export function defaultSafetyConfig(): SafetyConfig {
  return safetySchema.parse(undefined);
}
