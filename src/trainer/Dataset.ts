import type { Trajectory } from '../dynamics/Trajectory.js';
import { Rng } from '../util/rng.js';
import type { DataSource } from './types.js';

export interface DatasetOptions {
  readonly stateDim: number;
  readonly actionDim: number;
  /** Episodes are cut into pieces of this many transitions, so the mix is not limited to whole episodes. */
  readonly segmentSteps: number;
  readonly seed: number;
}

/**
 * D_rand and D_rl (Nagabandi et al. 2017, Alg. 1): every trajectory is kept (in segments of
 * `segmentSteps` transitions, views into the episode's arrays), and each refit draws a mix in
 * which D_rand makes up `randFraction` of the transitions once D_rl exists.
 */
export class Dataset {
  readonly #o: DatasetOptions;
  readonly #rand: Trajectory[] = [];
  readonly #rl: Trajectory[] = [];
  readonly #rng: Rng;
  /** The segments of each trajectory added (so retention can take it out again). */
  readonly #segments = new Map<Trajectory, { source: DataSource; segments: Trajectory[] }>();

  constructor(options: DatasetOptions) {
    this.#o = options;
    this.#rng = new Rng(options.seed);
  }

  /** Transitions held per source. */
  count(source: DataSource): number {
    let n = 0;
    for (const t of source === 'rand' ? this.#rand : this.#rl)
      n += t.actions.length / this.#o.actionDim;
    return n;
  }

  add(trajectory: Trajectory, source: DataSource): void {
    const { stateDim: S, actionDim: A, segmentSteps: L } = this.#o;
    const T = trajectory.actions.length / A;
    const into = source === 'rand' ? this.#rand : this.#rl;
    const segments: Trajectory[] = [];
    for (let t0 = 0; t0 < T; t0 += L) {
      const n = Math.min(L, T - t0);
      if (n < 2 && t0 > 0) break; // a 1-step tail adds little and cannot carry an H-step check
      segments.push({
        states: trajectory.states.subarray(t0 * S, (t0 + n + 1) * S),
        actions: trajectory.actions.subarray(t0 * A, (t0 + n) * A),
      });
    }
    into.push(...segments);
    this.#segments.set(trajectory, { source, segments });
  }

  /** Takes out a trajectory added before (retention); false when it is not held. */
  remove(trajectory: Trajectory): boolean {
    const held = this.#segments.get(trajectory);
    if (held === undefined) return false;
    this.#segments.delete(trajectory);
    const from = held.source === 'rand' ? this.#rand : this.#rl;
    const gone = new Set(held.segments);
    let w = 0;
    for (const t of from) if (!gone.has(t)) from[w++] = t;
    from.length = w;
    return true;
  }

  /**
   * The refit's data: all of D_rl, plus D_rand capped so that it makes up at most `randFraction`
   * of the total (a random subset of its segments). randFraction 1 keeps everything (Alg. 1 as
   * written: D_rand and D_rl together); while D_rl is empty, D_rand is used whole.
   */
  mix(randFraction: number): { data: Trajectory[]; rand: number; rl: number } {
    const A = this.#o.actionDim;
    const rl = this.count('rl');
    const all = this.count('rand');
    const wanted = randFraction >= 1 ? all : (randFraction / (1 - randFraction)) * rl;
    if (rl === 0 || wanted >= all) return { data: [...this.#rand, ...this.#rl], rand: all, rl };
    const order = this.#rand.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.#rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const picked: Trajectory[] = [];
    let rand = 0;
    for (const i of order) {
      if (rand >= wanted) break;
      const t = this.#rand[i]!;
      picked.push(t);
      rand += t.actions.length / A;
    }
    return { data: [...picked, ...this.#rl], rand, rl };
  }
}
