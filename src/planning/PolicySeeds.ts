import type { EnsembleStepper } from '../dynamics/types.js';
import { CmdVelReward } from './rewards.js';
import type { BatchReward, SeedSource } from './types.js';

/** What PolicySeeds rolls: the distilled policy (OnnxPolicyNet). */
export interface SeedPolicy {
  /** I = S + C: the state, then the task's command when the policy takes one. */
  readonly inputDim: number;
  act(input: Float32Array, out: Float32Array): Promise<void>;
}

/** The velocity command the policy reads after the state (CmdVelReward.target; live). */
export interface PolicyCommand {
  readonly linearX: number;
  readonly linearY: number;
  readonly angularZ: number;
}

/** Where the serving policy is found (shared by the planners of successive model versions). */
export interface PolicySlot {
  policy: SeedPolicy | null;
}

/** The task's command a policy takes after the state: the cmd_vel reward's live target, or null. */
export function policyCommand(reward: BatchReward): PolicyCommand | null {
  return reward instanceof CmdVelReward ? reward.target : null;
}

export interface PolicySeedsOptions {
  readonly stepper: EnsembleStepper;
  /** The serving policy (default: this object's own `policy` field). */
  readonly slot?: PolicySlot;
  readonly horizon: number;
  /** The task's command, read every call when the policy's input has 3 more values than S. */
  readonly command?: PolicyCommand | null;
}

/**
 * The planner's policy seeds (TD-MPC2, Hansen et al. 2024, sec. 3: a share of the samples are
 * the policy's actions along model rollouts). Sequence e (e < min(maxSequences, E)) is the
 * policy rolled through ensemble member e's prediction from the planned state (TS-inf style):
 * H policy calls per member and H stepper calls of E x 1 rows per plan() call. No policy
 * serving (`policy` null): no seeds. Buffers are allocated here; fill() allocates nothing but
 * its promise.
 */
export class PolicySeeds implements SeedSource, PolicySlot {
  /** The policy to roll when no slot is given (null: none serving); set between ticks. */
  policy: SeedPolicy | null = null;
  readonly #o: PolicySeedsOptions;
  readonly #slot: PolicySlot;
  /** E x 1 x S: each member's current state. */
  readonly #states: Float32Array;
  /** E x 1 x A: each member's policy action. */
  readonly #actions: Float32Array;
  /** E x 1 x S: the stepper's prediction. */
  readonly #next: Float32Array;
  /** S + 3: one policy input (state, then command), and its first S values as a view. */
  readonly #input: Float32Array;
  readonly #stateInput: Float32Array;
  readonly #action: Float32Array;

  constructor(options: PolicySeedsOptions) {
    this.#o = options;
    this.#slot = options.slot ?? this;
    const { stateDim: S, actionDim: A, ensembleSize: E } = options.stepper;
    this.#states = new Float32Array(E * S);
    this.#actions = new Float32Array(E * A);
    this.#next = new Float32Array(E * S);
    this.#input = new Float32Array(S + 3);
    this.#stateInput = this.#input.subarray(0, S);
    this.#action = new Float32Array(A);
  }

  async fill(state: Float32Array, out: Float32Array, maxSequences: number): Promise<number> {
    const policy = this.#policyFor();
    if (policy === null) return 0;
    const { stateDim: S, actionDim: A, ensembleSize: E } = this.#o.stepper;
    const H = this.#o.horizon;
    const n = Math.min(maxSequences, E);
    if (n <= 0) return 0;
    const input = this.#input;
    const command = policy.inputDim > S ? this.#o.command! : null;
    const policyInput = command === null ? this.#stateInput : input;
    if (command !== null) {
      input[S] = command.linearX;
      input[S + 1] = command.linearY;
      input[S + 2] = command.angularZ;
    }
    for (let e = 0; e < E; e++) for (let k = 0; k < S; k++) this.#states[e * S + k] = state[k]!;
    for (let t = 0; t < H; t++) {
      for (let e = 0; e < E; e++) {
        for (let k = 0; k < S; k++) input[k] = this.#states[e * S + k]!;
        await policy.act(policyInput, this.#action);
        for (let j = 0; j < A; j++) {
          const a = this.#action[j]!;
          this.#actions[e * A + j] = a;
          if (e < n) out[(e * H + t) * A + j] = a;
        }
      }
      if (t + 1 === H) break;
      await this.#o.stepper.step(this.#states, this.#actions, 1, this.#next);
      this.#states.set(this.#next);
    }
    return n;
  }

  /** The serving policy when its input is S (or S + 3 with a command to read); else null. */
  #policyFor(): SeedPolicy | null {
    const p = this.#slot.policy;
    if (p === null) return null;
    const S = this.#o.stepper.stateDim;
    if (p.inputDim === S) return p;
    if (p.inputDim === S + 3 && this.#o.command != null) return p;
    return null;
  }
}
