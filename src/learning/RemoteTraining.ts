import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StriderConfig } from '../config/schema.js';
import { resolveRunMode } from '../config/runMode.js';
import type { Transition } from '../control/types.js';
import type { PolicyCommand } from '../planning/PolicySeeds.js';
import { EmbeddedBroker } from '../transport/EmbeddedBroker.js';
import { ModelChannel, type ModelChannelCounters } from '../transport/ModelChannel.js';
import { Topics } from '../transport/topics.js';
import { Transport } from '../transport/Transport.js';
import { encodeStatus } from '../transport/StatusCodec.js';
import { COMMAND_DIM } from '../transport/TransitionBatchCodec.js';
import { TransitionOutbox, type OutboxCounters } from '../transport/TransitionOutbox.js';
import { transportOptionsFromConfig } from '../transport/transportFromConfig.js';
import type { Logger } from '../util/logger.js';
import { RemoteModelSource } from './ModelSource.js';
import { trainerCpus } from './trainerCpus.js';
import { TrainerSupervisor, type TrainerState } from './TrainerSupervisor.js';

const BIN = fileURLToPath(new URL('../../bin/strider.js', import.meta.url));

export interface RemoteTrainingOptions {
  readonly config: StriderConfig;
  /** The config file and --set list, passed on to the child trainer. */
  readonly configPath: string;
  readonly overrides: readonly string[];
  readonly outDir: string;
  readonly stateDim: number;
  readonly actionDim: number;
  /**
   * The task's live command (the cmd_vel reward's target), or null/absent when the task has none:
   * every streamed transition then carries the command it was recorded with, so the trainer
   * fits policies that take it (docs/learning.md, DAgger).
   */
  readonly command?: PolicyCommand | null;
  /** Each change of the child trainer's state (trainer.mode child). Must not throw. */
  readonly onTrainerState?: (state: TrainerState) => void;
  /** Where model payloads are decoded (the controller's tick gaps); default at once. */
  readonly defer?: (work: () => void) => void;
  readonly logger: Logger;
}

/** Transport figures for the report. */
export interface RemoteTrainingReport {
  broker: string;
  trainer: 'child' | 'external';
  outbox: Record<string, number>;
  models: Record<string, number>;
  /** The child trainer's newest exit (code or signal), its restarts and its state at the end. */
  trainer_exit: number | string | null;
  trainer_restarts: number;
  trainer_state: TrainerState | null;
}

/**
 * The controller's side of training over MQTT: the broker (embedded aedes on loopback, or the
 * configured URL), a transition outbox that never blocks the tick (bounded queue, disk spool while
 * the broker is away), the model channel feeding validated versions to a RemoteModelSource, and in
 * `trainer.mode: child` the `strider train` child process at lower priority.
 */
export class RemoteTraining {
  readonly models: RemoteModelSource;
  readonly #o: RemoteTrainingOptions;
  readonly #broker: EmbeddedBroker | null;
  readonly #transport: Transport;
  readonly #outbox: TransitionOutbox;
  readonly #channel: ModelChannel;
  #trainer: TrainerSupervisor | null = null;
  readonly #url: string;
  readonly #statusTopic: string;
  /** vx, vy, yaw rate of the transition being pushed (copied by the outbox). */
  readonly #commandRow = new Float32Array(COMMAND_DIM);

  private constructor(
    o: RemoteTrainingOptions,
    parts: {
      broker: EmbeddedBroker | null;
      url: string;
      transport: Transport;
      outbox: TransitionOutbox;
      channel: ModelChannel;
      models: RemoteModelSource;
      statusTopic: string;
    },
  ) {
    this.#o = o;
    this.#broker = parts.broker;
    this.#url = parts.url;
    this.#transport = parts.transport;
    this.#outbox = parts.outbox;
    this.#channel = parts.channel;
    this.models = parts.models;
    this.#statusTopic = parts.statusTopic;
  }

  static async start(o: RemoteTrainingOptions): Promise<RemoteTraining> {
    const { config, logger } = o;
    const t = config.transport;
    const embedded = t.broker === 'embedded';
    const broker = embedded ? await EmbeddedBroker.start({ logger }) : null;
    const url = broker?.url ?? t.broker;
    const topics = new Topics(t.prefix);
    const statusTopic = topics.topic(t.robot_id, 'status');
    const status = (state: 'online' | 'offline', counters: Record<string, number> = {}): Buffer =>
      encodeStatus({
        robotId: t.robot_id,
        role: 'controller',
        state,
        timeMs: Date.now(),
        modelVersion: null,
        counters,
      });
    const transport = new Transport({
      ...transportOptionsFromConfig(t, {
        url,
        clientId: `strider-controller-${t.robot_id}`,
        protocolVersion: broker !== null ? broker.protocolVersion : 5,
        logger,
      }),
      // the broker announces us offline if we vanish (crash, network loss)
      will: { topic: statusTopic, payload: status('offline'), qos: 1, retain: true },
    });
    transport.start();
    try {
      await transport.waitConnected({ timeoutMs: 10_000 });
    } catch (err) {
      if (embedded) throw err;
      // an external broker that is away: transitions spool to disk until it is back
      logger.warn({ err, url }, 'broker not reachable yet; transitions spool to disk until it is');
    }
    transport.publish(statusTopic, status('online'), { qos: 1, retain: true });
    const outbox = new TransitionOutbox({
      transport,
      topic: topics.topic(t.robot_id, 'transitions'),
      robotId: t.robot_id,
      stateDim: o.stateDim,
      actionDim: o.actionDim,
      commandDim: o.command == null ? 0 : COMMAND_DIM,
      spoolDir: join(o.outDir, 'spool'),
      spoolLimitBytes: Math.round(t.spool_limit_mb * 1024 * 1024),
      logger,
    });
    outbox.start();
    const models = new RemoteModelSource({
      // Alg. 1 in lockstep waits for each refit; run.mode continuous never waits
      wait:
        config.robot.mujoco.pacing === 'lockstep' &&
        resolveRunMode(config.run, config.robot.link === 'mujoco') === 'episodes',
      timeoutMs: config.trainer.model_timeout_s * 1000,
      logger,
    });
    const channel = new ModelChannel({
      transport,
      topics,
      logger,
      ...(o.defer !== undefined ? { defer: o.defer } : {}),
    });
    await channel.subscribe(t.robot_id, (ev) => {
      if (ev.type === 'accepted') models.offer(ev.model);
      else
        logger.warn(
          { code: ev.code, reason: ev.reason },
          'model payload rejected; the serving model stays',
        );
    });
    const remote = new RemoteTraining(o, {
      broker,
      url,
      transport,
      outbox,
      channel,
      models,
      statusTopic,
    });
    if (config.trainer.mode === 'child') {
      // Transitions sent before the trainer subscribes would be lost (a broker keeps QoS 1
      // messages only for sessions that exist): wait for its ready line before any episode.
      try {
        await remote.#spawnTrainer();
      } catch (err) {
        await remote.close();
        throw err;
      }
    }
    logger.info({ url, embedded, trainer: config.trainer.mode }, 'training over MQTT');
    return remote;
  }

  /**
   * Stream one recorded transition to the trainer, with the task's live command when it has one
   * (O(1), no allocation, never blocks; called from the runner).
   */
  push(t: Transition, reward: number, episode: number, done: boolean): void {
    const c = this.#o.command;
    if (c != null) {
      this.#commandRow[0] = c.linearX;
      this.#commandRow[1] = c.linearY;
      this.#commandRow[2] = c.angularZ;
    }
    this.#outbox.push({
      state: t.state,
      action: t.action,
      expertAction: t.expertAction ?? null,
      command: this.#commandRow,
      nextState: t.nextState,
      reward,
      done,
      episode,
      source: t.source,
    });
  }

  /** Encode what the outbox holds and send it now (a managed node's cleanup / shutdown); never blocks. */
  flush(): void {
    this.#outbox.flush();
  }

  /**
   * Hands every payload on this robot's policy topic (retained: the newest at once) to `onPayload`
   * (unchecked: the caller's PolicyGate checks it). Resolves once subscribed.
   */
  async subscribePolicy(onPayload: (payload: Uint8Array) => void): Promise<void> {
    const t = this.#o.config.transport;
    const topic = new Topics(t.prefix).topic(t.robot_id, 'policy');
    await this.#transport.subscribe(topic, 1, (_topic, payload) => {
      onPayload(payload);
    });
  }

  /** Take the embedded broker away (listener and connections) / bring it back: outage tests and benches. */
  async pauseBroker(): Promise<void> {
    await this.#broker?.pause();
  }

  async resumeBroker(): Promise<void> {
    await this.#broker?.resume();
  }

  /** The broker's URL (the embedded broker's loopback address, or the configured one). */
  get brokerUrl(): string {
    return this.#url;
  }

  /** The child trainer's process id, or null (external trainer, or it exited). */
  get trainerPid(): number | null {
    return this.#trainer?.pid ?? null;
  }

  /** The child trainer's supervisor (trainer.mode child), or null. */
  get trainer(): TrainerSupervisor | null {
    return this.#trainer;
  }

  /** The transition outbox's counters (queued, spooled, dropped...), live. */
  get outboxCounters(): Readonly<OutboxCounters> {
    return this.#outbox.counters;
  }

  /** The model channel's counters (accepted, rejected...), live. */
  get modelCounters(): Readonly<ModelChannelCounters> {
    return this.#channel.counters;
  }

  report(): RemoteTrainingReport {
    return {
      broker: this.#broker !== null ? `embedded ${this.#url}` : this.#url,
      trainer: this.#o.config.trainer.mode === 'child' ? 'child' : 'external',
      outbox: { ...this.#outbox.counters },
      models: { ...this.#channel.counters },
      trainer_exit: this.#trainer?.lastExit ?? null,
      trainer_restarts: this.#trainer?.restarts ?? 0,
      trainer_state: this.#trainer?.state ?? null,
    };
  }

  /** Flush and close the outbox, stop the child trainer, close the connection and the broker. */
  async close(): Promise<void> {
    this.models.close();
    await this.#outbox.close({ graceMs: 3000 });
    await this.#trainer?.stop();
    if (this.#transport.connected) {
      const t = this.#o.config.transport;
      const payload = encodeStatus({
        robotId: t.robot_id,
        role: 'controller',
        state: 'offline',
        timeMs: Date.now(),
        modelVersion: null,
        counters: { ...this.#outbox.counters },
      });
      await this.#transport
        .publishAsync(this.#statusTopic, payload, { qos: 1, retain: true })
        .catch((err: unknown) => {
          this.#o.logger.warn({ err }, 'could not publish the offline status');
        });
    }
    await this.#transport.close();
    await this.#broker?.close();
  }

  /**
   * Start `strider train` under a supervisor (restarts with backoff, trainer.restart_attempts)
   * and resolve once it has subscribed (its "strider train: " line). While it is away, the model
   * source does not wait for models.
   */
  async #spawnTrainer(): Promise<void> {
    const o = this.#o;
    const dir = join(o.outDir, 'trainer');
    mkdirSync(dir, { recursive: true });
    const args = [
      BIN,
      'train',
      '--config',
      o.configPath,
      ...o.overrides.flatMap((s) => ['--set', s]),
      '--set',
      `transport.broker=${this.#url}`,
      '--out',
      dir,
    ];
    const tc = o.config.trainer;
    const cpus = trainerCpus(tc.cpus, o.logger);
    if (cpus !== null) o.logger.info({ cpus }, 'trainer pinned to CPUs (trainer.cpus)');
    this.#trainer = new TrainerSupervisor({
      args,
      ...(cpus !== null ? { cpus } : {}),
      // aedes speaks MQTT 3.1.1 only; for an external broker the trainer detects the version
      env: { ...process.env, ...(this.#broker !== null ? { STRIDER_MQTT_PROTOCOL: '4' } : {}) },
      consoleLog: join(dir, 'console.log'),
      restartAttempts: tc.restart_attempts,
      restartBackoffMs: tc.restart_backoff_s * 1000,
      onState: (state) => {
        this.models.trainerAway(state !== 'ready');
        o.onTrainerState?.(state);
      },
      logger: o.logger,
    });
    await this.#trainer.start();
  }
}
