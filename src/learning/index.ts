/**
 * The controller's learning side: the Alg. 1 loop between episodes, the hot-swap gate, where
 * model versions come from (a trainer in this process, or one over MQTT), and the controller's
 * MQTT side of remote training.
 */
export { HotSwap } from './HotSwap.js';
export type { HotSwapOptions, SwapDecision } from './HotSwap.js';
export { LearningLoop } from './LearningLoop.js';
export type { LearningLoopOptions, LearningSummary, ModelRecord } from './LearningLoop.js';
export { InProcessModelSource, RemoteModelSource } from './ModelSource.js';
export type { ModelSource } from './ModelSource.js';
export { RemoteTraining } from './RemoteTraining.js';
export type { RemoteTrainingOptions, RemoteTrainingReport } from './RemoteTraining.js';
export { TrainerSupervisor } from './TrainerSupervisor.js';
export type { TrainerState, TrainerSupervisorOptions } from './TrainerSupervisor.js';
export { ContinuousLoop } from './ContinuousLoop.js';
export type {
  ContinuousLoopOptions,
  ContinuousSummary,
  VersionTakeover,
} from './ContinuousLoop.js';
