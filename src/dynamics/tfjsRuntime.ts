import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';

/** The TensorFlow.js namespace, as used by the tfjs training backend. */
export type Tfjs = typeof tf;

let ready: Promise<string> | null = null;

/**
 * Picks and initialises the TensorFlow.js backend once per process: tfjs-node-gpu, then
 * tfjs-node when importable (optional dependencies; their install fails on machines that cannot
 * download libtensorflow), else the wasm backend with its .wasm files from node_modules
 * (threads = 1 in Node here). Logs the choice. Resolves to the backend name.
 */
export function initTfjs(logger: Logger): Promise<string> {
  ready ??= selectBackend(logger);
  return ready;
}

async function tryImport(specifier: string, logger: Logger): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch (err) {
    // Absent (optional dependency dropped) or present but broken (libtensorflow missing).
    logger.debug({ err, specifier }, 'tfjs native backend not importable');
    return false;
  }
}

async function selectBackend(logger: Logger): Promise<string> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    // A variable specifier keeps TypeScript from requiring these optional packages' types.
    const specifier: string = pkg;
    if (await tryImport(specifier, logger)) {
      await tf.setBackend('tensorflow');
      await tf.ready();
      logger.info({ backend: tf.getBackend(), package: pkg }, 'tfjs backend selected');
      return tf.getBackend();
    }
  }
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${wasmDir}/`);
  setThreadsCount(1);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    throw new StriderError('BACKEND_UNAVAILABLE', 'tfjs wasm backend failed to initialise', {
      cause: err,
      context: { wasmDir },
    });
  }
  if (!ok) {
    throw new StriderError(
      'BACKEND_UNAVAILABLE',
      `tfjs wasm backend failed to initialise from ${wasmDir}`,
    );
  }
  await tf.ready();
  logger.info(
    { backend: 'wasm', wasmDir, threads: 1, note: 'tfjs-node / tfjs-node-gpu not importable' },
    'tfjs backend selected',
  );
  return 'wasm';
}

export { tf };
