import assert from 'node:assert/strict';
import type { RobotDescription } from '../../src/robot/types.js';

/** urdf/quadruped.urdf's joints in ros2_control order: per leg, hip abduction, hip, knee. */
export const QUADRUPED_JOINTS: string[] = ['fl', 'fr', 'rl', 'rr'].flatMap((l) => [
  `${l}_hip_abd_joint`,
  `${l}_hip_joint`,
  `${l}_knee_joint`,
]);

/** The quadruped's 12 joints, and one `<joint>_effort` actuator each, in that order. */
export function assertQuadrupedJointsAndActuators(desc: RobotDescription): void {
  assert.deepEqual(
    desc.joints.map((j) => j.name),
    QUADRUPED_JOINTS,
  );
  assert.deepEqual(
    desc.actuators.map((a) => a.name),
    QUADRUPED_JOINTS.map((j) => `${j}_effort`),
  );
}
