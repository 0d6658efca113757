export { MpcPlanner } from './MpcPlanner.js';
export { TsInfRollout } from './TsInfRollout.js';
export type { TsInfRolloutOptions } from './TsInfRollout.js';
export { ColouredNoise } from './ColouredNoise.js';
export { PLANNER_DEFAULTS, resolvePlannerOptions } from './resolvePlannerOptions.js';
export type { PlannerDims, ResolvedPlannerOptions } from './resolvePlannerOptions.js';
export { OPTIMIZER_KINDS } from './types.js';
export type {
  BatchReward,
  CemOptions,
  MppiOptions,
  NominalAction,
  OptimizerKind,
  PlannerDeps,
  PlannerOptions,
  PlanResult,
  PlanStatus,
} from './types.js';
export { MpcPolicy } from './MpcPolicy.js';
export type { MpcPolicyStats } from './MpcPolicy.js';
export { ForwardSpeedReward, CmdVelReward } from './rewards.js';
export type { ActionCostScale } from './rewards.js';
export { LeggedReward } from './leggedReward.js';
export type { LeggedRewardContext } from './leggedReward.js';
export { createReward } from './createReward.js';
export { TaskTargets } from './TaskTargets.js';
export type { TaskTargetMode, TaskTargetsOptions, VelocityTarget } from './TaskTargets.js';
