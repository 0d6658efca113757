import type { RobotKeyframe } from '../types.js';
import { at, nameOf } from './mjAccess.js';
import type { ModelLayout } from './describeModel.js';
import {
  MJ_GEOM_PLANE,
  MJ_OBJ,
  type MjDataHandle,
  type MjModelHandle,
  type MujocoModule,
} from './mujocoTypes.js';

/**
 * The pose an episode starts from (before reset noise): the model's first keyframe (MuJoCo's
 * convention), a keyframe by name, or a stance of named joint positions.
 */
export type ResetPose =
  { readonly keyframe: string } | { readonly stance: Readonly<Record<string, number>> };

/** Clearance of the lowest bounding sphere above the floor when standing a stance, m. */
const STANCE_CLEARANCE_M = 0.005;

/**
 * What reset() starts from: the index of a keyframe (-1: none, or a name the model lacks, which
 * the action space reports), or a full qpos (nq) with the stance's joints set and, with a free
 * base, the base raised so the lowest geom bounding sphere clears z = 0 by 5 mm. A keyframe
 * only `keyframes` (the description's) has, such as a URDF's "home", is reset to as a stance.
 */
export function resolveResetPose(
  mujoco: MujocoModule,
  model: MjModelHandle,
  data: MjDataHandle,
  layout: ModelLayout,
  jointNames: readonly string[],
  requested: ResetPose | undefined,
  keyframes: readonly RobotKeyframe[] = [],
): { keyIndex: number; qpos: Float64Array | null } {
  let pose = requested;
  if (pose === undefined) return { keyIndex: model.nkey > 0 ? 0 : -1, qpos: null };
  if ('keyframe' in pose) {
    for (let k = 0; k < model.nkey; k++) {
      if (nameOf(mujoco, model, MJ_OBJ.key, k, `key${k}`) === pose.keyframe) {
        return { keyIndex: k, qpos: null };
      }
    }
    // a keyframe the description has but the compiled model does not (a URDF's "home", from
    // its ros2_control initial values): stood on the floor like a stance
    const name = pose.keyframe;
    const described = keyframes.find((k) => k.name === name);
    if (described === undefined) return { keyIndex: model.nkey > 0 ? 0 : -1, qpos: null };
    pose = { stance: described.jointPositions };
  }
  mujoco.mj_resetData(model, data);
  const qpos = data.qpos;
  for (let i = 0; i < jointNames.length; i++) {
    const q = pose.stance[jointNames[i]!];
    if (q !== undefined) qpos[at(layout.jointQposAdr, i)] = q;
  }
  const baseZ = freeBaseZAdr(model, layout.rootBody);
  if (baseZ >= 0) {
    mujoco.mj_forward(model, data);
    let minZ = Infinity;
    const gpos = data.geom_xpos;
    for (let g = 0; g < model.ngeom; g++) {
      if (at(model.geom_type, g) === MJ_GEOM_PLANE) continue;
      minZ = Math.min(minZ, at(gpos, 3 * g + 2) - at(model.geom_rbound, g));
    }
    if (Number.isFinite(minZ)) qpos[baseZ] = at(qpos, baseZ) - minZ + STANCE_CLEARANCE_M;
  }
  const out = Float64Array.from(qpos);
  mujoco.mj_resetData(model, data);
  return { keyIndex: -1, qpos: out };
}

/** qpos address of the root body's free joint's z, or -1 (no free joint on it). */
function freeBaseZAdr(model: MjModelHandle, rootBody: number): number {
  const first = at(model.body_jntadr, rootBody);
  const count = at(model.body_jntnum, rootBody);
  for (let j = first; j < first + count; j++) {
    if (at(model.jnt_type, j) === 0) return at(model.jnt_qposadr, j) + 2; // mjJNT_FREE
  }
  return -1;
}
