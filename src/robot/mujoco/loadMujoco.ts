import loadMujocoWasm from 'mujoco-js';
import type { Logger } from '../../util/logger.js';
import type { MujocoModule } from './mujocoTypes.js';

/**
 * Receives every line MuJoCo prints (its warnings, e.g. "WARNING: Nan, Inf or huge value in QACC
 * at DOF 0. The simulation is unstable."). At most one listener: the link that is stepping sets
 * itself around its physics calls; lines printed outside go to the process logger.
 */
export type MujocoPrintListener = (line: string) => void;

let cached: Promise<MujocoModule> | undefined;
let listener: MujocoPrintListener | null = null;
let fallbackLogger: Logger | undefined;

function onPrint(line: string): void {
  if (line.length === 0) return;
  if (listener !== null) {
    listener(line);
    return;
  }
  fallbackLogger?.warn({ mujoco: line }, 'mujoco output');
}

/**
 * The MuJoCo WASM module (mujoco-js, ~11 MB), instantiated once per process: every call returns
 * the same promise. MuJoCo's printed output is routed to the current print listener or to
 * `logger` (the first logger given wins). Resolves in ~150 ms on first call.
 */
export function loadMujoco(logger?: Logger): Promise<MujocoModule> {
  if (fallbackLogger === undefined && logger !== undefined) fallbackLogger = logger;
  cached ??= loadMujocoWasm({ print: onPrint, printErr: onPrint }).then(
    // The package types its getters as `any`; MujocoModule is the typed subset we use.
    (mod) => mod as unknown as MujocoModule,
  );
  return cached;
}

/**
 * Route MuJoCo's printed lines to `fn` (null restores the logger). Returns the previous listener
 * so callers can restore it. Synchronous code only: set, call MuJoCo, restore.
 */
export function setMujocoPrintListener(fn: MujocoPrintListener | null): MujocoPrintListener | null {
  const previous = listener;
  listener = fn;
  return previous;
}
