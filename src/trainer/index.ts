/**
 * The trainer process (`strider train`): transitions in over MQTT, episodes and models on disk,
 * fits on the Alg. 1 schedule, models out. ModelTrainer and Dataset also serve the controller's
 * in-process trainer mode.
 */
export { Dataset } from './Dataset.js';
export type { DatasetOptions } from './Dataset.js';
export { ModelTrainer } from './ModelTrainer.js';
export type { ModelTrainerOptions } from './ModelTrainer.js';
export { datasetOf } from './types.js';
export type { DataSource, Trainer } from './types.js';
export { EpisodeAssembler, episodeFromBatch } from './EpisodeAssembler.js';
export type {
  AssemblerCounters,
  Episode,
  EpisodeAssemblerOptions,
  EpisodeEnding,
} from './EpisodeAssembler.js';
export { EpisodeStore, robotDirName } from './EpisodeStore.js';
export type { EpisodeStoreOptions, StoredRobot, TrainingRecord } from './EpisodeStore.js';
export { RetentionIndex } from './StoreRetention.js';
export type { RetentionCounters, RetentionLimits } from './StoreRetention.js';
export { TrainerService } from './TrainerService.js';
export type {
  PublishedModel,
  RobotDataCounts,
  TrainerCounters,
  TrainerServiceOptions,
} from './TrainerService.js';
