import type { OnnxGraphBuilder } from './OnnxGraphBuilder.js';

/**
 * A task reward in the form the policy's return term differentiates (buildPolicyReturnGraph):
 *
 *   r = c . s' - w sum_j ((a_j - nominal_j) invHalf_j)^2 [- tilt] [+ tracking] [- legged]
 *
 * ForwardSpeedReward.linearForm() gives c (base.linvel.x) and the control cost; CmdVelReward /
 * LeggedReward.differentiableForm() give c = 0, `tracking` and (legged) `legged`.
 */
export interface DifferentiableReward {
  /** S: c, the weight of each next-state value. */
  readonly stateWeights: Float32Array;
  /** w, the control cost weight. */
  readonly ctrlWeight: number;
  /** A: where the control cost is zero (raw units). */
  readonly nominal: Float32Array;
  /** A: 1 / half-width of each action (the cost sees actions in [-1, 1]). */
  readonly invHalf: Float32Array;
  /**
   * planner.tilt_cost, smoothed so it has a gradient: minus cost x sigmoid(sharpness x (cosMax -
   * cosTilt)) per step, cosTilt = 1 - 2 (q_x^2 + q_y^2) of the next state's base quaternion (the
   * unit-quaternion form of the safety gate's tiltVerdict). Absent: no tilt term.
   */
  readonly tilt?: {
    /** State indices of base.quat.x and base.quat.y. */
    readonly x: number;
    readonly y: number;
    readonly cost: number;
    /** cos(safety.tilt.max_rad). */
    readonly cosMax: number;
    /** Slope of the sigmoid in units of cosTilt (10: from 12% to 88% over 0.4). */
    readonly sharpness: number;
  };
  /** cmd_vel tracking (CmdVelReward's exponentials and linear pull). */
  readonly tracking?: TrackingTerms;
  /** LeggedReward's shaping terms. */
  readonly legged?: LeggedTerms;
}

/**
 * exp(-|v_xy - v*_xy|^2 / 0.25) + 0.5 exp(-(w_z - w*_z)^2 / 0.25) - l1 (|v_xy - v*_xy| + 0.5
 * |w_z - w*_z|), v the heading-frame velocity (world base.linvel turned by -yaw of base.quat).
 * The norms are smoothed, sqrt(e^2 + 1e-6), so they have a gradient at zero error.
 */
export interface TrackingTerms {
  /** State indices of base.linvel.x, base.linvel.y, base.angvel.z. */
  readonly vx: number;
  readonly vy: number;
  readonly wz: number;
  /** base.quat.w (x, y, z follow); -1: velocities compared in the world frame. */
  readonly quatW: number;
  readonly l1: number;
  /**
   * (v*_x, v*_y, w*_z) when the policy takes no command; with one (commandDim 3) each rollout
   * tracks the command of the state it started from.
   */
  readonly target: readonly [number, number, number];
}

/**
 * LeggedReward's penalties (src/planning/leggedReward.ts), its fall indicator smoothed:
 * w_fall (1 - (1 - sig_tilt)(1 - sig_z)), sig_tilt = sigmoid(20 (cosMax - up)) and sig_z =
 * sigmoid(50 (minZ - z)) (from 12% to 88% over 0.2 in cos tilt and 8 cm in height). The action
 * rate term needs the previous action: in a rollout from step 1 on, the policy's own.
 */
export interface LeggedTerms {
  /** base.quat.w (x, y, z follow); -1: no upright or tilt-fall term. */
  readonly quatW: number;
  readonly upright: number;
  readonly height: {
    readonly index: number;
    readonly target: number;
    readonly weight: number;
  } | null;
  /** base.angvel.x (y follows). */
  readonly angVelXY: { readonly index: number; readonly weight: number } | null;
  /** base.linvel.z. */
  readonly linVelZ: { readonly index: number; readonly weight: number } | null;
  readonly actionRate: number;
  readonly fall: {
    readonly weight: number;
    /** cos(safety.tilt.max_rad). */
    readonly cosMax: number;
    /** Fallen below this base height, m; NaN: height not judged. */
    readonly minZ: number;
  };
}

/** Slopes of the smoothed fall indicator: per unit cos tilt, per metre. */
export const FALL_SHARPNESS = { tilt: 20, height: 50 } as const;
const NORM_EPS = 1e-6;

/** One step's reward and its partial derivatives (of the reward, not of a loss). */
export interface StepReward {
  /** Scalar: the reward summed over all rows. */
  readonly sum: string;
  /** E x B2 x S: dr/ds'. */
  readonly dNext: string;
  /** E x B2 x A: dr/da_t. */
  readonly dAct: string;
  /** E x B2 x A: dr/da_{t-1} (the action rate term), null without one. */
  readonly dPrev: string | null;
}

/**
 * The reward's ops for one graph: `step(next, act, prev, command)` adds one rollout step's
 * reward and its hand-derived gradient (next E x B2 x S raw, act and prev E x B2 x A raw, command
 * E x B2 x 3 or null). Constants are made once per graph.
 */
export function rewardGraph(
  g: OnnxGraphBuilder,
  r: DifferentiableReward,
  S: number,
): (next: string, act: string, prev: string | null, command: string | null) => StepReward {
  const op = (type: string, ...inputs: string[]): string => g.op(type, inputs);
  const mul = (...v: string[]): string => v.reduce((a, b) => op('Mul', a, b));
  const add = (...v: string[]): string => v.reduce((a, b) => op('Add', a, b));
  const sub = (a: string, b: string): string => op('Sub', a, b);
  const k = (v: number): string => g.scalar(v);
  const sq = (v: string): string => mul(v, v);
  /** Column i of a E x B2 x W tensor: E x B2 x 1. */
  const col = (v: string, i: number): string =>
    g.op('Slice', [v, g.ints([i]), g.ints([i + 1]), g.ints([2])]);
  const rowSum = (v: string): string => g.op('ReduceSum', [v, g.ints([2])], { keepdims: 1 });
  const unit = new Map<number, string>();
  const onehot = (i: number): string => {
    let name = unit.get(i);
    if (name === undefined) {
      const data = new Float32Array(S);
      data[i] = 1;
      name = g.initializer(`reward_unit_${i}`, [S], data);
      unit.set(i, name);
    }
    return name;
  };
  const cState = g.initializer('reward_state_weights', [S], r.stateWeights);
  const nominal = g.initializer('reward_nominal', [r.nominal.length], r.nominal);
  const invHalf = g.initializer('reward_inv_half', [r.invHalf.length], r.invHalf);
  const invHalf2 = g.initializer(
    'reward_inv_half2',
    [r.invHalf.length],
    Float32Array.from(r.invHalf, (v) => v * v),
  );

  return (next, act, prev, command) => {
    /** dr/ds' as (column, E x B2 x 1 coefficient) pairs beside the linear part. */
    const parts: [number, string][] = [];
    const u = mul(sub(act, nominal), invHalf);
    let row = sub(rowSum(mul(next, cState)), mul(rowSum(sq(u)), k(r.ctrlWeight)));
    let dAct = mul(sub(act, nominal), invHalf2, k(-2 * r.ctrlWeight));
    let dPrev: string | null = null;
    let dNextDense = add(mul(next, k(0)), cState);

    const tilt = r.tilt;
    if (tilt !== undefined) {
      const x = col(next, tilt.x);
      const y = col(next, tilt.y);
      const sg = g.op('Sigmoid', [
        mul(add(mul(add(sq(x), sq(y)), k(2)), k(tilt.cosMax - 1)), k(tilt.sharpness)),
      ]);
      row = sub(row, mul(sg, k(tilt.cost)));
      const slope = mul(sg, sub(k(1), sg), k(-4 * tilt.cost * tilt.sharpness));
      parts.push([tilt.x, mul(slope, x)], [tilt.y, mul(slope, y)]);
    }

    const tr = r.tracking;
    if (tr !== undefined) {
      let vx = col(next, tr.vx);
      let vy = col(next, tr.vy);
      const wz = col(next, tr.wz);
      let rot: { c: string; s: string; n: string; cy: string; sy: string } | null = null;
      const q = tr.quatW >= 0 ? [0, 1, 2, 3].map((i) => col(next, tr.quatW + i)) : null;
      if (q !== null) {
        const [w, x, y, z] = q as [string, string, string, string];
        const c = sub(add(sq(w), sq(x)), add(sq(y), sq(z)));
        const s = mul(add(mul(w, z), mul(x, y)), k(2));
        const n = op('Sqrt', add(sq(c), sq(s), k(1e-12)));
        const cy = op('Div', c, n);
        const sy = op('Div', s, n);
        rot = { c, s, n, cy, sy };
        const hx = add(mul(cy, vx), mul(sy, vy));
        vy = sub(mul(cy, vy), mul(sy, vx));
        vx = hx;
      }
      const target = (i: number): string => (command !== null ? col(command, i) : k(tr.target[i]!));
      const ex = sub(vx, target(0));
      const ey = sub(vy, target(1));
      const ew = sub(wz, target(2));
      const e2 = add(sq(ex), sq(ey));
      const expV = op('Exp', mul(e2, k(-4)));
      const expW = op('Exp', mul(sq(ew), k(-4)));
      row = add(row, expV, mul(expW, k(0.5)));
      // d/d(ex, ey) and d/d(ew) of the tracking reward
      let gv = mul(expV, k(-8));
      let gw = mul(expW, ew, k(-4));
      if (tr.l1 > 0) {
        const ne = op('Sqrt', add(e2, k(NORM_EPS)));
        const aw = op('Sqrt', add(sq(ew), k(NORM_EPS)));
        row = sub(row, mul(add(ne, mul(aw, k(0.5))), k(tr.l1)));
        gv = sub(gv, mul(op('Reciprocal', ne), k(tr.l1)));
        gw = sub(gw, mul(op('Div', ew, aw), k(0.5 * tr.l1)));
      }
      const gx = mul(gv, ex);
      const gy = mul(gv, ey);
      parts.push([tr.wz, gw]);
      if (rot === null || q === null) {
        parts.push([tr.vx, gx], [tr.vy, gy]);
      } else {
        const { c, s, n, cy, sy } = rot;
        const [w, x, y, z] = q as [string, string, string, string];
        // vx, vy are now the heading frame's; the world-frame ones:
        const wx = col(next, tr.vx);
        const wy = col(next, tr.vy);
        parts.push([tr.vx, sub(mul(gx, cy), mul(gy, sy))], [tr.vy, add(mul(gx, sy), mul(gy, cy))]);
        // through the yaw: K = (Gc s - Gs c) / n^3, Gc = gx vx + gy vy, Gs = gx vy - gy vx
        const gc = add(mul(gx, wx), mul(gy, wy));
        const gs = sub(mul(gx, wy), mul(gy, wx));
        const kk = op('Div', mul(sub(mul(gc, s), mul(gs, c)), k(2)), mul(n, n, n));
        parts.push(
          [tr.quatW, mul(kk, sub(mul(s, w), mul(c, z)))],
          [tr.quatW + 1, mul(kk, sub(mul(s, x), mul(c, y)))],
          [tr.quatW + 2, mul(kk, op('Neg', add(mul(s, y), mul(c, x))))],
          [tr.quatW + 3, mul(kk, op('Neg', add(mul(s, z), mul(c, w))))],
        );
      }
    }

    const lg = r.legged;
    if (lg !== undefined) {
      let penalty = '';
      const pen = (v: string): void => {
        penalty = penalty === '' ? v : add(penalty, v);
      };
      let sigTilt: string | null = null;
      let sigZ: string | null = null;
      /** The quaternion's columns, |q|^2, x^2 + y^2 and up = 1 - 2 (x^2 + y^2) / |q|^2. */
      let tiltParts: {
        q: [string, string, string, string];
        n2: string;
        uxy: string;
        up: string;
      } | null = null;
      if (lg.quatW >= 0) {
        const q = [0, 1, 2, 3].map((i) => col(next, lg.quatW + i)) as [
          string,
          string,
          string,
          string,
        ];
        const [w, x, y, z] = q;
        const n2 = add(sq(w), sq(x), sq(y), sq(z));
        const uxy = add(sq(x), sq(y));
        const up = sub(k(1), op('Div', mul(uxy, k(2)), n2));
        tiltParts = { q, n2, uxy, up };
        pen(mul(sub(k(1), sq(up)), k(lg.upright)));
        sigTilt = g.op('Sigmoid', [mul(sub(k(lg.fall.cosMax), up), k(FALL_SHARPNESS.tilt))]);
      }
      const h = lg.height;
      if (h !== null) {
        const z = col(next, h.index);
        const dz = sub(z, k(h.target));
        pen(mul(sq(dz), k(h.weight)));
        parts.push([h.index, mul(dz, k(-2 * h.weight))]);
        if (Number.isFinite(lg.fall.minZ)) {
          sigZ = g.op('Sigmoid', [mul(sub(k(lg.fall.minZ), z), k(FALL_SHARPNESS.height))]);
        }
      }
      // the fall indicator and its slopes
      if (sigTilt !== null || sigZ !== null) {
        const stay = mul(
          ...[sigTilt, sigZ].filter((v): v is string => v !== null).map((v) => sub(k(1), v)),
        );
        pen(mul(sub(k(1), stay), k(lg.fall.weight)));
      }
      if (tiltParts !== null) {
        const { q, n2, uxy, up } = tiltParts;
        const [w, x, y, z] = q;
        // dpenalty/dup: upright's -2 w up, the fall's w_fall (1 - sig_z) sig' (-k)
        let dUp = mul(up, k(-2 * lg.upright));
        const dSig = mul(sigTilt!, sub(k(1), sigTilt!), k(-FALL_SHARPNESS.tilt * lg.fall.weight));
        dUp = add(dUp, sigZ === null ? dSig : mul(dSig, sub(k(1), sigZ)));
        // up = 1 - 2 u / n2, u = x^2 + y^2: dup/dx = -4 x (n2 - u) / n2^2, dup/dw = 4 u w / n2^2
        const f = op('Div', mul(dUp, k(-1)), sq(n2)); // minus: a penalty lowers the reward
        const fxy = mul(f, sub(n2, uxy), k(-4));
        const fwz = mul(f, uxy, k(4));
        parts.push(
          [lg.quatW, mul(fwz, w)],
          [lg.quatW + 1, mul(fxy, x)],
          [lg.quatW + 2, mul(fxy, y)],
          [lg.quatW + 3, mul(fwz, z)],
        );
      }
      if (sigZ !== null) {
        const dSig = mul(sigZ, sub(k(1), sigZ), k(FALL_SHARPNESS.height * lg.fall.weight));
        parts.push([h!.index, sigTilt === null ? dSig : mul(dSig, sub(k(1), sigTilt))]);
      }
      const av = lg.angVelXY;
      if (av !== null && av.weight > 0) {
        const wx = col(next, av.index);
        const wy = col(next, av.index + 1);
        pen(mul(add(sq(wx), sq(wy)), k(av.weight)));
        parts.push(
          [av.index, mul(wx, k(-2 * av.weight))],
          [av.index + 1, mul(wy, k(-2 * av.weight))],
        );
      }
      const vz = lg.linVelZ;
      if (vz !== null && vz.weight > 0) {
        const v = col(next, vz.index);
        pen(mul(sq(v), k(vz.weight)));
        parts.push([vz.index, mul(v, k(-2 * vz.weight))]);
      }
      if (prev !== null && lg.actionRate > 0) {
        const d = sub(act, prev);
        pen(mul(rowSum(sq(mul(d, invHalf))), k(lg.actionRate)));
        const gd = mul(d, invHalf2, k(-2 * lg.actionRate));
        dAct = add(dAct, gd);
        dPrev = op('Neg', gd);
      }
      if (penalty !== '') row = sub(row, penalty);
    }

    for (const [i, coef] of parts) dNextDense = add(dNextDense, mul(coef, onehot(i)));
    return {
      sum: g.op('ReduceSum', [row], { keepdims: 0 }),
      dNext: dNextDense,
      dAct,
      dPrev,
    };
  };
}
