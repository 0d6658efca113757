import { createRequire } from 'node:module';
import type * as ort from 'onnxruntime-node';
import './ortRuntime.js'; // telemetry off before the binding makes ONNX Runtime's environment

/**
 * An ONNX Runtime session run synchronously on the calling thread.
 *
 * onnxruntime-node's `InferenceSession.run` (1.30: dist/backend.js, OnnxruntimeSessionHandler.run)
 * wraps its native, synchronous `run` in a promise that starts in a `setImmediate`. A planner
 * iteration makes one call per horizon step, so every step of a tick gave the event loop a turn:
 * whatever was ready then (a socket's data, the broker's forwarding, a timer, the simulator's step
 * in real-time pacing) ran inside the tick, between two model calls. The native binding underneath
 * (dist/binding.js: `binding.InferenceSession` with `loadModel(buffer, offset, length, options)`,
 * `run(feeds, fetches, options)` and `dispose()`, after `initOrt()`) takes the same feeds and
 * fetches; called directly, a whole planner iteration runs without yielding, and what arrived
 * meanwhile waits for the gap after the tick.
 *
 * The binding is not onnxruntime-node's public API: `createNativeSession` returns null where it is
 * not there in this shape (another version), and callers keep the public, asynchronous path.
 * test/unit/dynamics/nativeSession.test.ts checks that both give the same outputs.
 */
export interface NativeSession {
  /** Runs the graph now; outputs land in the fetches' preallocated tensors. */
  run(
    feeds: Readonly<Record<string, ort.Tensor>>,
    fetches: Readonly<Record<string, ort.Tensor>>,
  ): void;
  dispose(): void;
}

interface Binding {
  readonly binding: {
    readonly InferenceSession: new () => {
      loadModel(
        buffer: ArrayBufferLike,
        byteOffset: number,
        byteLength: number,
        options: object,
      ): void;
      run(feeds: object, fetches: object, options: object): unknown;
      dispose(): void;
    };
  };
  readonly initOrt: () => void;
}

let binding: Binding | null | undefined;

function loadBinding(): Binding | null {
  if (binding !== undefined) return binding;
  try {
    const b = createRequire(import.meta.url)('onnxruntime-node/dist/binding') as Partial<Binding>;
    const proto = (b.binding?.InferenceSession as { prototype?: unknown } | undefined)
      ?.prototype as Record<string, unknown> | undefined;
    const ok =
      typeof b.initOrt === 'function' &&
      typeof proto?.run === 'function' &&
      typeof proto.loadModel === 'function' &&
      typeof proto.dispose === 'function';
    binding = ok ? (b as Binding) : null;
  } catch {
    binding = null;
  }
  return binding;
}

/**
 * A native session over `model` with `options` (ONNX Runtime's session options, as
 * `InferenceSession.create` takes them), or null where the binding is not available. Throws what
 * ONNX Runtime throws for a model it cannot load.
 */
export function createNativeSession(
  model: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
): NativeSession | null {
  const b = loadBinding();
  if (b === null) return null;
  b.initOrt();
  const s = new b.binding.InferenceSession();
  s.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  const runOptions = {};
  return {
    run: (feeds, fetches) => {
      s.run(feeds, fetches, runOptions);
    },
    dispose: () => {
      s.dispose();
    },
  };
}
