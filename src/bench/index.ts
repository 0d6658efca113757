export { benchPlanner, inferenceMacs } from './benchPlanner.js';
export type { PlannerFigures, PlannerShape } from './benchPlanner.js';
export { benchTick, benchTickDisturbed } from './benchTick.js';
export type { DisturbanceFigures, TickFigures } from './benchTick.js';
export { benchTraining } from './benchTraining.js';
export type { TrainingFigures } from './benchTraining.js';
export { benchPolicy } from './benchPolicy.js';
export type { PolicyFigures } from './benchPolicy.js';
