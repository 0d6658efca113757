/**
 * The online trainer behind `strider train`: transitions in over MQTT, models out. Nagabandi et
 * al. 2017, Alg. 1, run across processes: per robot, fits on the schedule of FitScheduler, one
 * ModelTrainer per robot id (a trainer can serve a fleet). Every complete episode and every model
 * version is stored on disk (EpisodeStore) before it counts or is published, so a restart loses
 * nothing and versions go on. The parts: EpisodeIntake (subscription, episodes, disk writes),
 * FitScheduler (datasets, fit queue), TrainerPublisher (models and status out).
 */

import type { BaseQuantity, LearningConfig, ModelConfig, PolicyConfig } from '../config/schema.js';
import type { Topics } from '../transport/topics.js';
import type { Transport } from '../transport/Transport.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { EpisodeIntake } from './EpisodeIntake.js';
import { EpisodeStore } from './EpisodeStore.js';
import { FitScheduler, type RobotDataCounts } from './FitScheduler.js';
import type { RefitScheduleOptions } from './RefitSchedule.js';
import type { ModelTrainerOptions } from './ModelTrainer.js';
import { PolicySchedule } from './PolicySchedule.js';
import type { RetentionLimits } from './StoreRetention.js';
import { TrainerPublisher, type PublishedModel } from './TrainerPublisher.js';
import type { Trainer } from './types.js';

export type { PublishedModel } from './TrainerPublisher.js';
export type { RobotDataCounts } from './FitScheduler.js';

/** Counts since start (the status message and the report carry them). */
export interface TrainerCounters {
  /** Transition payloads received on the subscription. */
  payloads: number;
  /** Payloads rejected: malformed, unknown version, wrong topic, or dimensions other than the robot's. */
  rejected: number;
  /** Transitions taken in (after de-duplication). */
  transitions: number;
  /** Transitions dropped as duplicates (inbox and assembler). */
  duplicates: number;
  /** Transitions never received (gaps the inbox skipped). */
  gaps: number;
  /** Episodes received, by the source of their actions (an episode counts once, at its first stored piece). */
  episodes_random: number;
  episodes_mpc: number;
  episodes_policy: number;
  episodes_mixed: number;
  /** Episodes cut by a continuity break, sequence gap or source change (each piece is kept). */
  splits: number;
  /** Incomplete fragments shorter than 2 transitions, dropped, and their transitions. */
  fragments_dropped: number;
  fragment_transitions_dropped: number;
  /** Episode or model files that could not be written. */
  store_errors: number;
  models_trained: number;
  /** Models acknowledged by the broker (PUBACK). */
  models_published: number;
  trainings_failed: number;
  /** Wall-clock seconds spent in training rounds. */
  training_seconds: number;
  /** What the store's retention deleted: D_rl episode pieces, their transitions and bytes, model folders. */
  retention_episodes_dropped: number;
  retention_transitions_dropped: number;
  retention_bytes_dropped: number;
  retention_models_dropped: number;
}

export interface TrainerServiceOptions {
  /** A started (connected or connecting) transport. The service does not close it. */
  readonly transport: Pick<Transport, 'subscribe' | 'publishAsync'>;
  readonly topics: Topics;
  /** Where episodes and models are kept (EpisodeStore layout). */
  readonly dataDir: string;
  /** What the store keeps (trainer.retention); default no limits. */
  readonly retention?: RetentionLimits;
  readonly model: ModelConfig;
  readonly learning: LearningConfig;
  /** DAgger distillation: fit and publish the policy after each dynamics fit (absent: no policy). */
  readonly policy?: PolicyConfig;
  /** state.base of the config (policy.frame heading: where the state's quaternion sits). */
  readonly stateBase?: readonly BaseQuantity[];
  /** Serve this robot only; default every robot under the prefix (`+`). */
  readonly robotId?: string;
  /** Join this shared-subscription group (`$share/<group>/<prefix>/+/transitions`); serves every robot. */
  readonly shareGroup?: string;
  /** Robot-id level of this trainer's status topic `<prefix>/<statusId>/status`. */
  readonly statusId: string;
  /** Seed of each robot's trainer (bootstrap, hold-out, D_rand subsets). */
  readonly seed: number;
  /** Status is re-published this often (ms). Default 10000. */
  readonly statusIntervalMs?: number;
  /**
   * After start, a stored model newer than what the broker holds (retained) is republished after
   * this delay (ms), so a broker restarted without persistence serves it again. Default 1000.
   */
  readonly republishDelayMs?: number;
  /**
   * An open episode whose stream has been silent this long (ms) is complete (the controller may
   * be waiting for a model before its next episode). 0 disables. Default 5000.
   */
  readonly episodeIdleMs?: number;
  /** Continuity tolerance of the episode assembler (see EpisodeAssembler). */
  readonly continuityTolerance?: number;
  /** Builds a robot's trainer; default ModelTrainer.create. */
  readonly createTrainer?: (options: ModelTrainerOptions) => Promise<Trainer>;
  /** run.mode continuous: the refit schedule (FitScheduler's `refit`); default Alg. 1's. */
  readonly refit?: RefitScheduleOptions;
  /** Called when the broker has acknowledged a published model. Must not throw. */
  readonly onModelPublished?: (model: PublishedModel) => void;
  readonly logger?: Logger;
}

/**
 * Lifecycle: construct, `start()` (loads the store, learns the versions on the broker,
 * subscribes, publishes the online status), then `close()`. Callbacks from MQTT never block: disk
 * writes and trainings run in two serial queues.
 */
export class TrainerService {
  /** Models acknowledged by the broker, in order. */
  readonly published: PublishedModel[];
  readonly #o: TrainerServiceOptions;
  readonly #log: Logger;
  readonly #store: EpisodeStore;
  readonly #fits: FitScheduler;
  readonly #intake: EpisodeIntake;
  readonly #publisher: TrainerPublisher;
  readonly #policy: PolicySchedule | null;
  #republishTimer: NodeJS.Timeout | undefined;
  #state: 'idle' | 'running' | 'closing' | 'closed' = 'idle';

  constructor(options: TrainerServiceOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'trainer' });
    this.#store = new EpisodeStore({
      dataDir: options.dataDir,
      ...(options.retention === undefined ? {} : { retention: options.retention }),
      logger: this.#log,
    });
    const running = (): boolean => this.#state === 'running';
    this.#publisher = new TrainerPublisher({
      transport: options.transport,
      topics: options.topics,
      statusId: options.statusId,
      running,
      figures: () => ({
        modelVersion: this.#fits.latestVersion(options.robotId),
        counters: { ...this.snapshotCounters(), robots: this.#fits.size },
      }),
      ...(options.onModelPublished === undefined
        ? {}
        : { onModelPublished: options.onModelPublished }),
      logger: this.#log,
    });
    this.published = this.#publisher.published;
    const policy =
      options.policy === undefined
        ? null
        : new PolicySchedule({
            transport: options.transport,
            topics: options.topics,
            config: options.policy,
            ...(options.stateBase !== undefined ? { stateBase: options.stateBase } : {}),
            logger: this.#log,
          });
    this.#policy = policy;
    this.#fits = new FitScheduler({
      store: this.#store,
      model: options.model,
      learning: options.learning,
      seed: options.seed,
      ...(options.createTrainer === undefined ? {} : { createTrainer: options.createTrainer }),
      ...(options.refit === undefined ? {} : { refit: options.refit }),
      running,
      onModelStored: (robotId, model, seconds) => {
        this.#publisher.publish(robotId, model, seconds, 'new');
        policy?.fitAfterModel(robotId);
      },
      logger: this.#log,
    });
    this.#intake = new EpisodeIntake({
      transport: options.transport,
      topics: options.topics,
      ...(options.robotId === undefined ? {} : { robotId: options.robotId }),
      ...(options.shareGroup === undefined ? {} : { shareGroup: options.shareGroup }),
      ...(options.continuityTolerance === undefined
        ? {}
        : { continuityTolerance: options.continuityTolerance }),
      store: this.#store,
      fits: this.#fits,
      ...(policy === null
        ? {}
        : {
            onBatch: (b) => {
              policy.addBatch(b);
            },
          }),
      logger: this.#log,
    });
  }

  /** The MQTT filter of the transition subscription. */
  get filter(): string {
    return this.#intake.filter;
  }

  /** The retained status topic of this trainer. */
  get statusTopic(): string {
    return this.#publisher.statusTopic;
  }

  /** The robots served so far and their datasets. */
  robots(): Map<string, RobotDataCounts> {
    return this.#fits.counts();
  }

  /**
   * Loads the stored data (and queues the trainings it makes due), republishes each robot's
   * newest stored model retained, learns the newest versions on the broker, subscribes to the
   * transitions and publishes the online status. Rejects IO (data folder) or BROKER_* (subscribe).
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    const stored = await this.#store.load();
    for (const s of stored) {
      const counted = this.#fits.restore(s);
      if (counted !== undefined) this.#intake.restore(counted, s.pending);
    }
    await this.#publisher.subscribeModels(this.#o.robotId ?? '+', (robotId, model) => {
      this.#fits.seen(robotId, model);
    });
    const latest = stored.flatMap((s) =>
      s.latest === undefined ? [] : [{ robotId: s.robotId, model: s.latest.model }],
    );
    if (latest.length > 0) {
      // retained models arrive just after the SUBACK; republish only what the broker lacks (a
      // broker restarted without persistence), never over a newer version from another trainer
      this.#republishTimer = setTimeout(() => {
        this.#republishTimer = undefined;
        for (const { robotId, model } of latest) {
          const r = this.#fits.get(robotId);
          if (this.#state === 'running' && (r?.seenVersion ?? 0) < model.version) {
            this.#publisher.publish(robotId, model, 0, 'republish');
          }
        }
      }, this.#o.republishDelayMs ?? 1000);
    }
    await this.#intake.start(this.#o.episodeIdleMs ?? 5000);
    this.#log.info(
      { filter: this.#intake.filter, dataDir: this.#o.dataDir, robots: stored.length },
      'trainer subscribed',
    );
    this.#publisher.startStatus(this.#o.statusIntervalMs ?? 10_000);
    this.#fits.scheduleAll();
  }

  /**
   * Resolves when nothing is being written, trained or published (and nothing is due). For tests
   * and for a clean shutdown.
   */
  async idle(): Promise<void> {
    for (;;) {
      const w = this.#intake.writes;
      const t = this.#fits.trainings;
      await w;
      await t;
      await this.#policy?.fits;
      await this.#publisher.settled();
      if (w === this.#intake.writes && t === this.#fits.trainings && this.#publisher.pending === 0)
        return;
    }
  }

  /**
   * Stops taking transitions, stops a running training between batches (it stores nothing; queued
   * ones, and queued policy fits, are skipped; a running policy fit stops between batches), lets the episode writes finish, saves the open episodes as pending, waits up to `graceMs` (default 5000) for model acknowledgements,
   * publishes the offline status, and frees the trainers and the status timer. Idempotent.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'closing';
    clearTimeout(this.#republishTimer);
    this.#republishTimer = undefined;
    await this.#intake.stop();
    await this.#publisher.stop();
    this.#fits.abortFit();
    this.#policy?.stop();
    await this.#fits.trainings;
    await this.#intake.writes;
    if (wasRunning) await this.#intake.savePending();
    const grace = new Promise<void>((resolve) => {
      setTimeout(resolve, options.graceMs ?? 5000).unref();
    });
    await Promise.race([this.#publisher.settled(), grace]);
    if (wasRunning) await this.#publisher.publishOffline(grace);
    await this.#fits.closeTrainers();
    await this.#policy?.close();
    this.#state = 'closed';
    this.#log.info({ counters: this.snapshotCounters() }, 'trainer closed');
  }

  /** The counters of the intake, the fit schedule and the publisher, together. */
  snapshotCounters(): TrainerCounters {
    const s = this.#intake.streamCounters();
    const i = this.#intake.counters;
    const f = this.#fits.counters;
    return {
      payloads: s.payloads,
      rejected: s.rejected,
      transitions: s.transitions,
      duplicates: s.duplicates,
      gaps: s.gaps,
      episodes_random: i.episodes_random,
      episodes_mpc: i.episodes_mpc,
      episodes_policy: i.episodes_policy,
      episodes_mixed: i.episodes_mixed,
      splits: s.splits,
      fragments_dropped: s.fragments_dropped,
      fragment_transitions_dropped: s.fragment_transitions_dropped,
      store_errors: i.store_errors,
      models_trained: f.models_trained,
      models_published: this.#publisher.published.length,
      trainings_failed: f.trainings_failed,
      training_seconds: f.training_seconds,
      ...this.#store.retention,
    };
  }
}
