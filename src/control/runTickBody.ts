import type { TickFn, TickInfo } from './types.js';

/**
 * Run one tick body and call `done` when it has ended, synchronously for a sync body, on
 * settlement for an async one. A throw or rejection goes to `onError` and still calls `done`, so a
 * faulty body can never stall a scheduler. Returns the in-flight promise, or null.
 */
export function runTickBody(
  onTick: TickFn,
  info: TickInfo,
  onError: (err: unknown) => void,
  done: () => void,
): Promise<void> | null {
  let result: void | Promise<void>;
  try {
    result = onTick(info);
  } catch (err) {
    onError(err);
    result = undefined;
  }
  if (result instanceof Promise) {
    return result.then(done, (err: unknown) => {
      onError(err);
      done();
    });
  }
  done();
  return null;
}
