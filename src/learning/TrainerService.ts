/**
 * The online trainer behind `strider train`: transitions in over MQTT, models out. Nagabandi et
 * al. 2017, Alg. 1, run across processes: per robot, the first model once D_rand holds
 * `learning.random_episodes` episodes, then a refit after every `learning.episodes_per_iteration`
 * new episodes of either dataset since the last fit. Random episodes count too: when the
 * controller's hot-swap gate rejects a model it keeps acting randomly, and unless those episodes
 * lead to a refit, controller and trainer wait on each other. One ModelTrainer per robot id (a
 * trainer can serve a fleet); trainings run one at a time, in a queue. Every complete episode and
 * every model version is stored on disk (EpisodeStore) before it counts or is published, so a
 * restart loses nothing and versions go on.
 */

import type { LearningConfig, ModelConfig } from '../config/schema.js';
import type { ActionSource } from '../control/types.js';
import { ModelChannel, type ModelEvent } from '../transport/ModelChannel.js';
import { encodeStatus } from '../transport/StatusCodec.js';
import { TransitionInbox } from '../transport/TransitionInbox.js';
import type { Topics } from '../transport/topics.js';
import type { Transport } from '../transport/Transport.js';
import type { TransitionBatch } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { EpisodeAssembler, type Episode, type EpisodeEnding } from './EpisodeAssembler.js';
import { EpisodeStore, type StoredRobot } from './EpisodeStore.js';
import { ModelTrainer, type ModelTrainerOptions } from './ModelTrainer.js';
import type { DataSource, ModelVersion, Trainer } from './types.js';

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
}

/** One published model, for the report. */
export interface PublishedModel {
  readonly robot_id: string;
  readonly version: number;
  readonly published_at: string;
  /** Wall-clock seconds of the round (fit, validation, storing). */
  readonly round_seconds: number;
  readonly metrics: ModelVersion['metrics'];
}

/** One robot's dataset as the trainer holds it. */
export interface RobotDataCounts {
  readonly stateDim: number;
  readonly actionDim: number;
  /** Distinct episodes per dataset. */
  readonly randEpisodes: number;
  readonly rlEpisodes: number;
  readonly randTransitions: number;
  readonly rlTransitions: number;
  /** Newest stored (or published) version; 0 when none. */
  readonly lastVersion: number;
}

export interface TrainerServiceOptions {
  /** A started (connected or connecting) transport. The service does not close it. */
  readonly transport: Pick<Transport, 'subscribe' | 'publishAsync'>;
  readonly topics: Topics;
  /** Where episodes and models are kept (EpisodeStore layout). */
  readonly dataDir: string;
  readonly model: ModelConfig;
  readonly learning: LearningConfig;
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
  /** Called when the broker has acknowledged a published model. Must not throw. */
  readonly onModelPublished?: (model: PublishedModel) => void;
  readonly logger?: Logger;
}

interface Robot {
  readonly robotId: string;
  readonly stateDim: number;
  readonly actionDim: number;
  /** run/episode keys per dataset (an episode counts once however many pieces it has). */
  readonly keys: Map<string, DataSource>;
  randEpisodes: number;
  rlEpisodes: number;
  randTransitions: number;
  rlTransitions: number;
  /** Pieces not yet handed to the trainer (they are, just before each fit). */
  readonly feed: Episode[];
  trainer: Trainer | undefined;
  /** Version numbers: the newest stored, and the newest seen on the broker. */
  lastVersion: number;
  seenVersion: number;
  /** Episodes the newest model's fit used (the schedule counts from them). */
  trainedRand: number;
  trainedRl: number;
  hasModel: boolean;
  queued: boolean;
}

/** The dataset an action source feeds (Alg. 1: random actions are D_rand, the rest D_rl). */
export function datasetOf(source: ActionSource): DataSource {
  switch (source) {
    case 'random':
      return 'rand';
    case 'mpc':
    case 'policy':
    case 'mixed':
      return 'rl';
  }
}

/**
 * Lifecycle: construct, `start()` (loads the store, learns the versions on the broker,
 * subscribes, publishes the online status), then `close()`. Callbacks from MQTT never block: disk
 * writes and trainings run in two serial queues.
 */
export class TrainerService {
  readonly counters: TrainerCounters = {
    payloads: 0,
    rejected: 0,
    transitions: 0,
    duplicates: 0,
    gaps: 0,
    episodes_random: 0,
    episodes_mpc: 0,
    episodes_policy: 0,
    episodes_mixed: 0,
    splits: 0,
    fragments_dropped: 0,
    fragment_transitions_dropped: 0,
    store_errors: 0,
    models_trained: 0,
    models_published: 0,
    trainings_failed: 0,
    training_seconds: 0,
  };
  /** Models acknowledged by the broker, in order. */
  readonly published: PublishedModel[] = [];
  readonly #o: TrainerServiceOptions;
  readonly #log: Logger;
  readonly #store: EpisodeStore;
  readonly #assembler: EpisodeAssembler;
  readonly #inbox: TransitionInbox;
  readonly #models: ModelChannel;
  readonly #robots = new Map<string, Robot>();
  readonly #publishing = new Set<Promise<void>>();
  #writes: Promise<void> = Promise.resolve();
  #trainings: Promise<void> = Promise.resolve();
  #statusTimer: NodeJS.Timeout | undefined;
  #republishTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #state: 'idle' | 'running' | 'closing' | 'closed' = 'idle';
  #rejectedDims = 0;
  #taken = 0;

  constructor(options: TrainerServiceOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'trainer' });
    this.#store = new EpisodeStore({ dataDir: options.dataDir, logger: this.#log });
    this.#assembler = new EpisodeAssembler({
      onEpisode: (e, ending) => {
        this.#onEpisode(e, ending);
      },
      ...(options.continuityTolerance === undefined
        ? {}
        : { tolerance: options.continuityTolerance }),
    });
    this.#inbox = new TransitionInbox({
      transport: options.transport,
      topics: options.topics,
      onBatch: (b) => {
        this.#onBatch(b);
      },
      ...(options.robotId === undefined ? {} : { robotId: options.robotId }),
      ...(options.shareGroup === undefined ? {} : { shareGroup: options.shareGroup }),
      logger: this.#log,
    });
    this.#models = new ModelChannel({
      transport: options.transport,
      topics: options.topics,
      logger: this.#log,
    });
  }

  /** The MQTT filter of the transition subscription. */
  get filter(): string {
    return this.#inbox.filter;
  }

  /** The retained status topic of this trainer. */
  get statusTopic(): string {
    return this.#o.topics.topic(this.#o.statusId, 'status');
  }

  /** The robots served so far and their datasets. */
  robots(): Map<string, RobotDataCounts> {
    const out = new Map<string, RobotDataCounts>();
    for (const r of this.#robots.values()) {
      out.set(r.robotId, {
        stateDim: r.stateDim,
        actionDim: r.actionDim,
        randEpisodes: r.randEpisodes,
        rlEpisodes: r.rlEpisodes,
        randTransitions: r.randTransitions,
        rlTransitions: r.rlTransitions,
        lastVersion: Math.max(r.lastVersion, r.seenVersion),
      });
    }
    return out;
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
    for (const s of stored) this.#restore(s);
    const modelFilter = this.#o.robotId ?? '+';
    await this.#models.subscribe(modelFilter, (ev) => {
      this.#onModelSeen(ev);
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
          const r = this.#robots.get(robotId);
          if (this.#state === 'running' && (r?.seenVersion ?? 0) < model.version) {
            this.#publish(robotId, model, 0, 'republish');
          }
        }
      }, this.#o.republishDelayMs ?? 1000);
    }
    await this.#inbox.start();
    this.#log.info(
      { filter: this.#inbox.filter, dataDir: this.#o.dataDir, robots: stored.length },
      'trainer subscribed',
    );
    this.#publishStatus('online');
    const every = this.#o.statusIntervalMs ?? 10_000;
    this.#statusTimer = setInterval(() => {
      this.#publishStatus('online');
    }, every);
    this.#statusTimer.unref();
    const idleMs = this.#o.episodeIdleMs ?? 5000;
    if (idleMs > 0) {
      this.#idleTimer = setInterval(
        () => {
          const n = this.#assembler.closeIdle(idleMs);
          if (n > 0)
            this.#log.info({ episodes: n, idleMs }, 'open episodes completed after silence');
        },
        Math.max(50, Math.min(1000, idleMs / 4)),
      );
      this.#idleTimer.unref();
    }
    for (const r of this.#robots.values()) this.#schedule(r);
  }

  /**
   * Resolves when nothing is being written, trained or published (and nothing is due). For tests
   * and for a clean shutdown.
   */
  async idle(): Promise<void> {
    for (;;) {
      const w = this.#writes;
      const t = this.#trainings;
      await w;
      await t;
      await Promise.allSettled([...this.#publishing]);
      if (w === this.#writes && t === this.#trainings && this.#publishing.size === 0) return;
    }
  }

  /**
   * Stops taking transitions, lets a running training finish (queued ones are skipped), saves the
   * open episodes as pending, waits up to `graceMs` (default 5000) for model acknowledgements,
   * publishes the offline status, and frees the trainers and the status timer. Idempotent.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'closing';
    clearInterval(this.#statusTimer);
    this.#statusTimer = undefined;
    clearTimeout(this.#republishTimer);
    this.#republishTimer = undefined;
    clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    await this.#inbox.close();
    await this.#models.close();
    await this.#trainings;
    await this.#writes;
    if (wasRunning) {
      try {
        await this.#store.savePending(this.#assembler.openPieces());
      } catch (err) {
        this.counters.store_errors++;
        this.#log.error({ err }, 'open episodes could not be saved; they are lost');
      }
    }
    const grace = new Promise<void>((resolve) => {
      setTimeout(resolve, options.graceMs ?? 5000).unref();
    });
    await Promise.race([Promise.allSettled([...this.#publishing]), grace]);
    if (wasRunning) {
      try {
        await Promise.race([
          this.#o.transport.publishAsync(this.statusTopic, this.#statusPayload('offline'), {
            qos: 1,
            retain: true,
          }),
          grace,
        ]);
      } catch (err) {
        this.#log.warn({ err: String(err) }, 'offline status not published');
      }
    }
    for (const r of this.#robots.values()) {
      const t = r.trainer;
      r.trainer = undefined;
      if (t !== undefined) await t.close();
    }
    this.#state = 'closed';
    this.#log.info({ counters: this.snapshotCounters() }, 'trainer closed');
  }

  /** The counters with the inbox's and assembler's folded in. */
  snapshotCounters(): TrainerCounters {
    const i = this.#inbox.counters;
    const a = this.#assembler.counters;
    return {
      ...this.counters,
      payloads: i.payloads,
      rejected: i.rejected + this.#rejectedDims,
      transitions: Math.max(0, this.#taken - a.duplicates),
      duplicates: i.duplicates + a.duplicates,
      gaps: i.gaps,
      splits: a.splits,
      fragments_dropped: a.fragmentsDropped,
      fragment_transitions_dropped: a.fragmentTransitionsDropped,
    };
  }

  #restore(s: StoredRobot): void {
    const first =
      s.episodes[0]?.transitions ?? s.pending[0] ?? s.latest?.model.snapshot.architecture;
    if (first === undefined) return;
    const r = this.#robot(s.robotId, first.stateDim, first.actionDim);
    if (r === undefined) return;
    for (const e of s.episodes) {
      if (e.transitions.stateDim !== r.stateDim || e.transitions.actionDim !== r.actionDim) {
        this.#log.warn(
          { robotId: s.robotId, episode: e.episode },
          'stored episode has other dimensions; skipped',
        );
        continue;
      }
      this.#count(r, e);
      const t = e.transitions;
      this.#assembler.seed(t.robotId, t.runId, t.firstSeq + t.count - 1);
    }
    r.lastVersion = s.lastVersion;
    if (s.latest !== undefined) {
      r.hasModel = true;
      r.trainedRand = s.latest.training?.rand_episodes ?? 0;
      r.trainedRl = s.latest.training?.rl_episodes ?? 0;
    }
    for (const b of s.pending) this.#assembler.push(b);
  }

  #robot(robotId: string, stateDim: number, actionDim: number): Robot | undefined {
    let r = this.#robots.get(robotId);
    if (r === undefined) {
      r = {
        robotId,
        stateDim,
        actionDim,
        keys: new Map(),
        randEpisodes: 0,
        rlEpisodes: 0,
        randTransitions: 0,
        rlTransitions: 0,
        feed: [],
        trainer: undefined,
        lastVersion: 0,
        seenVersion: 0,
        trainedRand: 0,
        trainedRl: 0,
        hasModel: false,
        queued: false,
      };
      this.#robots.set(robotId, r);
      return r;
    }
    return r.stateDim === stateDim && r.actionDim === actionDim ? r : undefined;
  }

  #onBatch(b: TransitionBatch): void {
    const r = this.#robots.get(b.robotId);
    if (r !== undefined && (r.stateDim !== b.stateDim || r.actionDim !== b.actionDim)) {
      this.#rejectedDims++;
      this.#log.warn(
        { robotId: b.robotId, S: b.stateDim, A: b.actionDim },
        `transition batch rejected: dims S ${b.stateDim}, A ${b.actionDim}; robot ${b.robotId} has S ${r.stateDim}, A ${r.actionDim}`,
      );
      return;
    }
    this.#taken += b.count;
    this.#assembler.push(b);
  }

  /** A complete episode (piece): stored first, then counted and handed on. */
  #onEpisode(e: Episode, ending: EpisodeEnding): void {
    const r = this.#robot(e.robotId, e.transitions.stateDim, e.transitions.actionDim);
    if (r === undefined) return; // dims checked per batch; cannot happen
    this.#log.debug(
      {
        robotId: e.robotId,
        runId: e.runId,
        episode: e.episode,
        part: e.part,
        steps: e.steps,
        ending,
      },
      'episode complete',
    );
    this.#writes = this.#writes.then(async () => {
      try {
        await this.#store.saveEpisode(e);
      } catch (err) {
        // kept in memory and trained on anyway; only a restart would lose it
        this.counters.store_errors++;
        this.#log.error({ err, robotId: e.robotId, episode: e.episode }, 'episode not stored');
      }
      const fresh = this.#count(r, e);
      if (fresh) this.counters[`episodes_${e.source}`]++;
      this.#schedule(r);
    });
  }

  /** Adds a piece to the robot's data; true when it is the first piece of its episode. */
  #count(r: Robot, e: Episode): boolean {
    const set = datasetOf(e.source);
    r.feed.push(e);
    if (set === 'rand') r.randTransitions += e.steps;
    else r.rlTransitions += e.steps;
    const key = `${e.runId}/${e.episode}`;
    if (r.keys.has(key)) return false;
    r.keys.set(key, set);
    if (set === 'rand') r.randEpisodes++;
    else r.rlEpisodes++;
    return true;
  }

  #due(r: Robot): boolean {
    if (!r.hasModel) return r.randEpisodes >= this.#o.learning.random_episodes;
    // rand episodes count too: after a rejected model the controller keeps acting randomly
    const fresh = r.randEpisodes - r.trainedRand + (r.rlEpisodes - r.trainedRl);
    return fresh >= this.#o.learning.episodes_per_iteration;
  }

  #schedule(r: Robot): void {
    if (this.#state !== 'running' || r.queued || !this.#due(r)) return;
    r.queued = true;
    this.#trainings = this.#trainings.then(() => this.#round(r));
  }

  /** One training round for one robot. Never rejects. */
  async #round(r: Robot): Promise<void> {
    r.queued = false;
    if (this.#state !== 'running' || !this.#due(r)) return;
    const t0 = performance.now();
    const used = { rand_episodes: r.randEpisodes, rl_episodes: r.rlEpisodes };
    let model: ModelVersion;
    try {
      const trainer = r.trainer ?? (await this.#createTrainer(r));
      r.trainer = trainer;
      for (const e of r.feed.splice(0)) trainer.addTrajectory(e.trajectory, datasetOf(e.source));
      const fitted = await trainer.train();
      model = { ...fitted, version: Math.max(r.lastVersion, r.seenVersion) + 1 };
      await this.#store.saveModel(r.robotId, model, used);
    } catch (err) {
      this.counters.trainings_failed++;
      this.#log.error(
        { err, robotId: r.robotId },
        'training round failed; retried when more data arrives',
      );
      // counted as used: without a model the next episode retries, with one the next
      // `episodes_per_iteration` episodes do
      r.trainedRand = used.rand_episodes;
      r.trainedRl = used.rl_episodes;
      return;
    } finally {
      this.counters.training_seconds += (performance.now() - t0) / 1000;
    }
    const seconds = (performance.now() - t0) / 1000;
    this.counters.models_trained++;
    r.lastVersion = model.version;
    r.hasModel = true;
    r.trainedRand = used.rand_episodes;
    r.trainedRl = used.rl_episodes;
    this.#log.info(
      { robotId: r.robotId, version: model.version, seconds, ...used, ...model.metrics },
      'model stored',
    );
    this.#publish(r.robotId, model, seconds, 'new');
    this.#schedule(r);
  }

  async #createTrainer(r: Robot): Promise<Trainer> {
    const options: ModelTrainerOptions = {
      stateDim: r.stateDim,
      actionDim: r.actionDim,
      model: this.#o.model,
      randFraction: this.#o.learning.rand_fraction,
      seed: this.#o.seed,
      logger: this.#log.child({ robotId: r.robotId }),
    };
    return this.#o.createTrainer === undefined
      ? ModelTrainer.create(options)
      : this.#o.createTrainer(options);
  }

  #publish(robotId: string, model: ModelVersion, seconds: number, kind: 'new' | 'republish'): void {
    const p = this.#models.publish(robotId, model).then(
      () => {
        if (kind === 'republish') return;
        this.counters.models_published++;
        const record: PublishedModel = {
          robot_id: robotId,
          version: model.version,
          published_at: new Date().toISOString(),
          round_seconds: seconds,
          metrics: model.metrics,
        };
        this.published.push(record);
        this.#publishStatus('online');
        try {
          this.#o.onModelPublished?.(record);
        } catch (err) {
          this.#log.error({ err }, 'onModelPublished threw');
        }
      },
      (err: unknown) => {
        // stored on disk: republished at the next start
        this.#log.warn(
          { robotId, version: model.version, err: String(err) },
          'model not acknowledged by the broker',
        );
      },
    );
    this.#publishing.add(p);
    void p.finally(() => this.#publishing.delete(p));
  }

  #onModelSeen(ev: ModelEvent): void {
    if (ev.type !== 'accepted') return;
    const r = this.#robots.get(ev.robotId);
    if (r !== undefined) {
      r.seenVersion = Math.max(r.seenVersion, ev.model.version);
      return;
    }
    // a robot we hold no data for yet: remember its version for when its data comes
    const a = ev.model.snapshot.architecture;
    const nr = this.#robot(ev.robotId, a.stateDim, a.actionDim);
    if (nr !== undefined) nr.seenVersion = ev.model.version;
  }

  #statusPayload(state: 'online' | 'offline'): Buffer {
    let latest: number | null = null;
    for (const r of this.#robots.values()) {
      const v = Math.max(r.lastVersion, r.seenVersion);
      if (v > 0 && (this.#o.robotId === undefined || r.robotId === this.#o.robotId))
        latest = Math.max(latest ?? 0, v);
    }
    const c = this.snapshotCounters();
    return encodeStatus({
      robotId: this.#o.statusId,
      role: 'trainer',
      state,
      timeMs: Date.now(),
      modelVersion: latest,
      counters: { ...c, robots: this.#robots.size },
    });
  }

  #publishStatus(state: 'online' | 'offline'): void {
    if (this.#state !== 'running') return;
    this.#o.transport
      .publishAsync(this.statusTopic, this.#statusPayload(state), { qos: 1, retain: true })
      .catch((err: unknown) => {
        this.#log.debug({ err: String(err) }, 'status not published');
      });
  }
}
