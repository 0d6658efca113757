import type { ActuatorInfo } from '../robot/types.js';
import { Rng } from '../util/rng.js';
import type { ActionSpace } from './ActionSpace.js';
import type { ActionPolicy } from './types.js';

/**
 * Uniform random actions (Nagabandi Alg. 1's D_rand collection). Effort (or no action space):
 * within `scale` of each actuator's command range, centred on the range's midpoint. Position
 * space: within `scale` of the space's bounds around its nominal (the stance), read on every call
 * (a nominal captured at arming takes effect at once). Writes into a caller-owned buffer.
 */
export class RandomPolicy implements ActionPolicy {
  readonly source = 'random' as const;
  readonly #lo: Float32Array;
  readonly #hi: Float32Array;
  readonly #rng: Rng;
  readonly #space: ActionSpace | null;
  readonly #scale: number;

  constructor(
    actuators: readonly ActuatorInfo[],
    options: { scale: number; seed: number; space?: ActionSpace },
  ) {
    const n = actuators.length;
    this.#space = options.space?.kind === 'position' ? options.space : null;
    this.#scale = options.scale;
    this.#lo = new Float32Array(n);
    this.#hi = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = actuators[i]!.commandLimits;
      const mid = (lo + hi) / 2;
      const half = ((hi - lo) / 2) * options.scale;
      this.#lo[i] = mid - half;
      this.#hi[i] = mid + half;
    }
    this.#rng = new Rng(options.seed);
  }

  /** Fill `out` (length A) with one random action; the state and deadline are not needed. */
  act(_state: Float32Array, _deadlineMs: number, out: Float32Array): void {
    const space = this.#space;
    if (space !== null) {
      const s = this.#scale;
      for (let i = 0; i < out.length; i++) {
        const c = space.nominal[i]!;
        out[i] = this.#rng.uniform(c + s * (space.low[i]! - c), c + s * (space.high[i]! - c));
      }
      return;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.#rng.uniform(this.#lo[i]!, this.#hi[i]!);
  }
}
