import { stateIndex, type StateLayout } from '../state/types.js';

/** Which limit a fallen state passed: the base's tilt or its height. */
export type FallCause = 'tilt' | 'height';

/** What counts as a fall (config task.fall, safety.tilt.max_rad, the stance height). */
export interface FallOptions {
  /** Tilt of the base's z axis from world up beyond which the robot has fallen, rad. */
  readonly maxTiltRad: number;
  /** Fallen below this fraction of the stance height (0: the height is not judged). */
  readonly minHeightFraction: number;
  /**
   * The stance's base height, m (a keyframe's); null: the base height of each episode's first
   * state (the reset puts the robot in its stance).
   */
  readonly stanceHeightM: number | null;
}

/**
 * Judges a state as fallen (legged_gym's termination): the base tilted past a limit (from
 * base.quat) or below a fraction of the stance height (from base.pos_z). A quantity missing from
 * the state is not judged. Allocation-free; called on every recorded transition of a simulated
 * episode.
 */
export class FallDetector {
  readonly #qw: number;
  readonly #z: number;
  readonly #cosMaxTilt: number;
  readonly #o: FallOptions;
  #minZ = Number.NEGATIVE_INFINITY;

  constructor(layout: StateLayout, options: FallOptions) {
    this.#o = options;
    this.#qw = stateIndex(layout, 'base.quat.w');
    this.#z = stateIndex(layout, 'base.pos.z');
    this.#cosMaxTilt = Math.cos(options.maxTiltRad);
    if (options.stanceHeightM !== null)
      this.#minZ = options.minHeightFraction * options.stanceHeightM;
  }

  /** Episode start: with no stance height given, the height limit follows from `state`. */
  startEpisode(state: Float32Array): void {
    if (this.#o.stanceHeightM !== null || this.#z < 0) return;
    const z = state[this.#z]!;
    this.#minZ = Number.isFinite(z) ? this.#o.minHeightFraction * z : Number.NEGATIVE_INFINITY;
  }

  /** The limit `state` passed (the height is judged first), or null when it stands. */
  cause(state: Float32Array): FallCause | null {
    if (this.#z >= 0 && this.#o.minHeightFraction > 0 && state[this.#z]! < this.#minZ)
      return 'height';
    const w = this.#qw;
    if (w < 0) return null;
    const qx = state[w + 1]!;
    const qy = state[w + 2]!;
    const n2 = state[w]! ** 2 + qx * qx + qy * qy + state[w + 3]! ** 2;
    // z of the body z axis in the world: 1 - 2(x^2 + y^2) for a unit quaternion
    const up = n2 > 0 ? 1 - (2 * (qx * qx + qy * qy)) / n2 : 1;
    return up < this.#cosMaxTilt ? 'tilt' : null;
  }
}
