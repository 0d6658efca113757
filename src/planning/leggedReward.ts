import type { TaskConfig } from '../config/schema.js';
import type { ActuatorInfo } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { DifferentiableReward } from '../dynamics/onnx/rewardGraph.js';
import { CmdVelReward, type ActionCostScale } from './rewards.js';

/** What the legged reward needs beyond the task config: where a fall begins. */
export interface LeggedRewardContext {
  /** Tilt beyond which a state counts as fallen, rad (safety.tilt.max_rad). */
  readonly maxTiltRad: number;
  /** Below this fraction of the target height a state counts as fallen (task.fall). */
  readonly minHeightFraction: number;
  /** The stance's base height, m (a keyframe's), used when task.legged.base_height_m is unset. */
  readonly stanceBaseHeightM: number | null;
}

/**
 * cmd_vel tracking for legged robots with legged_gym's shaping terms, evaluated on predicted
 * states so the planner steers away from predicted falls:
 *
 *   r = tracking (CmdVelReward: exp(-|v_xy - v*_xy|^2 / 0.25) + 0.5 exp(-(w_z - w*_z)^2 / 0.25)
 *       - w_l1 (|v_xy - v*_xy| + 0.5 |w_z - w*_z|) - w |a - nominal|^2 / halfwidth^2)
 *     - w_upright |g_xy|^2            (projected gravity off the body z axis: sin^2 tilt)
 *     - w_height (z - z*)^2           (z* = task.legged.base_height_m, else the stance's)
 *     - w_rate |(a_t - a_{t-1}) / halfwidth|^2   (when the caller passes the previous actions)
 *     - w_angvel (w_x^2 + w_y^2)      (body roll and pitch rates, base.angvel.x/y)
 *     - w_vz v_z^2                     (vertical base velocity, base.linvel.z)
 *     - w_fall [tilt > max or z < fraction z*]
 *
 * A term whose state quantity is missing (no base.quat, no base.pos.z or no target height) is
 * left out. Batched and allocation-free, like every BatchReward.
 */
export class LeggedReward extends CmdVelReward {
  readonly usesPreviousActions = true;
  readonly #qw: number;
  readonly #z: number;
  /** base.angvel.x (y follows), base.linvel.z; -1 when the state lacks them. */
  readonly #wx: number;
  readonly #vz: number;
  readonly #S: number;
  readonly #A: number;
  readonly #invHalf: Float32Array;
  readonly #w: TaskConfig['legged'];
  readonly #targetZ: number;
  readonly #minZ: number;
  readonly #cosMaxTilt: number;

  constructor(
    layout: StateLayout,
    actuators: readonly ActuatorInfo[],
    task: TaskConfig,
    context: LeggedRewardContext,
    costScale?: ActionCostScale,
  ) {
    super(layout, actuators, task, costScale, task.legged.tracking_l1);
    this.#w = task.legged;
    this.#qw = stateIndex(layout, 'base.quat.w');
    this.#z = stateIndex(layout, 'base.pos.z');
    this.#wx = stateIndex(layout, 'base.angvel.x');
    this.#vz = stateIndex(layout, 'base.linvel.z');
    if (this.#qw < 0 && this.#z < 0) {
      throw new StriderError(
        'CONFIG_INVALID',
        `task.reward legged needs base.quat or base.pos.z in the state; add quat and pos_z to state.base (state has: ${layout.names.join(', ')})`,
      );
    }
    this.#S = layout.dim;
    this.#A = actuators.length;
    this.#invHalf = new Float32Array(this.#A);
    for (let i = 0; i < this.#A; i++) {
      const [lo, hi] = actuators[i]!.commandLimits;
      const half = costScale?.halfWidth[i] ?? (hi - lo) / 2;
      this.#invHalf[i] = half > 0 && Number.isFinite(half) ? 1 / half : 1;
    }
    this.#targetZ = task.legged.base_height_m ?? context.stanceBaseHeightM ?? Number.NaN;
    this.#minZ = context.minHeightFraction * this.#targetZ;
    this.#cosMaxTilt = Math.cos(context.maxTiltRad);
  }

  override evaluate(
    states: Float32Array,
    actions: Float32Array,
    next: Float32Array,
    count: number,
    out: Float32Array,
    previousActions?: Float32Array,
  ): void {
    super.evaluate(states, actions, next, count, out);
    const S = this.#S;
    const A = this.#A;
    const w = this.#w;
    const qw = this.#qw;
    const zi = this.#z;
    const heightKnown = zi >= 0 && Number.isFinite(this.#targetZ);
    for (let r = 0; r < count; r++) {
      const o = r * S;
      let penalty = 0;
      let fallen = false;
      if (qw >= 0) {
        const x = next[o + qw + 1]!;
        const y = next[o + qw + 2]!;
        const n2 = next[o + qw]! ** 2 + x * x + y * y + next[o + qw + 3]! ** 2;
        const up = n2 > 0 ? 1 - (2 * (x * x + y * y)) / n2 : 1;
        penalty += w.upright * (1 - up * up);
        if (up < this.#cosMaxTilt) fallen = true;
      }
      if (heightKnown) {
        const z = next[o + zi]!;
        const dz = z - this.#targetZ;
        penalty += w.height * dz * dz;
        if (z < this.#minZ) fallen = true;
      }
      if (this.#wx >= 0 && w.ang_vel_xy > 0) {
        const wx = next[o + this.#wx]!;
        const wy = next[o + this.#wx + 1]!;
        penalty += w.ang_vel_xy * (wx * wx + wy * wy);
      }
      if (this.#vz >= 0 && w.lin_vel_z > 0) {
        const vz = next[o + this.#vz]!;
        penalty += w.lin_vel_z * vz * vz;
      }
      if (previousActions !== undefined && w.action_rate > 0) {
        let sum = 0;
        for (let j = 0; j < A; j++) {
          const d = (actions[r * A + j]! - previousActions[r * A + j]!) * this.#invHalf[j]!;
          sum += d * d;
        }
        penalty += w.action_rate * sum;
      }
      if (fallen) penalty += w.fall;
      out[r] = out[r]! - penalty;
    }
  }

  /**
   * The same reward in the form the policy's return term differentiates (rewardGraph's
   * LeggedTerms: the fall indicator smoothed, the action rate from a rollout's second step).
   */
  override differentiableForm(): ReturnType<CmdVelReward['differentiableForm']> &
    Required<Pick<DifferentiableReward, 'legged'>> {
    const w = this.#w;
    const heightKnown = this.#z >= 0 && Number.isFinite(this.#targetZ);
    return {
      ...super.differentiableForm(),
      legged: {
        quatW: this.#qw,
        upright: w.upright,
        height: heightKnown ? { index: this.#z, target: this.#targetZ, weight: w.height } : null,
        angVelXY: this.#wx >= 0 ? { index: this.#wx, weight: w.ang_vel_xy } : null,
        linVelZ: this.#vz >= 0 ? { index: this.#vz, weight: w.lin_vel_z } : null,
        actionRate: w.action_rate,
        fall: {
          weight: w.fall,
          cosMax: this.#cosMaxTilt,
          minZ: heightKnown && this.#minZ > 0 ? this.#minZ : Number.NaN,
        },
      },
    };
  }
}
