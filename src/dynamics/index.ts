export {
  DEFAULT_ARCHITECTURE,
  NAGABANDI_ARCHITECTURE,
  INITIAL_MAX_LOGVAR,
  INITIAL_MIN_LOGVAR,
  makeArchitecture,
  inputDim,
  outputDim,
  paramSpecs,
  shapeSize,
  forwardMacsPerSample,
  initWeights,
} from './architecture.js';
export type {
  Activation,
  OutputKind,
  EnsembleArchitecture,
  EnsembleArchitectureOptions,
  ParamSpec,
} from './architecture.js';
export {
  trajectoryLength,
  countTransitions,
  assertFiniteTrajectories,
  splitByTrajectory,
  flattenTransitions,
} from './Trajectory.js';
export type { Trajectory, TrajectoryDataset, TrajectorySplit } from './Trajectory.js';
export { DEFAULT_STD_FLOOR, fitNormalisers, identityNormalisers } from './Normaliser.js';
export type { Normalisers } from './Normaliser.js';
export { exportSnapshot, importSnapshot } from './EnsembleSnapshot.js';
export type { EnsembleSnapshot } from './EnsembleSnapshot.js';
export { OnnxEnsemble } from './OnnxEnsemble.js';
export type { EnsemblePrediction, OnnxEnsembleOptions } from './OnnxEnsemble.js';
export { EnsembleTrainer, bootstrapIndices } from './EnsembleTrainer.js';
export type { EnsembleTrainerOptions, TrainRoundReport } from './EnsembleTrainer.js';
export { DEFAULT_OPTIMISER } from './TrainingBackend.js';
export type { OptimiserOptions, TrainingBackend, TrainingBackendKind } from './TrainingBackend.js';
export { OnnxTrainingBackend } from './OnnxTrainingBackend.js';
export type { OnnxTrainingBackendOptions } from './OnnxTrainingBackend.js';
export { TfjsTrainingBackend } from './TfjsTrainingBackend.js';
export type { TfjsTrainingBackendOptions } from './TfjsTrainingBackend.js';
export { hStepError, baselineHStepError } from './evaluate.js';
export type { HStepOptions, HStepBaseline } from './evaluate.js';
export type { EnsembleStepper } from './types.js';
