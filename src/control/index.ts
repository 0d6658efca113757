export { ControlLoop } from './ControlLoop.js';
export type { ControlLoopOptions, ControlLoopStats } from './ControlLoop.js';
export { DeadlineScheduler } from './DeadlineScheduler.js';
export type { DeadlineSchedulerOptions } from './DeadlineScheduler.js';
export { LockstepScheduler } from './LockstepScheduler.js';
export type { LockstepSchedulerOptions } from './LockstepScheduler.js';
export { EpisodeRunner } from './EpisodeRunner.js';
export type { EpisodeRecord, EpisodeRunnerOptions } from './EpisodeRunner.js';
export { RandomPolicy } from './RandomPolicy.js';
export { ActionSpace } from './ActionSpace.js';
export type { NominalSource } from './ActionSpace.js';
export { PolicySwitch } from './PolicySwitch.js';
export type {
  ActionPolicy,
  ActionSource,
  TickFn,
  TickInfo,
  TickScheduler,
  TickStatus,
  Transition,
  TransitionSink,
} from './types.js';
