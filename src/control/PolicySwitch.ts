import type { ActionPolicy, ActionSource } from './types.js';

/** How a staged policy is watched after it takes over. */
export interface StageOptions {
  /** Ticks after the swap during which a fault rolls back to the previous policy (0: no canary). */
  readonly canaryTicks: number;
  /** Called (once, synchronously) when a canary fault rolls the swap back. */
  readonly onRollback?: (reason: string) => void;
}

/**
 * An ActionPolicy that delegates to whichever policy is current, so the learning loop can move
 * from random actions to MPC and swap model versions without rebuilding the control loop.
 *
 * use() switches at once (between episodes, when nothing ticks). stage() queues a policy that
 * takes over at the start of the next act() call: a tick boundary, never inside a tick. For
 * `canaryTicks` ticks after that, a policy that throws or returns a non-finite action is rolled
 * back to the previous policy for the next tick (this tick's fault still reaches the control loop,
 * which sends the safe command).
 */
export class PolicySwitch implements ActionPolicy {
  #current: ActionPolicy;
  #staged: { policy: ActionPolicy; options: StageOptions } | null = null;
  #previous: ActionPolicy | null = null;
  #canaryLeft = 0;
  #onRollback: ((reason: string) => void) | undefined;
  #rollbacks = 0;

  readonly #onChange: ((current: ActionPolicy) => void) | undefined;

  /** @param onChange called (synchronously) whenever another policy becomes current. */
  constructor(initial: ActionPolicy, onChange?: (current: ActionPolicy) => void) {
    this.#current = initial;
    this.#onChange = onChange;
  }

  get source(): ActionSource {
    return this.#current.source;
  }

  get current(): ActionPolicy {
    return this.#current;
  }

  /** The model version the current policy plans with; undefined for random actions. */
  get modelVersion(): number | undefined {
    return this.#current.modelVersion;
  }

  /** The policy that served before the last staged swap (kept for rollback), if any. */
  get previous(): ActionPolicy | null {
    return this.#previous;
  }

  get rollbacks(): number {
    return this.#rollbacks;
  }

  /** Make `next` current now; returns the policy it replaces. Cancels a staged swap. */
  use(next: ActionPolicy): ActionPolicy {
    const replaced = this.#current;
    this.#current = next;
    this.#staged = null;
    this.#canaryLeft = 0;
    if (next !== replaced) this.#onChange?.(next);
    return replaced;
  }

  /** Queue `next` to take over at the next tick boundary; a policy staged earlier is replaced. */
  stage(next: ActionPolicy, options: StageOptions): void {
    this.#staged = { policy: next, options };
  }

  /** True while a staged policy waits for the next tick. */
  get pending(): boolean {
    return this.#staged !== null;
  }

  act(state: Float32Array, deadlineMs: number, out: Float32Array): void | Promise<void> {
    if (this.#staged !== null) this.#applyStaged();
    if (this.#canaryLeft <= 0) return this.#current.act(state, deadlineMs, out);
    this.#canaryLeft--;
    return this.#actWatched(state, deadlineMs, out);
  }

  reset(): void {
    this.#current.reset?.();
  }

  expertLabel(out: Float32Array): boolean {
    return this.#current.expertLabel?.(out) ?? false;
  }

  #applyStaged(): void {
    const { policy, options } = this.#staged!;
    this.#staged = null;
    this.#previous = this.#current;
    this.#current = policy;
    policy.reset?.();
    this.#canaryLeft = options.canaryTicks;
    this.#onRollback = options.onRollback;
    this.#onChange?.(policy);
  }

  async #actWatched(state: Float32Array, deadlineMs: number, out: Float32Array): Promise<void> {
    const watched = this.#current;
    try {
      await watched.act(state, deadlineMs, out);
    } catch (err) {
      this.#rollback(
        watched,
        `canary: the new policy threw: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw err;
    }
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) {
        this.#rollback(
          watched,
          `canary: the new policy returned a non-finite action (element ${i})`,
        );
        return;
      }
    }
  }

  #rollback(failed: ActionPolicy, reason: string): void {
    if (this.#current !== failed || this.#previous === null) return;
    this.#current = this.#previous;
    this.#previous = failed;
    this.#current.reset?.();
    this.#canaryLeft = 0;
    this.#rollbacks++;
    this.#onChange?.(this.#current);
    this.#onRollback?.(reason);
  }
}
