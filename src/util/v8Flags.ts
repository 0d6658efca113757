/**
 * V8 options a long-running `strider run` is started with: by `strider bench --soak` for its run,
 * by `npm start`, and by bin/strider.js's `#!` line when it is run as a program (`npx strider`,
 * an installed `strider`); `node bin/strider.js` without them runs the same, with V8's defaults.
 *
 * --no-memory-reducer: V8's memory reducer shrinks the JavaScript heap when allocation slows and
 * the heap grows back later; in a steady controller that moved its RSS up and down by 5-10 MiB
 * (heap reserved between about 60 and 90 MiB, docs/daemon.md "Soak bench"), which a soak reads as
 * a slope. It is chosen when the heap is set up, so it must be given on node's command line
 * (v8.setFlagsFromString at run time has no effect on it, and NODE_OPTIONS refuses it).
 */
export const RUN_V8_FLAGS: readonly string[] = ['--no-memory-reducer'];
