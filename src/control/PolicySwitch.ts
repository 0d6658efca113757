import type { ActionPolicy, ActionSource } from './types.js';

/**
 * An ActionPolicy that delegates to whichever policy is current, so the learning loop can move
 * from random actions to MPC (and swap MPC model versions) between episodes without rebuilding
 * the control loop. Switch only at an episode boundary: the control loop is not ticking then.
 */
export class PolicySwitch implements ActionPolicy {
  #current: ActionPolicy;

  constructor(initial: ActionPolicy) {
    this.#current = initial;
  }

  get source(): ActionSource {
    return this.#current.source;
  }

  get current(): ActionPolicy {
    return this.#current;
  }

  /** Make `next` current; returns the previous policy (for the caller to close). */
  use(next: ActionPolicy): ActionPolicy {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }

  act(state: Float32Array, deadlineMs: number, out: Float32Array): void | Promise<void> {
    return this.#current.act(state, deadlineMs, out);
  }

  reset(): void {
    this.#current.reset?.();
  }
}
