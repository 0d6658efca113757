import type { ModelConfig } from '../config/schema.js';
import { makeArchitecture } from '../dynamics/architecture.js';
import { exportSnapshot } from '../dynamics/EnsembleSnapshot.js';
import { EnsembleTrainer } from '../dynamics/EnsembleTrainer.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Trajectory } from '../dynamics/Trajectory.js';
import type { Logger } from '../util/logger.js';
import { Dataset } from './Dataset.js';
import type { DataSource, Trainer } from './types.js';

export interface ModelTrainerOptions {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly model: ModelConfig;
  /** Share of D_rand in each refit once D_rl exists. */
  readonly randFraction: number;
  readonly seed: number;
  /**
   * The newest stored model (a restarted trainer): its weights and normalisers are the starting
   * point and the first fit is a warm refit (`model.epochs_per_round`). Ignored, with a warning,
   * when its architecture is not the configured one.
   */
  readonly initial?: ModelVersion;
  readonly logger: Logger;
}

/**
 * The in-process trainer: aggregates trajectories into D_rand / D_rl and fits the ensemble on
 * their mix, warm-starting every round from the previous weights (first round: model.epochs_first
 * epochs, unless it starts from a stored model; later rounds: model.epochs_per_round). Implements the narrow Trainer interface that the
 * MQTT trainer process serves too.
 */
export class ModelTrainer implements Trainer {
  readonly #o: ModelTrainerOptions;
  readonly #dataset: Dataset;
  readonly #trainer: EnsembleTrainer;
  #version = 0;
  /** The weights came from a stored model: every fit is a warm refit. */
  readonly #warm: boolean;

  private constructor(options: ModelTrainerOptions, trainer: EnsembleTrainer, warm: boolean) {
    this.#o = options;
    this.#trainer = trainer;
    this.#warm = warm;
    this.#dataset = new Dataset({
      stateDim: options.stateDim,
      actionDim: options.actionDim,
      segmentSteps: 50,
      seed: options.seed,
    });
  }

  static async create(options: ModelTrainerOptions): Promise<ModelTrainer> {
    const m = options.model;
    const architecture = makeArchitecture({
      stateDim: options.stateDim,
      actionDim: options.actionDim,
      ensembleSize: m.ensemble_size,
      hiddenSizes: m.hidden,
      activation: m.activation,
      output: m.output,
    });
    let initial = options.initial?.snapshot;
    if (
      initial !== undefined &&
      JSON.stringify(initial.architecture) !== JSON.stringify(architecture)
    ) {
      options.logger.warn(
        {
          version: options.initial?.version,
          stored: initial.architecture,
          configured: architecture,
        },
        'stored model has another architecture than the config; the first fit starts from fresh weights',
      );
      initial = undefined;
    }
    const trainer = await EnsembleTrainer.create({
      ...(initial !== undefined ? { initial } : {}),
      architecture,
      backend: m.backend,
      optimiser: { learningRate: m.learning_rate },
      batchSize: m.batch_size,
      epochsPerRound: m.epochs_per_round,
      holdoutFraction: m.holdout_fraction,
      hStepHorizon: m.h_step_horizon,
      seed: options.seed,
      logger: options.logger,
    });
    if (initial !== undefined)
      options.logger.info(
        { version: options.initial?.version },
        'trainer warm-starts from the newest stored model',
      );
    return new ModelTrainer(options, trainer, initial !== undefined);
  }

  addTrajectory(trajectory: Trajectory, source: DataSource): void {
    this.#dataset.add(trajectory, source);
  }

  removeTrajectory(trajectory: Trajectory): boolean {
    return this.#dataset.remove(trajectory);
  }

  async train(options: { readonly signal?: AbortSignal } = {}): Promise<ModelVersion> {
    const m = this.#o.model;
    const { data, rand, rl } = this.#dataset.mix(this.#o.randFraction);
    const epochs = this.#version === 0 && !this.#warm ? m.epochs_first : m.epochs_per_round;
    const r = await this.#trainer.train(data, {
      epochs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    this.#version++;
    const metrics = {
      train_loss: r.epochLosses[r.epochLosses.length - 1] ?? Number.NaN,
      val_loss: r.valLoss,
      h_step_error: r.hStepError,
      h_step_baseline: r.hStepZeroDeltaBaseline,
      h_step_error_previous: r.hStepErrorPrevious,
      train_transitions: r.trainTransitions,
      rand_transitions: rand,
      rl_transitions: rl,
      epochs: r.epochs,
      train_seconds: r.trainSeconds,
      sample_passes_per_s: r.samplePassesPerSec,
      backend: r.engine,
    };
    this.#o.logger.info({ version: this.#version, ...metrics }, 'model trained');
    return { version: this.#version, snapshot: exportSnapshot(this.#trainer.snapshot()), metrics };
  }

  async close(): Promise<void> {
    await this.#trainer.dispose();
  }
}
