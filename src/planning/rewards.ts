import type { TaskConfig } from '../config/schema.js';
import type { ActuatorInfo } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
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

/** 1 / half-range of each actuator's command limits, so the control cost sees actions in [-1, 1]. */
function inverseHalfRanges(actuators: readonly ActuatorInfo[]): Float32Array {
  const out = new Float32Array(actuators.length);
  for (let i = 0; i < actuators.length; i++) {
    const [lo, hi] = actuators[i]!.commandLimits;
    const half = (hi - lo) / 2;
    out[i] = half > 0 && Number.isFinite(half) ? 1 / half : 1;
  }
  return out;
}

/** w * sum_i (a_i / halfrange_i)^2 for row `r` of `actions` (count x A). */
function controlCost(actions: Float32Array, r: number, invHalf: Float32Array, weight: number): number {
  const A = invHalf.length;
  let sum = 0;
  for (let j = 0; j < A; j++) {
    const a = actions[r * A + j]! * invHalf[j]!;
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

  constructor(layout: StateLayout, actuators: readonly ActuatorInfo[], ctrlCostWeight: number) {
    this.#vx = requireIndex(layout, 'base.linvel.x', 'forward_speed');
    this.#S = layout.dim;
    this.#weight = ctrlCostWeight;
    this.#invHalf = inverseHalfRanges(actuators);
  }

  evaluate(_states: Float32Array, actions: Float32Array, next: Float32Array, count: number, out: Float32Array): void {
    for (let r = 0; r < count; r++) {
      out[r] = next[r * this.#S + this.#vx]! - controlCost(actions, r, this.#invHalf, this.#weight);
    }
  }
}

/**
 * Twist tracking for legged robots (legged_gym style): exp(-|v_xy - v*_xy|^2 / 0.25)
 * + 0.5 exp(-(w_z - w*_z)^2 / 0.25) - w |a|^2, with v in the world frame and w_z the body yaw rate.
 */
export class CmdVelReward implements BatchReward {
  readonly #vx: number;
  readonly #vy: number;
  readonly #wz: number;
  readonly #S: number;
  readonly #weight: number;
  readonly #invHalf: Float32Array;
  readonly target = { linearX: 0, linearY: 0, angularZ: 0 };

  constructor(layout: StateLayout, actuators: readonly ActuatorInfo[], task: TaskConfig) {
    this.#vx = requireIndex(layout, 'base.linvel.x', 'cmd_vel');
    this.#vy = requireIndex(layout, 'base.linvel.y', 'cmd_vel');
    this.#wz = requireIndex(layout, 'base.angvel.z', 'cmd_vel');
    this.#S = layout.dim;
    this.#weight = task.ctrl_cost_weight;
    this.#invHalf = inverseHalfRanges(actuators);
    this.target.linearX = task.cmd_vel.linear_x;
    this.target.linearY = task.cmd_vel.linear_y;
    this.target.angularZ = task.cmd_vel.angular_z;
  }

  evaluate(_states: Float32Array, actions: Float32Array, next: Float32Array, count: number, out: Float32Array): void {
    const S = this.#S;
    const t = this.target;
    for (let r = 0; r < count; r++) {
      const ex = next[r * S + this.#vx]! - t.linearX;
      const ey = next[r * S + this.#vy]! - t.linearY;
      const ew = next[r * S + this.#wz]! - t.angularZ;
      out[r] =
        Math.exp(-(ex * ex + ey * ey) / 0.25) +
        0.5 * Math.exp(-(ew * ew) / 0.25) -
        controlCost(actions, r, this.#invHalf, this.#weight);
    }
  }
}

/** The reward the task config names, for this state layout and these actuators. */
export function createReward(
  task: TaskConfig,
  layout: StateLayout,
  actuators: readonly ActuatorInfo[],
): BatchReward {
  switch (task.reward) {
    case 'forward_speed':
      return new ForwardSpeedReward(layout, actuators, task.ctrl_cost_weight);
    case 'cmd_vel':
      return new CmdVelReward(layout, actuators, task);
  }
}
