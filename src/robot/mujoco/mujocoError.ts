import type { MujocoModule } from './mujocoTypes.js';

/** Longest message read from WASM memory, in bytes (MuJoCo's error buffers are 1000 bytes). */
const MAX_MESSAGE_BYTES = 4096;

function hasExceptionPointer(err: unknown): err is { excPtr: number; name?: unknown } {
  return (
    typeof err === 'object' && err !== null && 'excPtr' in err && typeof err.excPtr === 'number'
  );
}

/**
 * MuJoCo's own text for an exception thrown out of the WASM module.
 *
 * The parser and compiler throw C++ `mjXError` / `mjCError` objects whose first member is the
 * message as a NUL-terminated C string. Emscripten surfaces them as a `CppException` named after
 * the class with only the pointer (`excPtr`); `getExceptionMessage` expects a std::exception and
 * traps on these, and this build exports neither `UTF8ToString` nor `HEAPU8`. So the string is
 * read directly: any typed-array view that embind hands out (here a 1-element DoubleBuffer) has
 * WASM memory as its `.buffer`.
 *
 * Returns e.g. "XML Error: bad format in attribute 'size'\nElement 'geom', line 3" (trimmed),
 * the exception's message for ordinary JS errors, or String(err).
 */
export function mujocoErrorText(mujoco: MujocoModule, err: unknown): string {
  if (hasExceptionPointer(err)) {
    const buf = new mujoco.DoubleBuffer(1);
    try {
      const heap = new Uint8Array(buf.GetView().buffer);
      const start = err.excPtr;
      if (start > 0 && start < heap.length) {
        let end = start;
        const limit = Math.min(heap.length, start + MAX_MESSAGE_BYTES);
        while (end < limit && heap[end] !== 0) end++;
        const text = new TextDecoder().decode(heap.subarray(start, end)).trim();
        if (text.length > 0) return text;
      }
    } finally {
      buf.delete();
    }
    return typeof err.name === 'string' ? err.name : 'unknown MuJoCo exception';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
