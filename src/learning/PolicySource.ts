import type { Transition } from '../control/types.js';
import type { PolicyTrainer } from '../trainer/PolicyTrainer.js';
import { encodePolicyArtifact } from '../transport/PolicyArtifactCodec.js';

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
}

/** Fits the policy in this process, between episodes (no MQTT). */
export class InProcessPolicySource implements PolicySource {
  readonly #trainer: PolicyTrainer;

  constructor(trainer: PolicyTrainer) {
    this.#trainer = trainer;
  }

  observe(t: Transition): void {
    const expert = t.expertAction;
    if (expert === null || expert === undefined) return;
    const by = t.source === 'policy' || t.source === 'mixed' ? 'policy' : 'expert';
    this.#trainer.add(t.state, expert, by);
  }

  async next(round: number): Promise<Uint8Array | null> {
    const snap = await this.#trainer.train(round);
    return snap === null ? null : encodePolicyArtifact(snap);
  }
}
