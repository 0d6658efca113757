import type { StriderConfig } from '../config/index.js';
import type { Transition } from '../control/index.js';
import {
  InProcessModelSource,
  RemoteTraining,
  type ModelSource,
  type RemoteTrainingReport,
} from '../learning/index.js';
import type { PolicyCommand } from '../planning/PolicySeeds.js';
import { ModelTrainer } from '../trainer/index.js';
import type { Logger } from '../util/logger.js';

export interface ModelSupplyOptions {
  readonly config: StriderConfig;
  /** The config file and --set list, passed on to a child trainer. */
  readonly configPath: string;
  readonly overrides: readonly string[];
  readonly outDir: string;
  readonly logger: Logger;
  /** Where a trainer process's model payloads are decoded (the tick gaps); default at once. */
  readonly defer?: (work: () => void) => void;
}

/**
 * Where a learning run's models come from (trainer.mode): a ModelTrainer in this process, or a
 * trainer process (child or external) fed over MQTT (RemoteTraining). Built before the session, whose recorded
 * transitions go to push(); started once the robot's dimensions are known; closed after the
 * learning loop. Lifecycle: construct -> start -> close.
 */
export class ModelSupply {
  readonly #o: ModelSupplyOptions;
  #trainer: ModelTrainer | null = null;
  #remote: RemoteTraining | null = null;
  #tap: ((t: Transition) => void) | null = null;

  constructor(options: ModelSupplyOptions) {
    this.#o = options;
  }

  /** A recorded transition, to the trainer process (in-process training reads the episodes). */
  readonly push = (t: Transition, reward: number, episode: number, done: boolean): void => {
    this.#remote?.push(t, reward, episode, done);
    this.#tap?.(t);
  };

  /** Also hand every recorded transition to `fn` (the DAgger loop's labels); null: none. */
  tap(fn: ((t: Transition) => void) | null): void {
    this.#tap = fn;
  }

  /**
   * Start the trainer for states of `stateDim` and actions of `actionDim` (and the task's live
   * `command`, streamed with each transition to a trainer process); returns its models.
   */
  async start(
    stateDim: number,
    actionDim: number,
    command: PolicyCommand | null = null,
  ): Promise<ModelSource> {
    const { config, logger } = this.#o;
    if (config.trainer.mode !== 'in_process') {
      const { configPath, overrides, outDir } = this.#o;
      this.#remote = await RemoteTraining.start({
        config,
        configPath,
        overrides,
        outDir,
        stateDim,
        actionDim,
        command,
        logger,
        ...(this.#o.defer !== undefined ? { defer: this.#o.defer } : {}),
      });
      return this.#remote.models;
    }
    if (config.robot.link === 'ros2') {
      logger.warn(
        'trainer.mode in_process on a robot: training shares the control loop\u2019s event loop, so the ' +
          'safe command between episodes can be late; the default trainer.mode child trains in another process',
      );
    }
    this.#trainer = await ModelTrainer.create({
      stateDim,
      actionDim,
      model: config.model,
      randFraction: config.learning.rand_fraction,
      seed: config.run.seed,
      logger,
    });
    return new InProcessModelSource(this.#trainer);
  }

  /** The trainer process side (child or external), once started; null in process. */
  get remote(): RemoteTraining | null {
    return this.#remote;
  }

  /** Send what the outbox to a trainer process holds now (lifecycle cleanup / shutdown). */
  flush(): void {
    this.#remote?.flush();
  }

  /** End a wait for the trainer's next model (SIGINT); safe before start(). */
  interrupt(): void {
    this.#remote?.models.close();
  }

  /** Stop training; returns the transport figures of a trainer process, else null. */
  async close(): Promise<RemoteTrainingReport | null> {
    await this.#trainer?.close();
    if (this.#remote === null) return null;
    await this.#remote.close();
    return this.#remote.report();
  }
}
