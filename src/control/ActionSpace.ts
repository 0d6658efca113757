import type { ActionConfig } from '../config/schema.js';
import type { ActuatorInfo, JointInfo, RobotDescription } from '../robot/types.js';
import { StriderError } from '../util/StriderError.js';

/** Where the nominal action (the stance, in position space) comes from. */
export type NominalSource = 'zero' | 'keyframe' | 'config' | 'arming';

/** Scale of a joint that control.action.scale (a map) does not name, rad or m. */
const DEFAULT_SCALE = 0.3;

/**
 * What an action means, built once from the robot description and `control.action`, and shared by
 * the random policy, the planner's bounds and warm-start tail, the reward's control cost and the
 * safety gate's limits and safe command. Arrays are per commanded actuator (action order), in the
 * actuator's raw command units:
 * - effort: low/high the command range, nominal 0 clipped to it, halfWidth half the range;
 * - position: targets nominal + scale * a for a in [-1, 1]: low/high = nominal -+ scale,
 *   halfWidth = scale.
 *
 * With nominal `arming` the stance is unknown until the safety gate first arms: until then the
 * nominal is the midpoint of each command range (clipped), and captureNominal() sets it once.
 */
export class ActionSpace {
  readonly kind: ActionConfig['space'];
  readonly nominalSource: NominalSource;
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly nominal: Float32Array;
  readonly halfWidth: Float32Array;
  /** World z of the base origin in the stance (a keyframe's), m; null where unknown. */
  readonly stanceBaseHeightM: number | null;
  /** The commanded actuators' joints, action order. */
  readonly joints: readonly string[];
  readonly #commandLo: Float32Array;
  readonly #commandHi: Float32Array;
  #captured = false;

  private constructor(
    actuators: readonly ActuatorInfo[],
    kind: ActionConfig['space'],
    nominalSource: NominalSource,
    nominal: Float32Array,
    halfWidth: Float32Array,
    stanceBaseHeightM: number | null,
  ) {
    const n = actuators.length;
    this.kind = kind;
    this.nominalSource = nominalSource;
    this.nominal = nominal;
    this.halfWidth = halfWidth;
    this.stanceBaseHeightM = stanceBaseHeightM;
    this.joints = Object.freeze(actuators.map((a) => a.joint));
    this.#commandLo = Float32Array.from(actuators, (a) => a.commandLimits[0]);
    this.#commandHi = Float32Array.from(actuators, (a) => a.commandLimits[1]);
    this.low = new Float32Array(n);
    this.high = new Float32Array(n);
    this.#updateBounds();
  }

  /** Effort (or any command) space over the whole command range, nominal 0 clipped to it. */
  static commandRange(actuators: readonly ActuatorInfo[]): ActionSpace {
    const nominal = Float32Array.from(actuators, (a) => clip(0, a.commandLimits));
    const half = Float32Array.from(actuators, (a) => (a.commandLimits[1] - a.commandLimits[0]) / 2);
    return new ActionSpace(actuators, 'effort', 'zero', nominal, half, null);
  }

  /**
   * The action space `control.action` describes for these commanded actuators.
   * @throws StriderError CONFIG_INVALID for a keyframe the model lacks (naming those it has), a
   *   scale that would command outside a joint's range, a position space on an actuator that is
   *   not a position servo; MODEL_MAPPING for a stance or scale joint the model lacks
   */
  static fromConfig(
    description: RobotDescription,
    actuators: readonly ActuatorInfo[],
    config: ActionConfig,
  ): ActionSpace {
    if (config.space === 'effort') return ActionSpace.commandRange(actuators);
    for (const a of actuators) {
      if (a.interface === 'position') continue;
      throw new StriderError(
        'CONFIG_INVALID',
        `control.action.space: position needs a position servo on every commanded joint, but joint ` +
          `"${a.joint}" is driven by the ${a.interface} actuator "${a.name}"; expected a position ` +
          'command interface (ros2_control), an MJCF <position> actuator, or, for a URDF in MuJoCo, ' +
          'control.action.pd: { kp, kv } (gains of the PD servo MuJoCo then adds)',
      );
    }
    const jointNames = description.joints.map((j) => j.name);
    checkJointNames('control.action.scale', config.scale, jointNames);
    const scale = Float32Array.from(actuators, (a) =>
      typeof config.scale === 'number' ? config.scale : (config.scale[a.joint] ?? DEFAULT_SCALE),
    );
    const { nominal, baseHeightM } = nominalOf(description, actuators, config, jointNames);
    if (config.nominal !== 'arming')
      checkWithinRange(description.joints, actuators, nominal, scale);
    return new ActionSpace(actuators, 'position', config.nominal, nominal, scale, baseHeightM);
  }

  /** Whether the nominal still waits for captureNominal() (nominal: arming, not yet armed). */
  get awaitingCapture(): boolean {
    return this.nominalSource === 'arming' && !this.#captured;
  }

  /**
   * nominal: arming: take the stance from `positions` (per commanded actuator, measured at arming),
   * once; the bounds follow, clipped to the command range. Returns whether anything changed.
   */
  captureNominal(positions: ArrayLike<number>): boolean {
    if (!this.awaitingCapture) return false;
    for (let i = 0; i < this.nominal.length; i++) {
      const q = positions[i]!;
      if (Number.isFinite(q)) this.nominal[i] = clip(q, [this.#commandLo[i]!, this.#commandHi[i]!]);
    }
    this.#captured = true;
    this.#updateBounds();
    return true;
  }

  #updateBounds(): void {
    for (let i = 0; i < this.nominal.length; i++) {
      const range = [this.#commandLo[i]!, this.#commandHi[i]!] as const;
      if (this.kind === 'effort') {
        this.low[i] = range[0];
        this.high[i] = range[1];
      } else {
        this.low[i] = clip(this.nominal[i]! - this.halfWidth[i]!, range);
        this.high[i] = clip(this.nominal[i]! + this.halfWidth[i]!, range);
      }
    }
  }
}

function clip(v: number, range: readonly [number, number]): number {
  return v < range[0] ? range[0] : v > range[1] ? range[1] : v;
}

function checkJointNames(
  key: string,
  value: number | Readonly<Record<string, number>> | undefined,
  joints: readonly string[],
): void {
  if (value === undefined || typeof value === 'number') return;
  for (const name of Object.keys(value)) {
    if (joints.includes(name)) continue;
    throw new StriderError(
      'MODEL_MAPPING',
      `${key}: joint "${name}" is not in the robot model; its joints are: ${joints.join(', ')}`,
    );
  }
}

function nominalOf(
  description: RobotDescription,
  actuators: readonly ActuatorInfo[],
  config: ActionConfig,
  jointNames: readonly string[],
): { nominal: Float32Array; baseHeightM: number | null } {
  switch (config.nominal) {
    case 'keyframe': {
      const keys = description.keyframes ?? [];
      const key = keys.find((k) => k.name === config.keyframe);
      if (key === undefined) {
        const has =
          keys.length > 0
            ? `its keyframes are: ${keys.map((k) => k.name).join(', ')}`
            : 'it has none';
        throw new StriderError(
          'CONFIG_INVALID',
          `control.action.keyframe: "${config.keyframe}" is not a keyframe of ${description.modelPath} ` +
            `(${has}); expected an MJCF <key name="${config.keyframe}">, or control.action.nominal: ` +
            'config with control.action.stance, or nominal: arming',
        );
      }
      const nominal = Float32Array.from(actuators, (a) => key.jointPositions[a.joint] ?? 0);
      return { nominal, baseHeightM: key.baseHeightM };
    }
    case 'config': {
      const stance = config.stance;
      if (stance === undefined) {
        throw new StriderError(
          'CONFIG_INVALID',
          'control.action.stance: missing; control.action.nominal: config expected a map of joint name -> position',
        );
      }
      checkJointNames('control.action.stance', stance, jointNames);
      return {
        nominal: Float32Array.from(actuators, (a) => stance[a.joint] ?? 0),
        baseHeightM: null,
      };
    }
    case 'arming':
      return {
        nominal: Float32Array.from(actuators, (a) =>
          clip((a.commandLimits[0] + a.commandLimits[1]) / 2, a.commandLimits),
        ),
        baseHeightM: null,
      };
  }
}

/** nominal -+ scale within each joint's position range (else its command range). */
function checkWithinRange(
  joints: readonly JointInfo[],
  actuators: readonly ActuatorInfo[],
  nominal: Float32Array,
  scale: Float32Array,
): void {
  for (let i = 0; i < actuators.length; i++) {
    const a = actuators[i]!;
    const range = joints.find((j) => j.name === a.joint)?.positionLimits ?? a.commandLimits;
    const lo = nominal[i]! - scale[i]!;
    const hi = nominal[i]! + scale[i]!;
    const tol = 1e-6;
    if (lo >= range[0] - tol && hi <= range[1] + tol) continue;
    const room = Math.max(0, Math.min(nominal[i]! - range[0], range[1] - nominal[i]!));
    throw new StriderError(
      'CONFIG_INVALID',
      `control.action.scale: joint "${a.joint}" would be commanded over [${fmt(lo)}, ${fmt(hi)}] ` +
        `(nominal ${fmt(nominal[i]!)} +- scale ${fmt(scale[i]!)}), outside its range ` +
        `[${fmt(range[0])}, ${fmt(range[1])}]; expected a scale <= ${fmt(room)} for this joint`,
    );
  }
}

function fmt(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}
