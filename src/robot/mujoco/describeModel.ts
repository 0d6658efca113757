/**
 * What a loaded MuJoCo model offers the controller, as pure functions of the model: the base, the
 * joints the link reports, the actuators it drives with their limits (the RobotDescription), and
 * the index layout the link needs to step it and write its messages.
 */
import { StriderError } from '../../util/StriderError.js';
import type {
  ActuatorInfo,
  BaseKind,
  CommandInterface,
  JointInfo,
  RobotDescription,
  RobotKeyframe,
} from '../types.js';
import { commandedRos2ControlJoints, withUrdfHome, type UrdfInfo } from '../urdf/index.js';
import { at, nameOf } from './mjAccess.js';
import {
  MJ_BIAS,
  MJ_JNT,
  MJ_OBJ,
  MJ_TRN,
  type MjModelHandle,
  type MujocoModule,
} from './mujocoTypes.js';

/** Where the link reads and writes a model's state; index arrays in description order. */
export interface ModelLayout {
  /** The base body: the first child of the world with joints, else the first child. */
  readonly rootBody: number;
  /** body_rootid of the base body: the subtree whose com cvel/cacc are expressed at. */
  readonly subtreeRootId: number;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** qpos and dof addresses of the reported joints (JointState order). */
  readonly jointQposAdr: Int32Array;
  readonly jointDofAdr: Int32Array;
  /** qpos addresses of quaternions (free and ball joints) to renormalise after reset noise. */
  readonly quatAdr: Int32Array;
  /** Per actuator: command clamp range, interface and the qpos address of its joint. */
  readonly cmdLo: Float64Array;
  readonly cmdHi: Float64Array;
  readonly actuatorInterface: readonly CommandInterface[];
  readonly actuatorQposAdr: Int32Array;
}

/** The layout of no model (a link before configure): nothing to step or write. */
export const EMPTY_LAYOUT: ModelLayout = {
  rootBody: 0,
  subtreeRootId: 0,
  nq: 0,
  nv: 0,
  nu: 0,
  jointQposAdr: new Int32Array(0),
  jointDofAdr: new Int32Array(0),
  quatAdr: new Int32Array(0),
  cmdLo: new Float64Array(0),
  cmdHi: new Float64Array(0),
  actuatorInterface: [],
  actuatorQposAdr: new Int32Array(0),
};

/** {@link describeModel}'s answer. */
export interface ModelDescription {
  readonly description: RobotDescription;
  readonly layout: ModelLayout;
  /** Joints outside the base that are neither hinge nor slide: not reported in JointState. */
  readonly unreportedJoints: readonly string[];
}

/** The model to describe and what its file said. */
export interface ModelSource {
  readonly model: MjModelHandle;
  readonly name: string;
  readonly modelPath: string;
  readonly urdf: UrdfInfo | null;
}

/**
 * Describe a loaded model. Joints: non-base hinge and slide joints in model order, limits from
 * the model (range, actuator force range) and the URDF (`<limit effort velocity>`). Actuators:
 * model order; interface from the bias (a position/velocity servo's -kp q / -kv qdot), command
 * limits from ctrlrange, else a position servo's joint range. Base: free (free joint), planar (x
 * slide, z slide and y hinge on the root body) or fixed. Throws StriderError MODEL_UNSUPPORTED
 * for a model with no bodies, no actuators, or an actuator that does not drive a reported joint.
 */
export function describeModel(mujoco: MujocoModule, src: ModelSource): ModelDescription {
  const { model, modelPath } = src;
  if (model.nbody < 2) {
    throw new StriderError(
      'MODEL_UNSUPPORTED',
      `robot model "${modelPath}" has no bodies besides the world`,
    );
  }
  const base = findBase(model);
  const jointName = (j: number): string => nameOf(mujoco, model, MJ_OBJ.joint, j, `joint${j}`);
  const reported = reportedJoints(model, base.joints, jointName);
  const acts = describeActuators(mujoco, src, reported.jointIds, jointName);
  const joints = describeJoints(model, reported.jointIds, acts.mjcfEffort, src.urdf, jointName);
  const qposadr = model.jnt_qposadr;
  const dofadr = model.jnt_dofadr;
  const bodyName = nameOf(mujoco, model, MJ_OBJ.body, base.root, `body${base.root}`);
  const description: RobotDescription = Object.freeze({
    name: src.name,
    modelPath,
    joints: Object.freeze(joints),
    actuators: Object.freeze(acts.actuators),
    base: Object.freeze({ body: bodyName, kind: base.kind }),
    keyframes: withUrdfHome(
      readKeyframes(mujoco, model, reported.jointIds, jointName, base),
      src.urdf === null ? null : commandedRos2ControlJoints(src.urdf, modelPath),
      reported.jointIds.map(jointName),
    ),
  });
  return {
    description,
    unreportedJoints: reported.unreported,
    layout: {
      rootBody: base.root,
      subtreeRootId: at(model.body_rootid, base.root),
      nq: model.nq,
      nv: model.nv,
      nu: model.nu,
      jointQposAdr: Int32Array.from(reported.jointIds, (j) => at(qposadr, j)),
      jointDofAdr: Int32Array.from(reported.jointIds, (j) => at(dofadr, j)),
      quatAdr: reported.quatAdr,
      cmdLo: acts.cmdLo,
      cmdHi: acts.cmdHi,
      actuatorInterface: acts.interfaces,
      actuatorQposAdr: acts.qposAdr,
    },
  };
}

/** The base body, its kind and the joints that make it free or planar. */
function findBase(model: MjModelHandle): { root: number; kind: BaseKind; joints: Set<number> } {
  const parent = model.body_parentid;
  const jntnum = model.body_jntnum;
  const jtype = model.jnt_type;
  const jaxis = model.jnt_axis;
  let root = -1;
  for (let b = 1; b < model.nbody && root < 0; b++) {
    if (at(parent, b) === 0 && at(jntnum, b) > 0) root = b;
  }
  if (root < 0) {
    for (let b = 1; b < model.nbody && root < 0; b++) if (at(parent, b) === 0) root = b;
  }
  const joints = new Set<number>();
  let kind: BaseKind = 'fixed';
  const first = at(model.body_jntadr, root);
  const count = at(jntnum, root);
  for (let j = first; j < first + count; j++) {
    if (at(jtype, j) === MJ_JNT.free) {
      kind = 'free';
      joints.add(j);
    }
  }
  if (kind === 'fixed') {
    const axisIs = (j: number, k: number): boolean => Math.abs(at(jaxis, 3 * j + k)) > 0.999;
    let sx = -1;
    let sz = -1;
    let hy = -1;
    for (let j = first; j < first + count; j++) {
      const t = at(jtype, j);
      if (t === MJ_JNT.slide && axisIs(j, 0) && sx < 0) sx = j;
      else if (t === MJ_JNT.slide && axisIs(j, 2) && sz < 0) sz = j;
      else if (t === MJ_JNT.hinge && axisIs(j, 1) && hy < 0) hy = j;
    }
    if (sx >= 0 && sz >= 0 && hy >= 0) {
      kind = 'planar';
      joints.add(sx).add(sz).add(hy);
    }
  }
  return { root, kind, joints };
}

/** The joints JointState reports (non-base hinge and slide), and every quaternion's address. */
function reportedJoints(
  model: MjModelHandle,
  baseJoints: ReadonlySet<number>,
  jointName: (j: number) => string,
): { jointIds: number[]; quatAdr: Int32Array; unreported: string[] } {
  const jtype = model.jnt_type;
  const qposadr = model.jnt_qposadr;
  const quat: number[] = [];
  const jointIds: number[] = [];
  const unreported: string[] = [];
  for (let j = 0; j < model.njnt; j++) {
    const t = at(jtype, j);
    if (t === MJ_JNT.free) quat.push(at(qposadr, j) + 3);
    else if (t === MJ_JNT.ball) quat.push(at(qposadr, j));
    if (baseJoints.has(j)) continue;
    if (t !== MJ_JNT.hinge && t !== MJ_JNT.slide) {
      unreported.push(jointName(j));
      continue;
    }
    jointIds.push(j);
  }
  return { jointIds, quatAdr: Int32Array.from(quat), unreported };
}

/** The actuators, their command ranges and interfaces, and the effort each implies per joint. */
function describeActuators(
  mujoco: MujocoModule,
  src: ModelSource,
  jointIds: readonly number[],
  jointName: (j: number) => string,
): {
  actuators: ActuatorInfo[];
  cmdLo: Float64Array;
  cmdHi: Float64Array;
  interfaces: CommandInterface[];
  qposAdr: Int32Array;
  mjcfEffort: Map<number, number>;
} {
  const { model, modelPath } = src;
  const nu = model.nu;
  if (nu === 0) {
    throw new StriderError(
      'MODEL_UNSUPPORTED',
      `robot model "${modelPath}" has no actuators${src.urdf !== null ? ' (add a <ros2_control> block with command interfaces)' : ''}`,
    );
  }
  const reported = new Set(jointIds);
  const trntype = model.actuator_trntype;
  const trnid = model.actuator_trnid;
  const biastype = model.actuator_biastype;
  const biasprm = model.actuator_biasprm;
  const ctrlLimited = model.actuator_ctrllimited;
  const ctrlRange = model.actuator_ctrlrange;
  const forceLimited = model.actuator_forcelimited;
  const forceRange = model.actuator_forcerange;
  const gear = model.actuator_gear;
  const limited = model.jnt_limited;
  const range = model.jnt_range;
  const qposadr = model.jnt_qposadr;
  const out = {
    actuators: [] as ActuatorInfo[],
    cmdLo: new Float64Array(nu),
    cmdHi: new Float64Array(nu),
    interfaces: [] as CommandInterface[],
    qposAdr: new Int32Array(nu),
    mjcfEffort: new Map<number, number>(),
  };
  for (let a = 0; a < nu; a++) {
    const aname = nameOf(mujoco, model, MJ_OBJ.actuator, a, `actuator${a}`);
    const tt = at(trntype, a);
    const j = at(trnid, 2 * a);
    if ((tt !== MJ_TRN.joint && tt !== MJ_TRN.jointInParent) || !reported.has(j)) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `actuator "${aname}" of "${modelPath}" does not drive a hinge or slide joint outside the base; the link drives joint actuators only`,
      );
    }
    // A servo's bias is -kp * q - kv * qdot (MuJoCo <position>/<velocity> shortcuts).
    let iface: CommandInterface = 'effort';
    if (at(biastype, a) === MJ_BIAS.affine) {
      if (at(biasprm, 10 * a + 1) !== 0) iface = 'position';
      else if (at(biasprm, 10 * a + 2) !== 0) iface = 'velocity';
    }
    let lo = -Infinity;
    let hi = Infinity;
    if (at(ctrlLimited, a) !== 0) {
      lo = at(ctrlRange, 2 * a);
      hi = at(ctrlRange, 2 * a + 1);
    } else if (iface === 'position' && at(limited, j) !== 0) {
      lo = at(range, 2 * j);
      hi = at(range, 2 * j + 1);
    }
    const g = Math.abs(at(gear, 6 * a));
    let effort: number | null = null;
    if (at(forceLimited, a) !== 0) {
      effort = Math.max(Math.abs(at(forceRange, 2 * a)), Math.abs(at(forceRange, 2 * a + 1)));
    } else if (iface === 'effort' && Number.isFinite(lo) && Number.isFinite(hi)) {
      effort = Math.max(Math.abs(lo), Math.abs(hi)) * g;
    }
    if (effort !== null) out.mjcfEffort.set(j, Math.max(effort, out.mjcfEffort.get(j) ?? 0));
    out.cmdLo[a] = lo;
    out.cmdHi[a] = hi;
    out.qposAdr[a] = at(qposadr, j);
    out.interfaces.push(iface);
    out.actuators.push({
      name: aname,
      joint: jointName(j),
      interface: iface,
      commandLimits: [lo, hi],
    });
  }
  return out;
}

/** JointInfo per reported joint; effort limit: URDF, else the joint's, else its actuators'. */
function describeJoints(
  model: MjModelHandle,
  jointIds: readonly number[],
  mjcfEffort: ReadonlyMap<number, number>,
  urdf: UrdfInfo | null,
  jointName: (j: number) => string,
): JointInfo[] {
  const limited = model.jnt_limited;
  const range = model.jnt_range;
  const actLimited = model.jnt_actfrclimited;
  const actRange = model.jnt_actfrcrange;
  const jtype = model.jnt_type;
  return jointIds.map((j) => {
    const jname = jointName(j);
    const urdfLimits = urdf?.limits.get(jname);
    let effortLimit: number | null = urdfLimits?.effort ?? null;
    if (effortLimit === null && at(actLimited, j) !== 0) {
      effortLimit = Math.max(Math.abs(at(actRange, 2 * j)), Math.abs(at(actRange, 2 * j + 1)));
    }
    effortLimit ??= mjcfEffort.get(j) ?? null;
    return {
      name: jname,
      type: at(jtype, j) === MJ_JNT.hinge ? 'hinge' : 'slide',
      positionLimits: at(limited, j) !== 0 ? [at(range, 2 * j), at(range, 2 * j + 1)] : null,
      velocityLimit: urdfLimits?.velocity ?? null,
      effortLimit,
    };
  });
}

/** The model's keyframes (MJCF `<key>`): reported joint positions and the free base's height. */
function readKeyframes(
  mujoco: MujocoModule,
  model: MjModelHandle,
  jointIds: readonly number[],
  jointName: (j: number) => string,
  base: { readonly kind: BaseKind; readonly joints: ReadonlySet<number> },
): readonly RobotKeyframe[] {
  const qposadr = model.jnt_qposadr;
  const [freeJoint] = base.joints;
  const baseZAdr =
    base.kind === 'free' && freeJoint !== undefined ? at(qposadr, freeJoint) + 2 : -1;
  const keys: RobotKeyframe[] = [];
  for (let k = 0; k < model.nkey; k++) {
    const o = k * model.nq;
    const jointPositions: Record<string, number> = {};
    for (const j of jointIds) jointPositions[jointName(j)] = at(model.key_qpos, o + at(qposadr, j));
    keys.push(
      Object.freeze({
        name: nameOf(mujoco, model, MJ_OBJ.key, k, `key${k}`),
        jointPositions: Object.freeze(jointPositions),
        baseHeightM: baseZAdr >= 0 ? at(model.key_qpos, o + baseZAdr) : null,
      }),
    );
  }
  return Object.freeze(keys);
}
