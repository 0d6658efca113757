import type { Float64MultiArray } from '../msgs/types.js';
import type { ActuatorInfo, RobotLink } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';

/** What the gate did with a command. */
export type GateVerdict = 'ok' | 'clamped' | 'state_not_finite' | 'action_not_finite';

/**
 * The only path to the robot link's command side. It checks the state a command is built from
 * (finite) and the command itself (finite, within each actuator's command limits) and sends
 * either the command or the safe command: zero effort for effort/velocity actuators, the measured
 * joint position for position actuators. Actuators the policy does not drive always get their safe
 * value.
 *
 * This is the foundation's gate; staleness, rate limits, tilt, soft start and the latched stop
 * are the safety issue's work and belong here too.
 */
export class SafetyGate {
  readonly #link: RobotLink;
  /** Per actuator of the robot (model order): limits, interface, state index of its joint position. */
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #isPosition: Uint8Array;
  readonly #holdIndex: Int32Array;
  /** For each commanded actuator (action order), its slot in the robot's actuator vector. */
  readonly #slot: Int32Array;
  readonly #msg: Float64MultiArray;
  readonly #data: Float64Array;
  #safeCommands = 0;
  #clamps = 0;

  /**
   * @param all Every actuator of the robot, model order (the link's command vector).
   * @param commanded Names of the actuators the policy drives, in action order.
   */
  constructor(
    link: RobotLink,
    all: readonly ActuatorInfo[],
    commanded: readonly string[],
    layout: StateLayout,
  ) {
    this.#link = link;
    const n = all.length;
    this.#lo = new Float64Array(n);
    this.#hi = new Float64Array(n);
    this.#isPosition = new Uint8Array(n);
    this.#holdIndex = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const info = all[k]!;
      this.#lo[k] = info.commandLimits[0];
      this.#hi[k] = info.commandLimits[1];
      this.#isPosition[k] = info.interface === 'position' ? 1 : 0;
      this.#holdIndex[k] = stateIndex(layout, `joint.${info.joint}.pos`);
    }
    const names = all.map((a) => a.name);
    this.#slot = new Int32Array(commanded.length);
    for (let i = 0; i < commanded.length; i++) {
      const slot = names.indexOf(commanded[i]!);
      if (slot < 0) {
        throw new StriderError(
          'MODEL_MAPPING',
          `control.actuators: actuator "${commanded[i]!}" is not in the robot model; its actuators are: ${names.join(', ')}`,
        );
      }
      this.#slot[i] = slot;
    }
    this.#data = new Float64Array(n);
    this.#msg = {
      layout: { dim: [{ label: 'actuators', size: n, stride: n }], data_offset: 0 },
      data: this.#data,
    };
  }

  /** Safe commands sent so far. */
  get safeCommands(): number {
    return this.#safeCommands;
  }

  /** Commands that had at least one element clamped to its limit. */
  get clamps(): number {
    return this.#clamps;
  }

  /**
   * Check `state` and `action` (one value per commanded actuator), clamp, and send. Writes the
   * value actually sent for each commanded actuator into `executed`. Never throws on bad numbers.
   */
  send(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    for (let i = 0; i < state.length; i++) {
      if (!Number.isFinite(state[i]!)) return this.#sendSafe(state, executed, 'state_not_finite');
    }
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i]!)) return this.#sendSafe(state, executed, 'action_not_finite');
    }
    this.#fillSafe(state);
    let clamped = false;
    for (let i = 0; i < this.#slot.length; i++) {
      const k = this.#slot[i]!;
      let a = action[i]!;
      if (a < this.#lo[k]!) {
        a = this.#lo[k]!;
        clamped = true;
      } else if (a > this.#hi[k]!) {
        a = this.#hi[k]!;
        clamped = true;
      }
      this.#data[k] = a;
      executed[i] = a;
    }
    if (clamped) this.#clamps++;
    this.#link.sendCommand(this.#msg);
    return clamped ? 'clamped' : 'ok';
  }

  /** Send the safe command, e.g. while the state is incomplete. */
  sendSafe(state: Float32Array, executed: Float32Array): void {
    this.#sendSafe(state, executed, 'state_not_finite');
  }

  #sendSafe(state: Float32Array, executed: Float32Array, verdict: GateVerdict): GateVerdict {
    this.#fillSafe(state);
    for (let i = 0; i < this.#slot.length; i++) executed[i] = this.#data[this.#slot[i]!]!;
    this.#safeCommands++;
    this.#link.sendCommand(this.#msg);
    return verdict;
  }

  /** Every actuator's safe value: zero effort, or hold the measured position (range middle if unknown). */
  #fillSafe(state: Float32Array): void {
    for (let k = 0; k < this.#data.length; k++) {
      const lo = this.#lo[k]!;
      const hi = this.#hi[k]!;
      if (this.#isPosition[k] === 1) {
        const j = this.#holdIndex[k]!;
        const q = j >= 0 ? state[j]! : Number.NaN;
        this.#data[k] = Number.isFinite(q) ? Math.min(hi, Math.max(lo, q)) : (lo + hi) / 2;
      } else {
        this.#data[k] = Math.min(hi, Math.max(lo, 0));
      }
    }
  }
}
