export { Dataset } from './Dataset.js';
export type { DatasetOptions } from './Dataset.js';
export { HotSwap } from './HotSwap.js';
export type { HotSwapOptions, SwapDecision } from './HotSwap.js';
export { LearningLoop } from './LearningLoop.js';
export type { LearningLoopOptions, LearningSummary } from './LearningLoop.js';
export { InProcessModelSource, RemoteModelSource } from './ModelSource.js';
export type { ModelSource } from './ModelSource.js';
export { ModelTrainer } from './ModelTrainer.js';
export type { ModelTrainerOptions } from './ModelTrainer.js';
export type { DataSource, ModelMetrics, ModelVersion, Trainer } from './types.js';
export { EpisodeAssembler, episodeFromBatch } from './EpisodeAssembler.js';
export type { AssemblerCounters, Episode, EpisodeAssemblerOptions, EpisodeEnding } from './EpisodeAssembler.js';
export { EpisodeStore, robotDirName } from './EpisodeStore.js';
export type { EpisodeStoreOptions, StoredRobot, TrainingRecord } from './EpisodeStore.js';
export { TrainerService, datasetOf } from './TrainerService.js';
export type {
  PublishedModel,
  RobotDataCounts,
  TrainerCounters,
  TrainerServiceOptions,
} from './TrainerService.js';
