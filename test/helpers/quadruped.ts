import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RobotDescription } from '../../src/robot/types.js';

/**
 * test/fixtures/quadruped_effort.urdf: urdf/quadruped.urdf before issue 12, with effort command
 * interfaces, for the tests of effort mechanics and the effort command path.
 */
export const QUADRUPED_EFFORT_URDF = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/quadruped_effort.urdf',
);

/** urdf/quadruped.urdf's joints in ros2_control order: per leg, hip abduction, hip, knee. */
export const QUADRUPED_JOINTS: string[] = ['fl', 'fr', 'rl', 'rr'].flatMap((l) => [
  `${l}_hip_abd_joint`,
  `${l}_hip_joint`,
  `${l}_knee_joint`,
]);

/**
 * The quadruped's 12 joints, and one `<joint>_<iface>` actuator each, in that order, on that
 * interface: position for urdf/quadruped.urdf, effort for the effort fixture.
 */
export function assertQuadrupedJointsAndActuators(
  desc: RobotDescription,
  iface: 'position' | 'effort',
): void {
  assert.deepEqual(
    desc.joints.map((j) => j.name),
    QUADRUPED_JOINTS,
  );
  assert.deepEqual(
    desc.actuators.map((a) => a.name),
    QUADRUPED_JOINTS.map((j) => `${j}_${iface}`),
  );
  for (const a of desc.actuators) assert.equal(a.interface, iface, a.name);
}
