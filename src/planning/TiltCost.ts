import type { StateLayout } from '../state/types.js';
import { stateIndex } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import { tiltVerdict } from '../safety/stateChecks.js';
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
 * The tilt is judged as the safety gate judges it (tiltVerdict: the angle between the base's z
 * axis and world up from the next state's base quaternion, divided by |q|^2, since a learned
 * model's predicted quaternion is not exactly a unit one); a quaternion that verdict calls broken
 * (non-finite, or |q|^2 outside (0.25, 4): a diverging prediction) counts as tipped. No
 * trigonometry per row; allocates nothing per call.
 */
export class TiltCost implements BatchReward {
  readonly usesPreviousActions?: boolean;
  readonly #task: BatchReward;
  /** State indices of the base quaternion's w, x, y, z. */
  readonly #q: readonly [number, number, number, number];
  readonly #S: number;
  readonly #cosMax: number;
  readonly #cost: number;

  constructor(task: BatchReward, layout: StateLayout, cost: number, maxTiltRad: number) {
    const q = (['w', 'x', 'y', 'z'] as const).map((c) => stateIndex(layout, `base.quat.${c}`));
    if (q.some((i) => i < 0)) {
      throw new StriderError(
        'CONFIG_INVALID',
        'planner.tilt_cost needs the base quaternion (base.quat.w/x/y/z) in the state vector; add quat ' +
          `to state.base or set planner.tilt_cost to 0 (state has: ${layout.names.join(', ')})`,
      );
    }
    if (!(cost > 0) || !Number.isFinite(cost)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `planner.tilt_cost must be a finite number > 0 here, got ${cost}`,
      );
    }
    this.#q = [q[0]!, q[1]!, q[2]!, q[3]!];
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
    const [iw, ix, iy, iz] = this.#q;
    for (let r = 0; r < count; r++) {
      const o = r * S;
      const verdict = tiltVerdict(
        nextStates[o + iw]!,
        nextStates[o + ix]!,
        nextStates[o + iy]!,
        nextStates[o + iz]!,
        this.#cosMax,
      );
      if (verdict !== 0) out[r] = out[r]! - this.#cost;
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
