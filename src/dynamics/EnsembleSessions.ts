import * as ort from './onnx/ortRuntime.js';
import type { EnsembleArchitecture } from './architecture.js';
import type { InferenceOutput } from './onnx/buildInferenceGraph.js';
import { createNativeSession, type NativeSession } from './onnx/nativeSession.js';
import { StriderError } from '../util/StriderError.js';

/** What makes two ensembles' sessions interchangeable: the graph and the thread settings. */
export interface SessionKey {
  readonly architecture: EnsembleArchitecture;
  readonly prediction: InferenceOutput;
  readonly intraOpNumThreads: number;
  readonly spin: boolean;
}

/**
 * The controller's ONNX Runtime sessions over ensembles whose weights are graph inputs: one per
 * architecture and settings, made on first use and kept for the life of the process, so a new
 * model version is new feeds, never a new session. Creating and releasing a session per version
 * cost the controller about 0.28 MiB of native memory each time (docs/daemon.md, the soak) and
 * tens of ms of main-thread time at every swap; a kept session is also warm (its first, slow runs
 * paid once). Sessions are shared: ORT's Run is safe to call on one session from several callers.
 */
export class EnsembleSessions {
  readonly #byKey = new Map<string, Promise<ort.InferenceSession>>();
  readonly #nativeByKey = new Map<string, NativeSession | null>();
  #closed = false;

  /** How many sessions exist (for tests and telemetry). */
  get size(): number {
    return this.#byKey.size;
  }

  /** Whether a session for `key` was already made (its first runs are paid). */
  has(key: SessionKey): boolean {
    return this.#byKey.has(keyString(key));
  }

  /**
   * The session for `key`, created from `model` (the graph's bytes) on first use. BACKEND_UNAVAILABLE
   * when onnxruntime-node cannot create it (the failure is not kept: a later call tries again);
   * LOOP_STATE after close().
   */
  session(key: SessionKey, model: () => Uint8Array): Promise<ort.InferenceSession> {
    if (this.#closed) throw new StriderError('LOOP_STATE', 'EnsembleSessions used after close()');
    const k = keyString(key);
    const hit = this.#byKey.get(k);
    if (hit !== undefined) return hit;
    const made = createEnsembleSession(model(), key.intraOpNumThreads, key.spin);
    this.#byKey.set(k, made);
    made.catch(() => this.#byKey.delete(k));
    return made;
  }

  /**
   * The synchronous session for `key` (src/dynamics/onnx/nativeSession.ts: a planner iteration
   * then runs without giving the event loop a turn between model calls), made on first use with
   * the same settings as session(); null where onnxruntime-node's binding is not available, and
   * the caller runs session() instead. BACKEND_UNAVAILABLE when ONNX Runtime cannot load the
   * model; LOOP_STATE after close().
   */
  native(key: SessionKey, model: () => Uint8Array): NativeSession | null {
    if (this.#closed) throw new StriderError('LOOP_STATE', 'EnsembleSessions used after close()');
    const k = keyString(key);
    if (this.#nativeByKey.has(k)) return this.#nativeByKey.get(k)!;
    let made: NativeSession | null;
    try {
      made = createNativeSession(model(), ensembleSessionOptions(key.intraOpNumThreads, key.spin));
    } catch (err) {
      throw sessionUnavailable(err);
    }
    this.#nativeByKey.set(k, made);
    return made;
  }

  /** Releases every session (at shutdown, when nothing runs). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const n of this.#nativeByKey.values()) n?.dispose();
    this.#nativeByKey.clear();
    const all = [...this.#byKey.values()];
    this.#byKey.clear();
    for (const s of all) {
      try {
        await (await s).release();
      } catch {
        // a session that failed to create has nothing to release
      }
    }
  }
}

/** An ensemble session with the control path's settings. BACKEND_UNAVAILABLE on failure. */
export async function createEnsembleSession(
  model: Uint8Array,
  intraOpNumThreads: number,
  spin: boolean,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(
      model,
      ensembleSessionOptions(intraOpNumThreads, spin),
    );
  } catch (err) {
    throw sessionUnavailable(err);
  }
}

function sessionUnavailable(cause: unknown): StriderError {
  return new StriderError(
    'BACKEND_UNAVAILABLE',
    'onnxruntime-node could not create the ensemble session',
    { cause },
  );
}

/** The control path's session settings. */
function ensembleSessionOptions(
  intraOpNumThreads: number,
  spin: boolean,
): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
  };
}

function keyString(k: SessionKey): string {
  const a = k.architecture;
  return JSON.stringify([
    a.stateDim,
    a.actionDim,
    a.ensembleSize,
    a.hiddenSizes,
    a.activation,
    a.output,
    k.prediction,
    k.intraOpNumThreads,
    k.spin,
  ]);
}
