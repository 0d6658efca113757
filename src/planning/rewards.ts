import type { TaskConfig } from '../config/schema.js';
import type { ActuatorInfo } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { DifferentiableReward, TrackingTerms } from '../dynamics/onnx/rewardGraph.js';
import type { BatchReward } from './types.js';

function requireIndex(layout: StateLayout, name: string, why: string): number {
  const i = stateIndex(layout, name);
  if (i < 0) {
    throw new StriderError(
      'CONFIG_INVALID',
      `task.reward ${why} needs "${name}" in the state vector; add the quantity to state.base ` +
        `(state has: ${layout.names.join(', ')})`,
    );
  }
  return i;
}

/**
 * Where the control cost is zero and what counts as a full action, per actuator (raw units): the
 * action space's nominal and half-width (src/control/ActionSpace.ts). Default: 0 and half of each
 * actuator's command range.
 */
export interface ActionCostScale {
  readonly nominal: ArrayLike<number>;
  readonly halfWidth: ArrayLike<number>;
}

/** [centre..., 1/halfwidth...] (2A), so the control cost sees actions in [-1, 1]. */
function inverseHalfRanges(
  actuators: readonly ActuatorInfo[],
  scale?: ActionCostScale,
): Float32Array {
  const A = actuators.length;
  const out = new Float32Array(2 * A);
  for (let i = 0; i < A; i++) {
    const [lo, hi] = actuators[i]!.commandLimits;
    const half = scale?.halfWidth[i] ?? (hi - lo) / 2;
    out[i] = scale?.nominal[i] ?? 0;
    out[A + i] = half > 0 && Number.isFinite(half) ? 1 / half : 1;
  }
  return out;
}

/** w * sum_i ((a_i - nominal_i) / halfwidth_i)^2 for row `r` of `actions` (count x A). */
export function controlCost(
  actions: Float32Array,
  r: number,
  invHalf: Float32Array,
  weight: number,
): number {
  const A = invHalf.length / 2;
  let sum = 0;
  for (let j = 0; j < A; j++) {
    const a = (actions[r * A + j]! - invHalf[j]!) * invHalf[A + j]!;
    sum += a * a;
  }
  return weight * sum;
}

/**
 * Gym-style running reward: r = v_x(s') - w |a|^2, with v_x the root body's world-frame forward
 * speed after the step (HalfCheetah's dx/dt) and a normalised by the command range.
 */
export class ForwardSpeedReward implements BatchReward {
  readonly #vx: number;
  readonly #S: number;
  readonly #weight: number;
  readonly #invHalf: Float32Array;

  constructor(
    layout: StateLayout,
    actuators: readonly ActuatorInfo[],
    ctrlCostWeight: number,
    costScale?: ActionCostScale,
  ) {
    this.#vx = requireIndex(layout, 'base.linvel.x', 'forward_speed');
    this.#S = layout.dim;
    this.#weight = ctrlCostWeight;
    this.#invHalf = inverseHalfRanges(actuators, costScale);
  }

  evaluate(
    _states: Float32Array,
    actions: Float32Array,
    next: Float32Array,
    count: number,
    out: Float32Array,
  ): void {
    for (let r = 0; r < count; r++) {
      out[r] = next[r * this.#S + this.#vx]! - controlCost(actions, r, this.#invHalf, this.#weight);
    }
  }

  /** The same reward in the form the policy's return term differentiates (copies). */
  linearForm(): DifferentiableReward {
    const A = this.#invHalf.length / 2;
    const stateWeights = new Float32Array(this.#S);
    stateWeights[this.#vx] = 1;
    return {
      stateWeights,
      ctrlWeight: this.#weight,
      nominal: this.#invHalf.slice(0, A),
      invHalf: this.#invHalf.slice(A),
    };
  }
}

/**
 * Twist tracking for legged robots (legged_gym style): exp(-|v_xy - v*_xy|^2 / 0.25)
 * + 0.5 exp(-(w_z - w*_z)^2 / 0.25) - w |a|^2, with w_z the body yaw rate.
 *
 * v is the heading-frame velocity, as ROS cmd_vel means it (x forward, y left): the world-frame
 * base.linvel turned by -yaw, with the yaw of base.quat.{w,x,y,z}. Without base.quat in the state
 * (or where the body points straight up or down, so it has no heading) v is compared in the world
 * frame instead, which is the heading frame only while the robot faces world +x.
 *
 * `target` (m/s, m/s, rad/s) is read on every evaluate(); change it in place (TaskTargets does).
 */
export class CmdVelReward implements BatchReward {
  readonly #vx: number;
  readonly #vy: number;
  readonly #wz: number;
  /** Index of base.quat.w, followed by x, y, z; -1 without a quaternion in the state. */
  readonly #qw: number;
  readonly #S: number;
  readonly #weight: number;
  /** Weight of the linear tracking penalty (LeggedReward's task.legged.tracking_l1; else 0). */
  readonly #l1: number;
  readonly #invHalf: Float32Array;
  readonly target = { linearX: 0, linearY: 0, angularZ: 0 };

  constructor(
    layout: StateLayout,
    actuators: readonly ActuatorInfo[],
    task: TaskConfig,
    costScale?: ActionCostScale,
    trackingL1 = 0,
  ) {
    this.#l1 = trackingL1;
    this.#vx = requireIndex(layout, 'base.linvel.x', 'cmd_vel');
    this.#vy = requireIndex(layout, 'base.linvel.y', 'cmd_vel');
    this.#wz = requireIndex(layout, 'base.angvel.z', 'cmd_vel');
    this.#qw = quaternionIndex(layout);
    this.#S = layout.dim;
    this.#weight = task.ctrl_cost_weight;
    this.#invHalf = inverseHalfRanges(actuators, costScale);
    this.target.linearX = task.cmd_vel.linear_x;
    this.target.linearY = task.cmd_vel.linear_y;
    this.target.angularZ = task.cmd_vel.angular_z;
  }

  evaluate(
    _states: Float32Array,
    actions: Float32Array,
    next: Float32Array,
    count: number,
    out: Float32Array,
  ): void {
    const S = this.#S;
    const qw = this.#qw;
    const t = this.target;
    for (let r = 0; r < count; r++) {
      const o = r * S;
      let vx = next[o + this.#vx]!;
      let vy = next[o + this.#vy]!;
      if (qw >= 0) {
        const w = next[o + qw]!;
        const x = next[o + qw + 1]!;
        const y = next[o + qw + 2]!;
        const z = next[o + qw + 3]!;
        // cos and sin of yaw times |q|^2 (exact for a model-predicted, not quite unit quaternion):
        // yaw = atan2(2(wz + xy), w^2 + x^2 - y^2 - z^2), the ZYX yaw.
        const c = w * w + x * x - y * y - z * z;
        const s = 2 * (w * z + x * y);
        const n = Math.sqrt(c * c + s * s);
        if (n > 1e-6) {
          const cy = c / n;
          const sy = s / n;
          const hx = cy * vx + sy * vy;
          vy = cy * vy - sy * vx;
          vx = hx;
        }
      }
      const ex = vx - t.linearX;
      const ey = vy - t.linearY;
      const ew = next[o + this.#wz]! - t.angularZ;
      const e2 = ex * ex + ey * ey;
      out[r] =
        Math.exp(-e2 / 0.25) +
        0.5 * Math.exp(-(ew * ew) / 0.25) -
        (this.#l1 > 0 ? this.#l1 * (Math.sqrt(e2) + 0.5 * Math.abs(ew)) : 0) -
        controlCost(actions, r, this.#invHalf, this.#weight);
    }
  }

  /**
   * The same reward in the form the policy's return term differentiates (copies; the target as
   * it stands now, which a policy with the command input replaces by each rollout's command).
   */
  differentiableForm(): DifferentiableReward & { readonly tracking: TrackingTerms } {
    const A = this.#invHalf.length / 2;
    const t = this.target;
    return {
      stateWeights: new Float32Array(this.#S),
      ctrlWeight: this.#weight,
      nominal: this.#invHalf.slice(0, A),
      invHalf: this.#invHalf.slice(A),
      tracking: {
        vx: this.#vx,
        vy: this.#vy,
        wz: this.#wz,
        quatW: this.#qw,
        l1: this.#l1,
        target: [t.linearX, t.linearY, t.angularZ],
      },
    };
  }
}

/**
 * Index of base.quat.w when base.quat.{w,x,y,z} lie in that order (as StateAssembler lays them
 * out), else -1.
 */
function quaternionIndex(layout: StateLayout): number {
  const w = stateIndex(layout, 'base.quat.w');
  if (w < 0) return -1;
  const n = layout.names;
  const ordered =
    n[w + 1] === 'base.quat.x' && n[w + 2] === 'base.quat.y' && n[w + 3] === 'base.quat.z';
  return ordered ? w : -1;
}
