import { StriderError } from '../../util/StriderError.js';
import type { RclNode, RclnodejsApi } from './rclnodejsApi.js';
import type { Ros2Config } from './ros2Config.js';

/** One tunable exposed as a read-only ROS parameter (`ros2 param get /strider control.rate_hz`). */
export interface Ros2ParameterSpec {
  readonly name: string;
  readonly value: number | boolean | string;
  readonly description: string;
}

/**
 * Flatten a config slice into ROS parameter specs named `<prefix>.<key>...` (numbers, booleans and
 * strings; arrays and nulls are skipped). Used to expose rate_hz, budget_ms and the safety
 * thresholds as read-only ROS parameters.
 */
export function flattenParameters(
  prefix: string,
  value: unknown,
  out: Ros2ParameterSpec[] = [],
): Ros2ParameterSpec[] {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    out.push({ name: prefix, value, description: `strider config ${prefix} (read-only mirror)` });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenParameters(prefix === '' ? k : `${prefix}.${k}`, v, out);
    }
  }
  return out;
}

/**
 * Set use_sim_time as configured ('auto': what the launch file gave) and declare `specs` as
 * read-only parameters. Returns whether the node's clock is ROS time from /clock.
 * @throws StriderError CONFIG_INVALID when the node refuses use_sim_time
 */
export function declareParameters(
  node: RclNode,
  rcl: RclnodejsApi,
  simTime: Ros2Config['use_sim_time'],
  specs: readonly Ros2ParameterSpec[],
): boolean {
  const T = rcl.ParameterType;
  if (simTime !== 'auto') {
    const p = new rcl.Parameter('use_sim_time', T.PARAMETER_BOOL, simTime);
    if (node.hasParameter('use_sim_time')) {
      const r = node.setParameter(p);
      if (!r.successful) {
        throw new StriderError(
          'CONFIG_INVALID',
          `robot.ros2.use_sim_time: the node refused it: ${r.reason}`,
        );
      }
    } else {
      node.declareParameter(p);
    }
  }
  const useSimTime =
    node.hasParameter('use_sim_time') && node.getParameter('use_sim_time').value === true;
  for (const spec of specs) {
    const type =
      typeof spec.value === 'boolean'
        ? T.PARAMETER_BOOL
        : typeof spec.value === 'number'
          ? T.PARAMETER_DOUBLE
          : T.PARAMETER_STRING;
    // Read-only mirrors of the config: --ros-args overrides are ignored (the YAML is the truth).
    node.declareParameter(
      new rcl.Parameter(spec.name, type, spec.value),
      new rcl.ParameterDescriptor(spec.name, type, spec.description, true),
      true,
    );
  }
  return useSimTime;
}
