export { Dataset } from './Dataset.js';
export type { DatasetOptions } from './Dataset.js';
export { LearningLoop } from './LearningLoop.js';
export type { LearningLoopOptions, LearningSummary } from './LearningLoop.js';
export { ModelTrainer } from './ModelTrainer.js';
export type { ModelTrainerOptions } from './ModelTrainer.js';
export type { DataSource, ModelMetrics, ModelVersion, Trainer } from './types.js';
