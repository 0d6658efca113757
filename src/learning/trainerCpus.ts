import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';

/**
 * The CPU list (taskset syntax) the child trainer is pinned to, from `trainer.cpus`, or null for
 * no pinning. `auto`: every CPU but the first, which stays the controller's; on a 2-core machine
 * the trainer runs on CPU 1 only, and its fits never preempt the controller's planner (a nice-19
 * thread still takes slices of a few ms on a busy core: docs/daemon.md). `all`, a single-CPU
 * machine, or no taskset (util-linux) on the PATH: null. An explicit list naming a CPU this
 * machine lacks is CONFIG_INVALID; without taskset it is IO.
 */
export function trainerCpus(
  setting: string,
  logger: Logger,
  probe: { cpus: number; hasTaskset: () => boolean } = {
    cpus: availableParallelism(),
    hasTaskset: () => spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0,
  },
): string | null {
  if (setting === 'all') return null;
  const n = probe.cpus;
  if (setting === 'auto') {
    if (n < 2) return null;
    if (!probe.hasTaskset()) {
      logger.warn('trainer.cpus auto: taskset (util-linux) not found; the trainer is not pinned');
      return null;
    }
    return n === 2 ? '1' : `1-${n - 1}`;
  }
  for (const part of setting.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (a === undefined || b === undefined || a > b || b >= n) {
      throw new StriderError(
        'CONFIG_INVALID',
        `trainer.cpus: "${part}" of "${setting}" is not a CPU range of this machine (CPUs 0-${n - 1})`,
      );
    }
  }
  if (!probe.hasTaskset()) {
    throw new StriderError(
      'IO',
      `trainer.cpus "${setting}" needs taskset (util-linux) on the PATH; set trainer.cpus: all to run unpinned`,
    );
  }
  return setting;
}

/**
 * The file and arguments that start node with `args`, pinned to `cpus` through taskset when not
 * null. taskset execs node in its place: the same pid (so a priority set on it applies to node),
 * every later thread on the same CPUs.
 */
export function pinnedNode(
  cpus: string | null | undefined,
  args: readonly string[],
): [file: string, args: string[]] {
  return cpus === null || cpus === undefined
    ? [process.execPath, [...args]]
    : ['taskset', ['-c', cpus, process.execPath, ...args]];
}
