export { benchPlanner, inferenceMacs } from './benchPlanner.js';
export type { PlannerFigures, PlannerShape } from './benchPlanner.js';
export { benchTick, benchTickTrainerKilled } from './benchTick.js';
export type { TickFigures, TrainerKillFigures } from './benchTick.js';
export { benchTraining } from './benchTraining.js';
export type { TrainingFigures } from './benchTraining.js';
