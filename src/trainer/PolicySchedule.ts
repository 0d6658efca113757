/**
 * The trainer process's side of DAgger distillation: every labelled transition it receives joins
 * its robot's PolicyTrainer (the aggregated set), with the task's command when the robot's stream
 * carries one (the policy then takes state ++ command and its manifest records that input layout;
 * the first batch decides, and a later batch of the other layout is dropped and logged as an
 * error with the robot id), and after each dynamics fit the policy is refitted
 * on all of it and published retained on `<prefix>/<robot_id>/policy` as a policy artifact (the
 * controller's PolicyGate checks it). Fits run in one serial queue, never on an MQTT callback.
 */

import type { BaseQuantity, PolicyConfig } from '../config/schema.js';
import { headingFrameFromBase } from '../dynamics/policy/headingFrame.js';
import { POLICY_COMMAND } from '../dynamics/policy/PolicyNetwork.js';
import { encodePolicyArtifact } from '../transport/PolicyArtifactCodec.js';
import { COMMAND_DIM } from '../transport/TransitionBatchCodec.js';
import type { Topics } from '../transport/topics.js';
import type { Transport } from '../transport/Transport.js';
import type { TransitionBatch } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import { PolicyTrainer } from './PolicyTrainer.js';

export interface PolicyScheduleOptions {
  readonly transport: Pick<Transport, 'publishAsync'>;
  readonly topics: Topics;
  readonly config: PolicyConfig;
  /**
   * state.base of the trainer's config: where a robot's quaternion and velocity sit at the end of
   * its state, for policy.frame heading (absent: the policy takes the state as it is).
   */
  readonly stateBase?: readonly BaseQuantity[];
  readonly logger: Logger;
}

/** Labels buffered per robot until its first fit fixes the action bounds. */
interface RobotPolicy {
  readonly stateDim: number;
  readonly actionDim: number;
  /** C: 3 when the robot's stream carries the task's command, else 0 (set by its first batch). */
  readonly commandDim: number;
  /** A batch of the other command layout was logged (once per robot). */
  mismatchLogged: boolean;
  /** Running bounds of the expert's actions (the trainer does not load the robot model). */
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly pending: TransitionBatch[];
  trainer: PolicyTrainer | null;
  round: number;
}

export class PolicySchedule {
  /** `commandMismatch`: batches dropped because their command layout differs from the robot's. */
  readonly counters = { labels: 0, fits: 0, published: 0, failed: 0, commandMismatch: 0 };
  readonly #o: PolicyScheduleOptions;
  readonly #robots = new Map<string, RobotPolicy>();
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Aborted by stop(): a running policy fit ends between batches. */
  readonly #abort = new AbortController();

  constructor(options: PolicyScheduleOptions) {
    this.#o = options;
  }

  /** The fits queued so far (resolves when they are done). */
  get fits(): Promise<void> {
    return this.#queue;
  }

  /**
   * A checked transition batch (its rows with an expert label join the robot's set, with their
   * commands when the batch carries them).
   */
  addBatch(b: TransitionBatch): void {
    const C = b.commands === undefined ? 0 : COMMAND_DIM;
    let r = this.#robots.get(b.robotId);
    if (r === undefined) {
      r = {
        stateDim: b.stateDim,
        actionDim: b.actionDim,
        commandDim: C,
        mismatchLogged: false,
        low: new Float32Array(b.actionDim).fill(Infinity),
        high: new Float32Array(b.actionDim).fill(-Infinity),
        pending: [],
        trainer: null,
        round: 0,
      };
      this.#robots.set(b.robotId, r);
    }
    if (r.stateDim !== b.stateDim || r.actionDim !== b.actionDim) return;
    if (r.commandDim !== C) {
      this.counters.commandMismatch++;
      if (!r.mismatchLogged) {
        r.mismatchLogged = true;
        this.#o.logger.error(
          { robotId: b.robotId, commandDim: C, expected: r.commandDim },
          `transition batch of robot ${b.robotId} ${C > 0 ? 'carries' : 'lacks'} the task's command, its earlier batches ${r.commandDim > 0 ? 'carry' : 'lack'} it: dropped from the policy's labels (a robot's stream has the command in every batch or in none)`,
        );
      }
      return;
    }
    const A = b.actionDim;
    let labelled = false;
    for (let i = 0; i < b.count; i++) {
      if (Number.isNaN(b.expertActions[i * A]!)) continue;
      labelled = true;
      for (let k = 0; k < A; k++) {
        const u = b.expertActions[i * A + k]!;
        if (u < r.low[k]!) r.low[k] = u;
        if (u > r.high[k]!) r.high[k] = u;
      }
    }
    if (!labelled) return;
    if (r.trainer !== null) this.counters.labels += r.trainer.addBatch(b);
    else r.pending.push(copyBatch(b));
  }

  /** After a dynamics fit of `robotId`: refit its policy and publish it (queued; never rejects). */
  fitAfterModel(robotId: string): void {
    const r = this.#robots.get(robotId);
    if (r === undefined) return;
    this.#queue = this.#queue.then(() => this.#fit(robotId, r));
  }

  /** Shutdown: no queued fit starts from now, and a running one stops between batches. */
  stop(): void {
    this.#stopped = true;
    this.#abort.abort(new Error('trainer stopping'));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#queue;
    for (const r of this.#robots.values()) await r.trainer?.close();
  }

  /**
   * A PolicyTrainer whose action bounds are those of the labels seen, widened by 5% of their span
   * (the trainer process does not load the robot model); when later labels reach beyond them, a
   * new one takes every label of the old (its fit starts afresh: the output range changed).
   */
  async #rebuild(r: RobotPolicy): Promise<void> {
    const c = this.#o.config;
    const low = new Float32Array(r.actionDim);
    const high = new Float32Array(r.actionDim);
    for (let k = 0; k < r.actionDim; k++) {
      const span = Math.max(r.high[k]! - r.low[k]!, 1e-3);
      low[k] = r.low[k]! - 0.05 * span;
      high[k] = r.high[k]! + 0.05 * span;
    }
    const next = new PolicyTrainer({
      stateDim: r.stateDim,
      commandDim: r.commandDim,
      actionLow: low,
      actionHigh: high,
      hiddenSizes: c.hidden,
      headingFrame:
        c.frame === 'heading' && this.#o.stateBase !== undefined
          ? headingFrameFromBase(r.stateDim, this.#o.stateBase)
          : null,
      fit: {
        epochs: c.epochs,
        inputNoise: c.input_noise,
        temporalSmoothness: c.temporal_smoothness,
        batchSize: c.batch_size,
        learningRate: c.learning_rate,
        seed: c.seed,
      },
      maxLabels: c.max_labels,
      members: c.ensemble,
      versionsBefore: r.trainer?.version ?? 0,
    });
    const old = r.trainer;
    if (old !== null) {
      const kept = old.recent(old.size);
      const S = r.stateDim;
      const I = S + r.commandDim;
      const A = r.actionDim;
      for (let i = 0; i < kept.count; i++) {
        const st = kept.states.subarray(i * I, i * I + S);
        const command = kept.states.subarray(i * I + S, i * I + I);
        const nextState = kept.next?.subarray(i * I, i * I + S);
        next.add(st, kept.labels.subarray(i * A, i * A + A), 'expert', { command, nextState });
      }
      await old.close();
    }
    for (const b of r.pending) this.counters.labels += next.addBatch(b);
    r.pending.length = 0;
    r.trainer = next;
  }

  async #fit(robotId: string, r: RobotPolicy): Promise<void> {
    try {
      if (this.#stopped || (r.trainer === null && r.pending.length === 0)) return;
      if (r.trainer === null || outgrown(r)) await this.#rebuild(r);
      const trainer = r.trainer!;
      r.round++;
      const snap = await trainer.train(r.round, this.#abort.signal);
      if (snap === null || this.#abort.signal.aborted) return;
      this.counters.fits++;
      const topic = this.#o.topics.topic(robotId, 'policy');
      await this.#o.transport.publishAsync(topic, encodePolicyArtifact(snap), {
        qos: 1,
        retain: true,
      });
      this.counters.published++;
      this.#o.logger.info(
        {
          robotId,
          version: snap.version,
          labels: snap.labelled,
          imitationLoss: snap.imitationLoss,
          // as the manifest's architecture.input_layout
          inputLayout: {
            state_dim: r.stateDim,
            command: r.commandDim > 0 ? [...POLICY_COMMAND] : [],
          },
        },
        'policy published',
      );
    } catch (err) {
      if (this.#abort.signal.aborted) {
        this.#o.logger.info({ robotId }, 'policy fit stopped: the trainer is shutting down');
        return;
      }
      this.counters.failed++;
      this.#o.logger.error({ err, robotId }, 'policy fit or publish failed');
    }
  }
}

/** The labels seen reach beyond the trainer's action bounds. */
function outgrown(r: RobotPolicy): boolean {
  const t = r.trainer;
  if (t === null) return false;
  for (let k = 0; k < r.actionDim; k++)
    if (r.low[k]! < t.actionLow[k]! || r.high[k]! > t.actionHigh[k]!) return true;
  return false;
}

/** An owned copy (the inbox's batches may be views into reused buffers). */
function copyBatch(b: TransitionBatch): TransitionBatch {
  return {
    ...b,
    states: b.states.slice(),
    actions: b.actions.slice(),
    expertActions: b.expertActions.slice(),
    ...(b.commands === undefined ? {} : { commands: b.commands.slice() }),
    nextStates: b.nextStates.slice(),
    rewards: b.rewards.slice(),
    dones: b.dones.slice(),
  };
}
