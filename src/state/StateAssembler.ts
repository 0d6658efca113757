import type { BaseQuantity, StateConfig } from '../config/schema.js';
import type { Imu, JointState, Odometry, Quaternion } from '../msgs/types.js';
import { timeToSec } from '../msgs/types.js';
import type { RobotDescription, StateHandlers } from '../robot/types.js';
import { StriderError } from '../util/StriderError.js';
import type { StateLayout } from './types.js';

const BASE_NAMES: Record<BaseQuantity, readonly string[]> = {
  pos_x: ['base.pos.x'],
  pos_y: ['base.pos.y'],
  pos_z: ['base.pos.z'],
  quat: ['base.quat.w', 'base.quat.x', 'base.quat.y', 'base.quat.z'],
  linvel: ['base.linvel.x', 'base.linvel.y', 'base.linvel.z'],
  angvel: ['base.angvel.x', 'base.angvel.y', 'base.angvel.z'],
};

/**
 * Builds the controller's state vector from ROS-shaped messages, identically for every robot link
 * (MuJoCo, ROS 2, bag). Layout: the configured joints' positions, then their velocities, then the
 * configured base quantities (see StateLayout for names). Defaults need no names: all non-base
 * joints in model order and the root body's pose and twist without world x/y.
 *
 * Message handlers run whenever a message arrives and only copy numbers into a preallocated
 * buffer; the control tick reads `state` (borrowed: copy what you keep).
 */
export class StateAssembler implements StateHandlers {
  readonly layout: StateLayout;
  readonly #state: Float32Array;
  readonly #jointNames: readonly string[];
  /** For each state joint, its index in the last JointState's name array (cached by reference). */
  readonly #jointIndex: Int32Array;
  #jointNamesSeen: readonly string[] | null = null;
  readonly #posOffset = 0;
  readonly #velOffset: number;
  readonly #baseSlots: Readonly<Record<BaseQuantity, number>>;
  readonly #needJoints: boolean;
  readonly #needBase: boolean;
  #haveJoints = false;
  #haveBase = false;
  #stampSec = Number.NaN;
  #imuOrientation: Quaternion = { x: 0, y: 0, z: 0, w: 1 };

  constructor(description: RobotDescription, config: StateConfig) {
    const known = description.joints.map((j) => j.name);
    const jointNames = config.joints ?? known;
    for (const name of jointNames) {
      if (!known.includes(name)) {
        throw new StriderError(
          'MODEL_MAPPING',
          `state.joints: joint "${name}" is not in robot model ${description.modelPath}; its joints are: ${known.join(', ')}`,
        );
      }
    }
    if (config.base.length > 0 && description.base.kind === 'fixed') {
      throw new StriderError(
        'MODEL_MAPPING',
        `state.base: robot model ${description.modelPath} has a fixed base; set state.base to [] (got ${config.base.join(', ')})`,
      );
    }
    this.#jointNames = jointNames;
    this.#jointIndex = new Int32Array(jointNames.length).fill(-1);
    const names: string[] = [];
    for (const j of jointNames) names.push(`joint.${j}.pos`);
    for (const j of jointNames) names.push(`joint.${j}.vel`);
    this.#velOffset = jointNames.length;
    const slots: Record<BaseQuantity, number> = {
      pos_x: -1,
      pos_y: -1,
      pos_z: -1,
      quat: -1,
      linvel: -1,
      angvel: -1,
    };
    for (const q of config.base) {
      if (slots[q] !== -1) continue;
      slots[q] = names.length;
      names.push(...BASE_NAMES[q]);
    }
    this.#baseSlots = slots;
    this.layout = Object.freeze({ dim: names.length, names: Object.freeze(names) });
    this.#state = new Float32Array(names.length);
    this.#needJoints = jointNames.length > 0;
    this.#needBase = config.base.length > 0;
  }

  /** The assembled state (borrowed view, updated in place as messages arrive). */
  get state(): Float32Array {
    return this.#state;
  }

  /** True once every message the layout needs has arrived since the last clear(). */
  get ready(): boolean {
    return (!this.#needJoints || this.#haveJoints) && (!this.#needBase || this.#haveBase);
  }

  /** Stamp of the newest message, seconds (NaN before any). */
  get stampSec(): number {
    return this.#stampSec;
  }

  /** Latest IMU orientation (world-from-body). */
  get imuOrientation(): Readonly<Quaternion> {
    return this.#imuOrientation;
  }

  /** Forget received messages (at an episode reset), so `ready` waits for fresh ones. */
  clear(): void {
    this.#haveJoints = false;
    this.#haveBase = false;
    this.#stampSec = Number.NaN;
  }

  /**
   * Whether `msg` gives a position and a velocity for every joint of the state (a JointState may
   * name a subset; such a message updates nothing). The StateWatchdog asks before it counts the
   * message as fresh. Allocation-free once a name array has been seen.
   */
  coversJoints(msg: Readonly<JointState>): boolean {
    if (msg.name !== this.#jointNamesSeen) this.#mapJoints(msg.name);
    for (let i = 0; i < this.#jointNames.length; i++) {
      const k = this.#jointIndex[i]!;
      if (k < 0 || k >= msg.position.length || k >= msg.velocity.length) return false;
    }
    return true;
  }

  jointState(msg: Readonly<JointState>): void {
    if (!this.coversJoints(msg)) return; // not a complete joint state: nothing is half-updated
    const s = this.#state;
    const n = this.#jointNames.length;
    for (let i = 0; i < n; i++) {
      const k = this.#jointIndex[i]!;
      s[this.#posOffset + i] = msg.position[k]!;
      s[this.#velOffset + i] = msg.velocity[k]!;
    }
    this.#haveJoints = true;
    this.#stampSec = timeToSec(msg.header.stamp);
  }

  odometry(msg: Readonly<Odometry>): void {
    const s = this.#state;
    const slots = this.#baseSlots;
    const p = msg.pose.pose.position;
    const q = msg.pose.pose.orientation;
    const v = msg.twist.twist.linear;
    const w = msg.twist.twist.angular;
    if (slots.pos_x >= 0) s[slots.pos_x] = p.x;
    if (slots.pos_y >= 0) s[slots.pos_y] = p.y;
    if (slots.pos_z >= 0) s[slots.pos_z] = p.z;
    if (slots.quat >= 0) {
      s[slots.quat] = q.w;
      s[slots.quat + 1] = q.x;
      s[slots.quat + 2] = q.y;
      s[slots.quat + 3] = q.z;
    }
    if (slots.linvel >= 0) {
      // Odometry twist is in the body frame (REP-105); the state carries world-frame velocity,
      // so base.linvel.x is forward progress whatever the body's pitch.
      const o = slots.linvel;
      const tx = 2 * (q.y * v.z - q.z * v.y);
      const ty = 2 * (q.z * v.x - q.x * v.z);
      const tz = 2 * (q.x * v.y - q.y * v.x);
      s[o] = v.x + q.w * tx + (q.y * tz - q.z * ty);
      s[o + 1] = v.y + q.w * ty + (q.z * tx - q.x * tz);
      s[o + 2] = v.z + q.w * tz + (q.x * ty - q.y * tx);
    }
    if (slots.angvel >= 0) {
      s[slots.angvel] = w.x;
      s[slots.angvel + 1] = w.y;
      s[slots.angvel + 2] = w.z;
    }
    this.#haveBase = true;
    this.#stampSec = timeToSec(msg.header.stamp);
  }

  imu(msg: Readonly<Imu>): void {
    const o = msg.orientation;
    const q = this.#imuOrientation;
    q.x = o.x;
    q.y = o.y;
    q.z = o.z;
    q.w = o.w;
  }

  #mapJoints(names: readonly string[]): void {
    for (let i = 0; i < this.#jointNames.length; i++) {
      this.#jointIndex[i] = names.indexOf(this.#jointNames[i]!);
    }
    this.#jointNamesSeen = names;
  }
}
