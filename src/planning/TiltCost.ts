import type { StateLayout } from '../state/types.js';
import { stateIndex } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { BatchReward } from './types.js';

/**
 * The planner's score with a constraint the task's reward does not state: every predicted step
 * whose base tilts past `maxTiltRad` costs `cost` (config `planner.tilt_cost`, the limit
 * `safety.tilt.max_rad`). Planning only: the episode's return is still the task's reward, so
 * runs with and without the constraint compare on the same measure.
 *
 * Why: a planner with a 0.75 s horizon and a forward-speed reward finds that pitching the planar
 * runner over gains speed for a moment; on its back the runner then crawls for the rest of the
 * episode (docs/learning.md, "The runner on its back").
 *
 * The tilt is the angle between the base's z axis and world up, from the next state's base
 * quaternion (w, x, y, z; body to world): cos(tilt) = 1 - 2 (x^2 + y^2), the world-z component
 * of the body z axis; no trigonometry per row. Allocates nothing per call.
 */
export class TiltCost implements BatchReward {
  readonly usesPreviousActions?: boolean;
  readonly #task: BatchReward;
  readonly #qx: number;
  readonly #qy: number;
  readonly #S: number;
  readonly #cosMax: number;
  readonly #cost: number;

  constructor(task: BatchReward, layout: StateLayout, cost: number, maxTiltRad: number) {
    this.#qx = stateIndex(layout, 'base.quat.x');
    this.#qy = stateIndex(layout, 'base.quat.y');
    if (this.#qx < 0 || this.#qy < 0) {
      throw new StriderError(
        'CONFIG_INVALID',
        'planner.tilt_cost needs "base.quat.x" and "base.quat.y" in the state vector; add quat ' +
          `to state.base or set planner.tilt_cost to 0 (state has: ${layout.names.join(', ')})`,
      );
    }
    if (!(cost > 0) || !Number.isFinite(cost)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `planner.tilt_cost must be a finite number > 0 here, got ${cost}`,
      );
    }
    this.#task = task;
    if (task.usesPreviousActions === true) this.usesPreviousActions = true;
    this.#S = layout.dim;
    this.#cosMax = Math.cos(maxTiltRad);
    this.#cost = cost;
  }

  evaluate(
    states: Float32Array,
    actions: Float32Array,
    nextStates: Float32Array,
    count: number,
    out: Float32Array,
    previousActions?: Float32Array,
  ): void {
    this.#task.evaluate(states, actions, nextStates, count, out, previousActions);
    const S = this.#S;
    for (let r = 0; r < count; r++) {
      const x = nextStates[r * S + this.#qx]!;
      const y = nextStates[r * S + this.#qy]!;
      if (1 - 2 * (x * x + y * y) < this.#cosMax) out[r] = out[r]! - this.#cost;
    }
  }
}

/** The reward the planner scores with: the task's, plus the tilt constraint where configured. */
export function planningReward(
  task: BatchReward,
  layout: StateLayout,
  tiltCost: number,
  maxTiltRad: number,
): BatchReward {
  return tiltCost > 0 ? new TiltCost(task, layout, tiltCost, maxTiltRad) : task;
}
