import type { ActuatorInfo, JointInfo } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { SafetyConfig } from './safetyConfig.js';

/** Command interface codes of {@link ActuatorTable.iface}. */
export const EFFORT = 0;
export const POSITION = 1;
export const VELOCITY = 2;

function ifaceCode(info: ActuatorInfo): number {
  switch (info.interface) {
    case 'effort':
      return EFFORT;
    case 'position':
      return POSITION;
    case 'velocity':
      return VELOCITY;
  }
}

/**
 * What the safety gate knows of each actuator, one entry per actuator of the robot in model order
 * (the link's command vector), built once at construction. Infinity where the model gives no
 * limit; -1 where a joint is not in the state.
 */
export interface ActuatorTable {
  /** Command limits, command units: every command, the safe command too, stays within them. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /**
   * The policy's bounds, command units: the command limits, narrowed by a position action space
   * to nominal -+ scale. A policy's action is clamped to them before the soft start and the rate
   * limit, so a robot outside them (lying down when armed) is brought in at the rate limit, and a
   * safe command holding a pose outside them is not pulled in with a jump.
   */
  readonly actLo: Float64Array;
  readonly actHi: Float64Array;
  /** EFFORT, POSITION or VELOCITY. */
  readonly iface: Uint8Array;
  /** Index of the joint's position / velocity in the state vector, or -1. */
  readonly posIndex: Int32Array;
  readonly velIndex: Int32Array;
  /** The joint's position limits, rad or m. */
  readonly qLo: Float64Array;
  readonly qHi: Float64Array;
  /** The joint's velocity limit, rad/s or m/s. */
  readonly vMax: Float64Array;
  /** |effort| limit in command units. */
  readonly effMax: Float64Array;
  /** N m (N) per command unit of effort actuators. */
  readonly nmPerUnit: Float64Array;
  /** Largest change per tick, command units (Infinity: no rate limit). */
  readonly rateStep: Float64Array;
  /** For each commanded actuator (action order), its slot in the robot's actuator vector. */
  readonly slot: Int32Array;
  /** Position actuators of a position action space: the stance the safe command holds; NaN else. */
  readonly stance: Float64Array;
}

/** The action space's part the gate enforces (src/control/ActionSpace.ts), action order. */
export interface GateActionSpace {
  readonly kind: 'effort' | 'position';
  readonly low: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly nominal: ArrayLike<number>;
}

/**
 * Narrow the table to a position action space: each commanded position actuator's policy bounds
 * become the space's bounds (nominal -+ scale), its rate step a share of that width, and its safe
 * command the stance (nominal). An effort space changes nothing. Called at construction and when
 * the nominal is captured at arming; `base` is the table as built from the model.
 */
export function applyActionSpace(
  t: ActuatorTable,
  base: ActuatorTable,
  space: GateActionSpace,
  config: SafetyConfig,
  periodMs: number,
): void {
  if (space.kind !== 'position') return;
  for (let i = 0; i < t.slot.length; i++) {
    const k = t.slot[i]!;
    if (t.iface[k] !== POSITION) continue;
    const lo = Math.max(base.lo[k]!, space.low[i]!);
    const hi = Math.min(base.hi[k]!, space.high[i]!);
    if (!(lo <= hi)) continue;
    t.actLo[k] = lo;
    t.actHi[k] = hi;
    t.stance[k] = Math.min(hi, Math.max(lo, space.nominal[i]!));
    if (config.rate_limit.enabled) {
      t.rateStep[k] = config.rate_limit.range_per_s * (hi - lo) * (periodMs / 1000);
    }
  }
}

/**
 * Build the table. Throws MODEL_UNSUPPORTED for inverted command limits, CONFIG_INVALID for a
 * position servo whose joint is not in the state (the safe command holds its measured position:
 * unmeasured, the gate could never arm), MODEL_MAPPING for a commanded actuator the robot lacks.
 *
 * @param all Every actuator of the robot, model order.
 * @param commanded Names of the actuators the policy drives, in action order.
 * @param joints The robot's joints (position, velocity and effort limits).
 * @param periodMs Control period, ms: the rate limit's step is per tick of this length.
 */
export function actuatorTable(
  all: readonly ActuatorInfo[],
  commanded: readonly string[],
  layout: StateLayout,
  joints: readonly JointInfo[],
  config: SafetyConfig,
  periodMs: number,
): ActuatorTable {
  const n = all.length;
  const t: ActuatorTable = {
    lo: new Float64Array(n),
    hi: new Float64Array(n),
    actLo: new Float64Array(n),
    actHi: new Float64Array(n),
    iface: new Uint8Array(n),
    posIndex: new Int32Array(n),
    velIndex: new Int32Array(n),
    qLo: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    qHi: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    vMax: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    effMax: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    nmPerUnit: new Float64Array(n).fill(1),
    rateStep: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    slot: new Int32Array(commanded.length),
    stance: new Float64Array(n).fill(Number.NaN),
  };
  for (let k = 0; k < n; k++) {
    const info = all[k]!;
    const lo = info.commandLimits[0];
    const hi = info.commandLimits[1];
    if (!(lo <= hi)) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `actuator "${info.name}" has command limits [${lo}, ${hi}]; expected lower <= upper`,
      );
    }
    t.lo[k] = lo;
    t.hi[k] = hi;
    t.actLo[k] = lo;
    t.actHi[k] = hi;
    t.iface[k] = ifaceCode(info);
    t.posIndex[k] = stateIndex(layout, `joint.${info.joint}.pos`);
    t.velIndex[k] = stateIndex(layout, `joint.${info.joint}.vel`);
    if (t.iface[k] === POSITION && t.posIndex[k]! < 0) {
      throw new StriderError(
        'CONFIG_INVALID',
        `actuator "${info.name}" commands the position of joint "${info.joint}", which is not in ` +
          'the state: the safety gate holds a position servo at its measured position, so add ' +
          `"${info.joint}" to state.joints`,
      );
    }
    const joint = joints.find((j) => j.name === info.joint);
    if (joint?.positionLimits) {
      t.qLo[k] = joint.positionLimits[0];
      t.qHi[k] = joint.positionLimits[1];
    }
    if (joint?.velocityLimit != null && joint.velocityLimit > 0) t.vMax[k] = joint.velocityLimit;
    const range = Math.max(Math.abs(lo), Math.abs(hi));
    if (info.interface === 'effort' && joint?.effortLimit != null && joint.effortLimit > 0) {
      if (Number.isFinite(range) && range > 0) t.nmPerUnit[k] = joint.effortLimit / range;
      t.effMax[k] = joint.effortLimit / t.nmPerUnit[k]!;
    }
    if (config.rate_limit.enabled && Number.isFinite(hi - lo)) {
      t.rateStep[k] = config.rate_limit.range_per_s * (hi - lo) * (periodMs / 1000);
    }
  }
  const names = all.map((a) => a.name);
  for (let i = 0; i < commanded.length; i++) {
    const slot = names.indexOf(commanded[i]!);
    if (slot < 0) {
      throw new StriderError(
        'MODEL_MAPPING',
        `control.actuators: actuator "${commanded[i]!}" is not in the robot model; its actuators are: ${names.join(', ')}`,
      );
    }
    t.slot[i] = slot;
  }
  return t;
}
