/*
 * glibc's malloc, tuned for a process that runs for hours. Two of its defaults let a long-running
 * controller's native memory creep in steps of 0.5-3 MiB (docs/daemon.md, "Soak bench"):
 *
 * - each thread that meets contention gets an arena of its own, up to 8 per core, and little of a
 *   thread arena is ever handed back (V8's helper threads, libuv's pool and ONNX Runtime all
 *   allocate): MALLOC_ARENA_MAX caps them;
 * - a large block (a model version's weights, an MQTT payload, a report or a plot being written)
 *   is mmapped and returned to the system when freed, but each such free raises the threshold for
 *   mmap to that block's size, so the later ones come from the heap, where a small block allocated
 *   after them pins the space: MALLOC_MMAP_THRESHOLD_ fixes the threshold (128 KiB, glibc's
 *   starting value) and with it the dynamic adjustment is off.
 *
 * glibc reads both once, at process start, so they have to be in the environment before node runs:
 * bin/strider.js's `#!` line, the npm scripts, the launch files, the Dockerfile and the soak's run
 * set them (the values here), and `strider run` logs what it started with. Other C libraries
 * (musl) ignore them.
 */

/** The settings strider starts with unless the environment already names them. */
export const MALLOC_TUNING = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
} as const;

export type MallocSetting = keyof typeof MALLOC_TUNING;

export const MALLOC_SETTINGS = Object.keys(MALLOC_TUNING) as MallocSetting[];

/** `env` with each setting strider's default where it is absent. */
export function withMallocTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of MALLOC_SETTINGS) out[name] ??= MALLOC_TUNING[name];
  return out;
}

/** What this process started with: each setting's value, or 'unset' (glibc's default). */
export function mallocTuning(env: NodeJS.ProcessEnv = process.env): Record<MallocSetting, string> {
  const out = {} as Record<MallocSetting, string>;
  for (const name of MALLOC_SETTINGS) out[name] = env[name] ?? 'unset';
  return out;
}
