/**
 * The trainer's per-robot datasets and its fit schedule (Nagabandi et al. 2017, Alg. 1, across
 * processes): the first model once the robot's data holds `learning.random_episodes` episodes
 * (random ones, or MPC's where the controller started on model.initial), then a refit
 * after every `learning.episodes_per_iteration` new episodes of either dataset since the last fit.
 * Random episodes count too: when the controller's hot-swap gate rejects a model it keeps acting
 * randomly, and unless those episodes lead to a refit, controller and trainer wait on each other.
 * One Trainer per robot id; fits run one at a time, in a queue. Each fitted model is stored on disk
 * before it is handed on for publishing. The store's retention takes old D_rl pieces out again
 * (drop); the schedule counts what arrived, so a dataset held at its limit still refits.
 */

import type { LearningConfig, ModelConfig } from '../config/schema.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Logger } from '../util/logger.js';
import type { Episode } from './EpisodeAssembler.js';
import type { EpisodeStore, StoredRobot } from './EpisodeStore.js';
import { ModelTrainer, type ModelTrainerOptions } from './ModelTrainer.js';
import { RefitSchedule, type RefitScheduleOptions } from './RefitSchedule.js';
import { datasetOf, type DataSource, type Trainer } from './types.js';

/** One robot's dataset as the trainer holds it. */
export interface RobotDataCounts {
  readonly stateDim: number;
  readonly actionDim: number;
  /** Distinct episodes per dataset, and their transitions, held now (after retention). */
  readonly randEpisodes: number;
  readonly rlEpisodes: number;
  readonly randTransitions: number;
  readonly rlTransitions: number;
  /** Newest stored (or published) version; 0 when none. */
  readonly lastVersion: number;
}

/** What the schedule counts (folded into the trainer's counters). */
export interface FitCounters {
  models_trained: number;
  trainings_failed: number;
  /** Wall-clock seconds spent in training rounds. */
  training_seconds: number;
}

export interface FitSchedulerOptions {
  readonly store: EpisodeStore;
  readonly model: ModelConfig;
  readonly learning: LearningConfig;
  /** Seed of each robot's trainer (bootstrap, hold-out, D_rand subsets). */
  readonly seed: number;
  /** Builds a robot's trainer; default ModelTrainer.create. */
  readonly createTrainer?: (options: ModelTrainerOptions) => Promise<Trainer>;
  /** False once the service stops: nothing more is scheduled, queued rounds are skipped. */
  readonly running: () => boolean;
  /** A model fitted and stored; `seconds` is the round's wall-clock time. Must not throw. */
  readonly onModelStored: (robotId: string, model: ModelVersion, seconds: number) => void;
  readonly logger: Logger;
  /**
   * run.mode continuous: fit on this schedule (new transitions or seconds since the last fit,
   * see RefitSchedule) instead of Alg. 1's episode counts; scheduleAll() starts its timer.
   */
  readonly refit?: RefitScheduleOptions;
}

/** One robot: its dimensions, dataset counts, the pieces not yet fed and its trainer. */
export interface Robot {
  readonly robotId: string;
  readonly stateDim: number;
  readonly actionDim: number;
  /** run/episode keys per dataset (an episode counts once however many pieces it has). */
  readonly keys: Map<string, DataSource>;
  /** Pieces held per run/episode key (retention drops pieces). */
  readonly pieces: Map<string, number>;
  /** Episodes and transitions held now. */
  randEpisodes: number;
  rlEpisodes: number;
  randTransitions: number;
  rlTransitions: number;
  /** Episodes and transitions counted since start, stored ones included (the schedule's counts). */
  addedRand: number;
  addedRl: number;
  addedTransitions: number;
  /** Pieces not yet handed to the trainer (they are, just before each fit). */
  readonly feed: Episode[];
  trainer: Trainer | undefined;
  /** Version numbers: the newest stored, and the newest seen on the broker. */
  lastVersion: number;
  seenVersion: number;
  /** Episodes counted when the newest model's fit started (the schedule counts from them). */
  trainedRand: number;
  trainedRl: number;
  hasModel: boolean;
  queued: boolean;
  /** The newest stored model at start, until the robot's trainer is built from it (warm start). */
  stored: ModelVersion | undefined;
  /** Transitions counted when the newest fit started, and when it ended (performance.now()). */
  trainedTransitions: number;
  lastFitMs: number;
}

export class FitScheduler {
  readonly counters: FitCounters = { models_trained: 0, trainings_failed: 0, training_seconds: 0 };
  readonly #o: FitSchedulerOptions;
  readonly #robots = new Map<string, Robot>();
  #trainings: Promise<void> = Promise.resolve();
  readonly #refit: RefitSchedule | null;
  #refitTimer: NodeJS.Timeout | undefined;
  /** Aborted at shutdown: a running fit stops between batches. */
  readonly #abort = new AbortController();

  constructor(options: FitSchedulerOptions) {
    this.#o = options;
    this.#refit = options.refit === undefined ? null : new RefitSchedule(options.refit);
  }

  /** The queue of training rounds (resolves when the rounds queued so far are done). */
  get trainings(): Promise<void> {
    return this.#trainings;
  }

  /** Robots known so far (with data, a stored model, or a version seen on the broker). */
  get size(): number {
    return this.#robots.size;
  }

  get(robotId: string): Robot | undefined {
    return this.#robots.get(robotId);
  }

  /** The robots served so far and their datasets. */
  counts(): Map<string, RobotDataCounts> {
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

  /** The newest version stored or seen, over the robots `robotId` selects (all when undefined). */
  latestVersion(robotId: string | undefined): number | null {
    let latest: number | null = null;
    for (const r of this.#robots.values()) {
      const v = Math.max(r.lastVersion, r.seenVersion);
      if (v > 0 && (robotId === undefined || r.robotId === robotId))
        latest = Math.max(latest ?? 0, v);
    }
    return latest;
  }

  /** The robot's record, created on first use; undefined when it has other dimensions. */
  robot(robotId: string, stateDim: number, actionDim: number): Robot | undefined {
    let r = this.#robots.get(robotId);
    if (r === undefined) {
      r = {
        robotId,
        stateDim,
        actionDim,
        keys: new Map(),
        pieces: new Map(),
        randEpisodes: 0,
        rlEpisodes: 0,
        randTransitions: 0,
        rlTransitions: 0,
        addedRand: 0,
        addedRl: 0,
        addedTransitions: 0,
        feed: [],
        trainer: undefined,
        lastVersion: 0,
        seenVersion: 0,
        trainedRand: 0,
        trainedRl: 0,
        hasModel: false,
        queued: false,
        stored: undefined,
        trainedTransitions: 0,
        lastFitMs: performance.now(),
      };
      this.#robots.set(robotId, r);
      return r;
    }
    return r.stateDim === stateDim && r.actionDim === actionDim ? r : undefined;
  }

  /**
   * Takes in one robot's stored data (no fit is scheduled yet: see scheduleAll). Returns the
   * episodes counted, or undefined when the robot holds nothing or has other dimensions.
   */
  restore(s: StoredRobot): Episode[] | undefined {
    const first =
      s.episodes[0]?.transitions ?? s.pending[0] ?? s.latest?.model.snapshot.architecture;
    if (first === undefined) return undefined;
    const r = this.robot(s.robotId, first.stateDim, first.actionDim);
    if (r === undefined) return undefined;
    const counted: Episode[] = [];
    for (const e of s.episodes) {
      if (e.transitions.stateDim !== r.stateDim || e.transitions.actionDim !== r.actionDim) {
        this.#o.logger.warn(
          { robotId: s.robotId, episode: e.episode },
          'stored episode has other dimensions; skipped',
        );
        continue;
      }
      this.#count(r, e);
      counted.push(e);
    }
    r.lastVersion = s.lastVersion;
    if (s.latest !== undefined) {
      r.hasModel = true;
      r.stored = s.latest.model;
      // at most what was restored: retention may have dropped episodes the fit used
      r.trainedRand = Math.min(s.latest.training?.rand_episodes ?? 0, r.addedRand);
      r.trainedRl = Math.min(s.latest.training?.rl_episodes ?? 0, r.addedRl);
    }
    return counted;
  }

  /**
   * Adds a stored piece to the robot's data and queues a fit if one is due. True when it is the
   * first piece of its episode.
   */
  add(r: Robot, e: Episode): boolean {
    const fresh = this.#count(r, e);
    this.#schedule(r);
    return fresh;
  }

  /**
   * Forgets pieces the store's retention deleted: out of the pieces not yet fed, or out of the
   * robot's trainer. The held counts shrink; the schedule's counts do not.
   */
  drop(r: Robot, episodes: readonly Episode[]): void {
    for (const e of episodes) {
      const i = r.feed.indexOf(e);
      if (i >= 0) r.feed.splice(i, 1);
      else r.trainer?.removeTrajectory?.(e.trajectory);
      const set = datasetOf(e.source);
      if (set === 'rand') r.randTransitions -= e.steps;
      else r.rlTransitions -= e.steps;
      const key = `${e.runId}/${e.episode}`;
      const left = (r.pieces.get(key) ?? 1) - 1;
      if (left > 0) {
        r.pieces.set(key, left);
        continue;
      }
      r.pieces.delete(key);
      if (r.keys.delete(key)) {
        if (set === 'rand') r.randEpisodes--;
        else r.rlEpisodes--;
      }
    }
  }

  /** A version published on the broker (by this or another trainer): fits number after it. */
  seen(robotId: string, model: ModelVersion): void {
    const r = this.#robots.get(robotId);
    if (r !== undefined) {
      r.seenVersion = Math.max(r.seenVersion, model.version);
      return;
    }
    // a robot we hold no data for yet: remember its version for when its data comes
    const a = model.snapshot.architecture;
    const nr = this.robot(robotId, a.stateDim, a.actionDim);
    if (nr !== undefined) nr.seenVersion = model.version;
  }

  /**
   * Queues every robot's fit that is due (after start). With a refit schedule, also starts the
   * timer that looks again every second (a fit due by time, with no new data arriving to ask).
   */
  scheduleAll(): void {
    for (const r of this.#robots.values()) this.#schedule(r);
    if (this.#refit !== null && this.#refitTimer === undefined) {
      this.#refitTimer = setInterval(
        () => {
          for (const r of this.#robots.values()) this.#schedule(r);
        },
        Math.min(1000, this.#refit.periodMs),
      );
      this.#refitTimer.unref();
    }
  }

  /** Stops a running fit between batches (shutdown); it stores nothing. Queued ones are skipped by `running`. */
  abortFit(): void {
    this.#abort.abort(new Error('trainer stopping'));
  }

  /** Frees every robot's trainer (after the queue has drained) and stops the refit timer. */
  async closeTrainers(): Promise<void> {
    clearInterval(this.#refitTimer);
    this.#refitTimer = undefined;
    for (const r of this.#robots.values()) {
      const t = r.trainer;
      r.trainer = undefined;
      if (t !== undefined) await t.close();
    }
  }

  /** Adds a piece to the robot's data; true when it is the first piece of its episode. */
  #count(r: Robot, e: Episode): boolean {
    const set = datasetOf(e.source);
    r.feed.push(e);
    if (set === 'rand') r.randTransitions += e.steps;
    else r.rlTransitions += e.steps;
    r.addedTransitions += e.steps;
    const key = `${e.runId}/${e.episode}`;
    r.pieces.set(key, (r.pieces.get(key) ?? 0) + 1);
    if (r.keys.has(key)) return false;
    r.keys.set(key, set);
    if (set === 'rand') {
      r.randEpisodes++;
      r.addedRand++;
    } else {
      r.rlEpisodes++;
      r.addedRl++;
    }
    return true;
  }

  #due(r: Robot): boolean {
    if (this.#refit !== null) {
      const fresh = r.addedTransitions - r.trainedTransitions;
      return this.#refit.due(fresh, performance.now() - r.lastFitMs);
    }
    // The first model: once learning.random_episodes episodes are in, of either source. They are
    // random ones unless the controller started on model.initial, whose episodes are MPC's from
    // the first: counting only D_rand would never fit, and the controller would wait for nothing.
    if (!r.hasModel) return r.addedRand + r.addedRl >= this.#o.learning.random_episodes;
    // rand episodes count too: after a rejected model the controller keeps acting randomly
    const fresh = r.addedRand - r.trainedRand + (r.addedRl - r.trainedRl);
    return fresh >= this.#o.learning.episodes_per_iteration;
  }

  #schedule(r: Robot): void {
    if (!this.#o.running() || r.queued || !this.#due(r)) return;
    r.queued = true;
    this.#trainings = this.#trainings.then(() => this.#round(r));
  }

  /** One training round for one robot. Never rejects. */
  async #round(r: Robot): Promise<void> {
    r.queued = false;
    if (!this.#o.running() || !this.#due(r)) return;
    const t0 = performance.now();
    const used = { rand_episodes: r.addedRand, rl_episodes: r.addedRl };
    const usedTransitions = r.addedTransitions;
    let model: ModelVersion;
    this.#o.logger.info(
      { robotId: r.robotId, ...used, transitions: r.randTransitions + r.rlTransitions },
      'fit started',
    );
    try {
      const trainer = r.trainer ?? (await this.#createTrainer(r));
      r.trainer = trainer;
      for (const e of r.feed.splice(0)) trainer.addTrajectory(e.trajectory, datasetOf(e.source));
      const fitted = await trainer.train({ signal: this.#abort.signal });
      model = { ...fitted, version: Math.max(r.lastVersion, r.seenVersion) + 1 };
      await this.#o.store.saveModel(r.robotId, model, used);
    } catch (err) {
      if (this.#abort.signal.aborted) {
        this.#o.logger.info({ robotId: r.robotId }, 'fit stopped at shutdown; nothing stored');
        return;
      }
      this.counters.trainings_failed++;
      this.#o.logger.error(
        { err, robotId: r.robotId },
        'training round failed; retried when more data arrives',
      );
      // counted as used: without a model the next episode retries, with one the next
      // `episodes_per_iteration` episodes do
      r.trainedRand = used.rand_episodes;
      r.trainedRl = used.rl_episodes;
      r.trainedTransitions = usedTransitions;
      r.lastFitMs = performance.now();
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
    r.trainedTransitions = usedTransitions;
    r.lastFitMs = performance.now();
    this.#o.logger.info(
      { robotId: r.robotId, version: model.version, seconds, ...used, ...model.metrics },
      'model stored',
    );
    this.#o.onModelStored(r.robotId, model, seconds);
    this.#schedule(r);
  }

  async #createTrainer(r: Robot): Promise<Trainer> {
    const options: ModelTrainerOptions = {
      stateDim: r.stateDim,
      actionDim: r.actionDim,
      model: this.#o.model,
      randFraction: this.#o.learning.rand_fraction,
      seed: this.#o.seed,
      ...(r.stored !== undefined ? { initial: r.stored } : {}),
      logger: this.#o.logger.child({ robotId: r.robotId }),
    };
    r.stored = undefined; // the trainer holds the weights from here on
    return this.#o.createTrainer === undefined
      ? ModelTrainer.create(options)
      : this.#o.createTrainer(options);
  }
}
