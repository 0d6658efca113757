import { StriderError } from '../../util/StriderError.js';
import type { RclnodejsApi } from './rclnodejsApi.js';

/** How the module is imported; injectable so tests can simulate a missing rclnodejs. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

function looksLikeRclnodejs(mod: unknown): mod is RclnodejsApi {
  if (typeof mod !== 'object' || mod === null) return false;
  const m = mod as Partial<Record<keyof RclnodejsApi, unknown>>;
  return (
    typeof m.init === 'function' &&
    typeof m.createNode === 'function' &&
    typeof m.shutdown === 'function' &&
    typeof m.removeSignalHandlers === 'function'
  );
}

/**
 * Load rclnodejs (an optional dependency) with a dynamic import, only when robot.link is ros2.
 * rclnodejs 2.x is an ES module whose API is its default export (1.x was CommonJS: the same
 * default export of the namespace).
 * Rejects with StriderError ROS2_UNAVAILABLE when it is not installed or does not load (it needs
 * a sourced ROS 2 Jazzy to build and to load its native binding).
 */
export async function loadRclnodejs(
  importer: ModuleImporter = defaultImporter,
): Promise<RclnodejsApi> {
  let ns: unknown;
  try {
    ns = await importer('rclnodejs');
  } catch (cause) {
    throw new StriderError(
      'ROS2_UNAVAILABLE',
      'rclnodejs is not installed: it needs a sourced ROS 2 Jazzy; see docs/ros2.md / the Dockerfile',
      { cause },
    );
  }
  const candidate = (ns as { default?: unknown } | null)?.default ?? ns;
  if (!looksLikeRclnodejs(candidate)) {
    throw new StriderError(
      'ROS2_UNAVAILABLE',
      'rclnodejs loaded but does not expose init/createNode/shutdown/removeSignalHandlers; expected rclnodejs 2.x (docs/ros2.md)',
    );
  }
  return candidate;
}
