/**
 * Reading a loaded MuJoCo model and its data: bounds-safe element access, object names, and the
 * cached typed views into mjData that the link and the kinematics writer share.
 */
import type { MjDataHandle, MjModelHandle, MujocoModule } from './mujocoTypes.js';

/** `a[i]`, or 0 past the end (WASM views are exact-length; this keeps index loops total). */
export function at(a: ArrayLike<number>, i: number): number {
  return a[i] ?? 0;
}

/**
 * The name of object `id`, or `fallback` when it has none. This build's mj_id2name turns the NULL
 * it returns for unnamed objects into whatever string lies at address 0, so check the round trip.
 */
export function nameOf(
  mujoco: MujocoModule,
  model: MjModelHandle,
  type: number,
  id: number,
  fallback: string,
): string {
  const name = mujoco.mj_id2name(model, type, id);
  return name.length > 0 && mujoco.mj_name2id(model, type, name) === id ? name : fallback;
}

/**
 * Cached typed views into mjData's WASM memory. Borrowed: they detach (length 0) when WASM memory
 * grows, so holders rebuild them with {@link dataViews} when `qpos.length` no longer matches nq.
 */
export interface DataViews {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly qacc: Float64Array;
  readonly ctrl: Float64Array;
  readonly qfrcActuator: Float64Array;
  readonly xpos: Float64Array;
  readonly xquat: Float64Array;
  readonly xmat: Float64Array;
  readonly subtreeCom: Float64Array;
  readonly cvel: Float64Array;
  readonly cacc: Float64Array;
}

/** Fresh views of `d` (each embind getter builds one; read them once and cache). */
export function dataViews(d: MjDataHandle): DataViews {
  return {
    qpos: d.qpos,
    qvel: d.qvel,
    qacc: d.qacc,
    ctrl: d.ctrl,
    qfrcActuator: d.qfrc_actuator,
    xpos: d.xpos,
    xquat: d.xquat,
    xmat: d.xmat,
    subtreeCom: d.subtree_com,
    cvel: d.cvel,
    cacc: d.cacc,
  };
}

/** Normalise the quaternion (w, x, y, z) at `q[adr..adr+3]` in place; a zero one becomes identity. */
export function normaliseQuat(q: Float64Array, adr: number): void {
  const w = at(q, adr);
  const x = at(q, adr + 1);
  const y = at(q, adr + 2);
  const z = at(q, adr + 3);
  const n = Math.sqrt(w * w + x * x + y * y + z * z);
  if (n > 0) {
    q[adr] = w / n;
    q[adr + 1] = x / n;
    q[adr + 2] = y / n;
    q[adr + 3] = z / n;
  } else {
    q[adr] = 1;
    q[adr + 1] = 0;
    q[adr + 2] = 0;
    q[adr + 3] = 0;
  }
}
