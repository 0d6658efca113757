/**
 * A small typed view of the parts of mujoco-js (MuJoCo 3.3 compiled to WASM, embind bindings)
 * that the link uses. The package's own typings declare most fields as `any`; the adapter in
 * loadMujoco.ts casts the module to these interfaces once, so the rest of the code is typed.
 *
 * Array fields are embind getters that build a fresh typed-array VIEW into WASM memory on every
 * access (about 2.5 us each, measured): read them once and cache the view. A view goes stale
 * (length 0, detached buffer) when WASM memory grows, e.g. after another model is loaded.
 */

/** An embind object that owns C++ memory: call delete() exactly once. */
export interface WasmHandle {
  delete(): void;
}

/** mjOption, the subset read here. */
export interface MjOptionView {
  /** Physics time step in s. */
  timestep: number;
}

/** mjModel, the subset read here. Arrays are views into WASM memory (see module note). */
export interface MjModelHandle extends WasmHandle {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly njnt: number;
  readonly ngeom: number;
  readonly nkey: number;
  /** nkey x nq */
  readonly key_qpos: Float64Array;
  readonly opt: MjOptionView;
  readonly body_parentid: Int32Array;
  readonly body_rootid: Int32Array;
  readonly body_jntnum: Int32Array;
  readonly body_jntadr: Int32Array;
  readonly jnt_type: Int32Array;
  readonly jnt_qposadr: Int32Array;
  readonly jnt_dofadr: Int32Array;
  readonly jnt_bodyid: Int32Array;
  readonly jnt_limited: Uint8Array;
  readonly jnt_actfrclimited: Uint8Array;
  /** njnt x 2 */
  readonly jnt_range: Float64Array;
  /** njnt x 2 */
  readonly jnt_actfrcrange: Float64Array;
  /** njnt x 3 */
  readonly jnt_axis: Float64Array;
  readonly geom_type: Int32Array;
  readonly geom_bodyid: Int32Array;
  readonly geom_rbound: Float64Array;
  readonly actuator_trntype: Int32Array;
  /** nu x 2 */
  readonly actuator_trnid: Int32Array;
  readonly actuator_gaintype: Int32Array;
  readonly actuator_biastype: Int32Array;
  /** nu x 10 */
  readonly actuator_biasprm: Float64Array;
  readonly actuator_ctrllimited: Uint8Array;
  readonly actuator_forcelimited: Uint8Array;
  /** nu x 2 */
  readonly actuator_ctrlrange: Float64Array;
  /** nu x 2 */
  readonly actuator_forcerange: Float64Array;
  /** nu x 6 */
  readonly actuator_gear: Float64Array;
}

/** One mjWarningStat, copied out of mjData: delete() it after reading. */
export interface MjWarningStatHandle extends WasmHandle {
  /** info from the last warning of this kind (e.g. the dof index) */
  readonly lastinfo: number;
  /** how many times this warning was raised since the last reset */
  readonly number: number;
}

/** mjData.warning: one stat per mjtWarning. */
export interface MjWarningStatVecHandle extends WasmHandle {
  get(index: number): MjWarningStatHandle;
}

/** mjData, the subset read and written here. */
export interface MjDataHandle extends WasmHandle {
  /** Simulation time in s. */
  time: number;
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly qacc: Float64Array;
  readonly ctrl: Float64Array;
  readonly qfrc_actuator: Float64Array;
  /** nbody x 6 [force, torque], world frame, applied at each body's centre of mass */
  readonly xfrc_applied: Float64Array;
  /** nbody x 3, world frame */
  readonly xpos: Float64Array;
  /** nbody x 4 (w, x, y, z), world-from-body */
  readonly xquat: Float64Array;
  /** nbody x 9, row-major world-from-body rotation */
  readonly xmat: Float64Array;
  /** ngeom x 3, world frame */
  readonly geom_xpos: Float64Array;
  /** nbody x 3 */
  readonly subtree_com: Float64Array;
  /** nbody x 6 [angular, linear], com-based, world orientation */
  readonly cvel: Float64Array;
  /** nbody x 6 [angular, linear], com-based, world orientation (after mj_rnePostConstraint) */
  readonly cacc: Float64Array;
  /** A new SNAPSHOT copy of the warning statistics on every access: read it, delete() it. */
  readonly warning: MjWarningStatVecHandle;
  /** nsensordata values of the model's own sensors */
  readonly sensordata: Float64Array;
}

/** A heap buffer; used only to get a view of WASM memory. */
export interface DoubleBufferHandle extends WasmHandle {
  GetView(): Float64Array;
}

/** The Emscripten file system, the subset used here. */
export interface EmscriptenFs {
  mkdir(path: string): void;
  rmdir(path: string): void;
  mount(type: unknown, opts: Record<string, unknown>, mountpoint: string): void;
  unmount(mountpoint: string): void;
  writeFile(path: string, data: string | Uint8Array): void;
  readFile(path: string, opts: { encoding: 'utf8' }): string;
  analyzePath(path: string): { exists: boolean };
}

/** The module as the link uses it. */
export interface MujocoModule {
  readonly FS: EmscriptenFs;
  readonly MEMFS: unknown;
  readonly MjModel: { loadFromXML(path: string): MjModelHandle | null | undefined };
  readonly MjData: new (model: MjModelHandle) => MjDataHandle;
  readonly DoubleBuffer: new (n: number) => DoubleBufferHandle;
  mj_step(m: MjModelHandle, d: MjDataHandle): void;
  mj_forward(m: MjModelHandle, d: MjDataHandle): void;
  mj_rnePostConstraint(m: MjModelHandle, d: MjDataHandle): void;
  mj_resetData(m: MjModelHandle, d: MjDataHandle): void;
  mj_resetDataKeyframe(m: MjModelHandle, d: MjDataHandle, key: number): void;
  mj_id2name(m: MjModelHandle, objType: number, id: number): string;
  mj_saveLastXML(path: string, m: MjModelHandle): number;
  mj_versionString(): string;
  mju_warningText(warning: number, info: number): string;
  mj_name2id(m: MjModelHandle, objType: number, name: string): number;
  /** Restore MuJoCo's default warning/error/memory callbacks. */
  mj_resetCallbacks(): void;
}

/** mjtObj values used with mj_id2name. */
export const MJ_OBJ = { body: 1, joint: 3, actuator: 19, key: 24 } as const;

/** mjtJoint values. */
export const MJ_JNT = { free: 0, ball: 1, slide: 2, hinge: 3 } as const;

/** mjtTrn values: actuators that drive a joint directly. */
export const MJ_TRN = { joint: 0, jointInParent: 1 } as const;

/** mjtBias values. */
export const MJ_BIAS = { none: 0, affine: 1 } as const;

/** mjtWarning values that mean the state went bad (MuJoCo then resets mjData itself). */
export const MJ_WARN_BAD_STATE = [4, 5, 6] as const; // BADQPOS, BADQVEL, BADQACC

/** mjtGeom value of a plane. */
export const MJ_GEOM_PLANE = 0;
