/*
 * glibc's malloc gives each thread that meets contention an arena of its own, up to 8 per core,
 * and hands little of a thread arena back. In a controller that runs for hours (V8's helper
 * threads, libuv's pool and ONNX Runtime all allocate) that showed as native memory growing in
 * steps of 0.5-3 MiB (docs/daemon.md, "Soak bench"). MALLOC_ARENA_MAX caps the arenas; glibc reads
 * it once, at process start, so it has to be in the environment before node runs:
 * bin/strider.js's `#!` line, the npm scripts and the soak's run set it (the value here), and
 * `strider run` logs what it started with. Other C libraries (musl) ignore it.
 */

/** The arena cap strider starts with unless the environment already names one. */
export const DEFAULT_MALLOC_ARENA_MAX = '2';

/** `env` with MALLOC_ARENA_MAX set to the default where it is absent. */
export function withArenaCap(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.MALLOC_ARENA_MAX !== undefined
    ? env
    : { ...env, MALLOC_ARENA_MAX: DEFAULT_MALLOC_ARENA_MAX };
}

/** What this process started with: the variable's value, or 'unset' (glibc's default, 8 per core). */
export function arenaCap(env: NodeJS.ProcessEnv = process.env): string {
  return env.MALLOC_ARENA_MAX ?? 'unset';
}
