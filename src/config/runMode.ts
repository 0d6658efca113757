import type { RunConfig } from './schema.js';

/** How `strider run` runs: a fixed number of episodes (Alg. 1), or continuously (a daemon). */
export type RunMode = 'episodes' | 'continuous';

/**
 * run.mode with `auto` resolved: continuous on a robot, episodes on a simulator (`simulated`: the
 * link's capabilities.simulated; a process without the link, the trainer, passes
 * `robot.link === 'mujoco'`, the one simulated link).
 */
export function resolveRunMode(run: Pick<RunConfig, 'mode'>, simulated: boolean): RunMode {
  if (run.mode !== 'auto') return run.mode;
  return simulated ? 'episodes' : 'continuous';
}
