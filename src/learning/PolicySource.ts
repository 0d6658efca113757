import type { Transition } from '../control/types.js';
import type { PolicyCommand } from '../planning/PolicySeeds.js';
import type { PolicyReturnResult } from '../dynamics/policy/PolicyReturnFitter.js';
import type { PolicyTrainer } from '../trainer/PolicyTrainer.js';
import { encodePolicyArtifact } from '../transport/PolicyArtifactCodec.js';
import type { Logger } from '../util/logger.js';

/**
 * Where the DAgger loop gets distilled policy payloads from: a PolicyTrainer in this process (it
 * takes the labelled transitions as they are recorded and fits when asked), or a trainer process
 * that publishes them retained on the policy topic (the transitions went there over MQTT).
 * Payloads are policy artifacts (src/transport/PolicyArtifactCodec.ts), checked by PolicyGate.
 */
export interface PolicySource {
  /** A recorded transition (borrowed: copy what is kept); O(S + A), called from the runner. */
  observe(t: Transition): void;
  /**
   * The next policy payload after DAgger round `round`'s episodes: fitted now, or the next one
   * the trainer published. Null: none (too few labels, or none arrived in time).
   */
  next(round: number): Promise<Uint8Array | null>;
  /** What the last fit's return term did (policy.return_weight; in-process fits only). */
  lastReturnTerm?(): PolicyReturnResult | null;
}

/** Fits the policy in this process, between episodes (no MQTT). */
export class InProcessPolicySource implements PolicySource {
  readonly #trainer: PolicyTrainer;
  readonly #command: PolicyCommand | null;
  readonly #logger: Logger | null;
  /** vx, vy, yaw rate of the transition being added. */
  readonly #commandRow = new Float32Array(3);

  /**
   * @param command the task's live command (read as each transition is recorded, the tick it
   *   was planned with), taken into the inputs when the trainer's policy has a command input.
   */
  constructor(
    trainer: PolicyTrainer,
    command: PolicyCommand | null = null,
    logger: Logger | null = null,
  ) {
    this.#trainer = trainer;
    this.#command = command;
    this.#logger = logger;
  }

  observe(t: Transition): void {
    const expert = t.expertAction;
    if (expert === null || expert === undefined) return;
    const by = t.source === 'policy' || t.source === 'mixed' ? 'policy' : 'expert';
    const c = this.#command;
    if (c === null) {
      this.#trainer.add(t.state, expert, by, { nextState: t.nextState });
      return;
    }
    this.#commandRow[0] = c.linearX;
    this.#commandRow[1] = c.linearY;
    this.#commandRow[2] = c.angularZ;
    this.#trainer.add(t.state, expert, by, { command: this.#commandRow, nextState: t.nextState });
  }

  async next(round: number): Promise<Uint8Array | null> {
    const snap = await this.#trainer.train(round);
    const ret = this.#trainer.lastReturnTerm;
    if (ret !== null) {
      this.#logger?.info(
        {
          round,
          steps: ret.steps,
          rewardPerStepBefore: ret.rewardPerStepBefore,
          rewardPerStepAfter: ret.rewardPerStepAfter,
        },
        `policy return term: predicted reward per step ${ret.rewardPerStepBefore.toFixed(3)} -> ` +
          `${ret.rewardPerStepAfter.toFixed(3)} in ${ret.steps} steps` +
          (ret.steps < this.#trainer.returnSteps ? ' (stopped: a model rollout diverged)' : ''),
      );
    }
    return snap === null ? null : encodePolicyArtifact(snap);
  }

  lastReturnTerm(): PolicyReturnResult | null {
    return this.#trainer.lastReturnTerm;
  }
}

/**
 * Policy payloads a trainer process published retained on the policy topic (they arrive through
 * offer(); the labelled transitions already went to it over MQTT). With `wait` (lockstep), next()
 * waits up to `timeoutMs` for a payload newer than the last it returned; without, it returns the
 * newest that arrived, or null.
 */
export class RemotePolicySource implements PolicySource {
  readonly #wait: boolean;
  readonly #timeoutMs: number;
  #newest: Uint8Array | null = null;
  #fresh = false;
  #waiter: (() => void) | null = null;
  #closed = false;

  constructor(options: { wait: boolean; timeoutMs: number }) {
    this.#wait = options.wait;
    this.#timeoutMs = options.timeoutMs;
  }

  /** A payload from the policy topic (unchecked: PolicyGate checks it). */
  readonly offer = (payload: Uint8Array): void => {
    this.#newest = payload;
    this.#fresh = true;
    this.#waiter?.();
  };

  observe(): void {
    // transitions were streamed to the trainer as they happened
  }

  /** Wake a waiting next() for good (shutdown). */
  close(): void {
    this.#closed = true;
    this.#waiter?.();
  }

  async next(): Promise<Uint8Array | null> {
    if (this.#wait && !this.#fresh && !this.#closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#timeoutMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
    if (!this.#fresh) return null;
    this.#fresh = false;
    return this.#newest;
  }
}
