import type { Header, Imu, JointState, Odometry } from '../msgs/types.js';
import type { StateHandlers } from '../robot/types.js';
import type { Clock } from '../util/clock.js';

/**
 * The clock header stamps are on: ROS time (simulated under use_sim_time, else the robot's wall
 * clock), or a simulator's own time. NaN when unknown (stamp age is then not judged).
 */
export interface StampClock {
  /** Current time on the stamps' clock, s. Called once per tick; must not allocate much. */
  nowSec(): number;
}

/** Which state topics the state needs (a topic not needed is not judged). */
export interface RequiredTopics {
  readonly jointState: boolean;
  readonly odometry: boolean;
  readonly imu: boolean;
}

export interface StateWatchdogOptions {
  /** Where accepted messages go (the StateAssembler). */
  readonly downstream: StateHandlers & {
    /** Optional: whether a JointState covers every joint the state needs (StateAssembler). */
    coversJoints?(msg: Readonly<JointState>): boolean;
  };
  /** The monotonic clock arrival times are taken on, ms (with `arrivalClock: 'monotonic'`). */
  readonly clock: Clock;
  /**
   * The clock arrival age is judged on. monotonic: `clock` (the default; a robot, or a simulator
   * in realtime pacing, whose state arrives on the wall clock whether the controller keeps up or
   * not); stamp: `stampClock` (a simulator in lockstep pacing: it steps only when the controller
   * answers, so a slow tick is no sign of stale state, while a topic that stops arriving as
   * simulated time goes on still is). With stamp, check()'s and ageMs()'s `nowMs` is ignored.
   */
  readonly arrivalClock?: 'monotonic' | 'stamp';
  /** State older than this is stale, ms (safety.state_timeout_ms). */
  readonly timeoutMs: number;
  /**
   * strict: a message whose stamp is not newer than the previous one of its topic (duplicate,
   * out of order) or not finite is dropped and counts as missing, and stamp age is judged on
   * `stampClock`; arrival_only: every message is accepted, only arrival times are judged.
   */
  readonly stamps: 'strict' | 'arrival_only';
  readonly required: RequiredTopics;
  /** The stamps' clock; without it only arrival times are judged. */
  readonly stampClock?: StampClock;
}

const NO_STAMP_CLOCK: StampClock = Object.freeze({ nowSec: (): number => Number.NaN });

/** Why the state is not fresh. */
export type StaleReason = 'fresh' | 'never_received' | 'arrival_timeout' | 'stamp_too_old';

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return isObject(v) && typeof (v as { length?: unknown }).length === 'number';
}

/** Shape checks (no values): what the StateAssembler dereferences must exist. */
function wellFormedJointState(m: unknown): boolean {
  if (!isObject(m)) return false;
  const j = m as Partial<Record<keyof JointState, unknown>>;
  // sensor_msgs/JointState: position (and velocity, where given) one per name
  return (
    Array.isArray(j.name) &&
    isArrayLike(j.position) &&
    isArrayLike(j.velocity) &&
    j.position.length === j.name.length &&
    (j.velocity.length === j.name.length || j.velocity.length === 0)
  );
}

function wellFormedOdometry(m: unknown): boolean {
  if (!isObject(m)) return false;
  const o = m as {
    pose?: { pose?: { position?: unknown; orientation?: unknown } };
    twist?: { twist?: { linear?: unknown; angular?: unknown } };
  };
  return (
    isObject(o.pose?.pose?.position) &&
    isObject(o.pose.pose.orientation) &&
    isObject(o.twist?.twist?.linear) &&
    isObject(o.twist.twist.angular)
  );
}

const TOPICS = 3;
const JOINT = 0;
const ODOM = 1;
const IMU = 2;
const TOPIC_NAMES = ['joint_state', 'odometry', 'imu'] as const;

/**
 * Judges whether the state is fresh, before any command is built from it. Sits between a robot
 * link and the StateAssembler (link.activate(watchdog)): it records when each state message
 * arrived on the injected monotonic clock and its header stamp, drops duplicate and out-of-order
 * messages (they count as missing, so a stuck publisher goes stale), and forwards the rest.
 *
 * Called from message callbacks (any time) and from the control tick (fresh()); allocation-free.
 */
export class StateWatchdog implements StateHandlers {
  readonly #o: StateWatchdogOptions;
  readonly #need = new Uint8Array(TOPICS);
  /** Arrival time of the newest accepted message per topic, ms; NaN: none since reset. */
  readonly #arrivalMs = new Float64Array(TOPICS).fill(Number.NaN);
  /** Stamp of the newest accepted message per topic, s; -Infinity: none. */
  readonly #stampSec = new Float64Array(TOPICS).fill(Number.NEGATIVE_INFINITY);
  #accepted = 0;
  #dropped = 0;
  #malformed = 0;
  #staleTopic = -1;
  /** The stamp clock when a message was last judged, s (NaN: not yet). */
  #stampClockSec = Number.NaN;
  /** Arrival times on the stamp clock (lockstep), ms; null: on `clock`. */
  readonly #simClock: StampClock | null;

  constructor(options: StateWatchdogOptions) {
    this.#o = options;
    this.#simClock =
      options.arrivalClock === 'stamp' ? (options.stampClock ?? NO_STAMP_CLOCK) : null;
    this.#need[JOINT] = options.required.jointState ? 1 : 0;
    this.#need[ODOM] = options.required.odometry ? 1 : 0;
    this.#need[IMU] = options.required.imu ? 1 : 0;
  }

  /** Messages forwarded so far. */
  get accepted(): number {
    return this.#accepted;
  }

  /**
   * Messages dropped as duplicate, out of order, with a non-finite stamp, or stamped more than
   * the timeout ahead of the stamp clock.
   */
  get dropped(): number {
    return this.#dropped;
  }

  /** Messages dropped because their shape is not the message type's (counted apart). */
  get malformed(): number {
    return this.#malformed;
  }

  /** The topic the last stale verdict was about ('' when fresh). */
  get staleTopic(): string {
    return this.#staleTopic < 0 ? '' : (TOPIC_NAMES[this.#staleTopic] ?? '');
  }

  /**
   * Oldest time in ms since a required message arrived (NaN before every required topic has
   * arrived once). For diagnostics.
   */
  ageMs(nowMs: number): number {
    if (this.#simClock !== null) nowMs = this.#simClock.nowSec() * 1000;
    let age = 0;
    for (let t = 0; t < TOPICS; t++) {
      if (this.#need[t] === 0) continue;
      const a = nowMs - this.#arrivalMs[t]!;
      if (Number.isNaN(a)) return Number.NaN;
      if (a > age) age = a;
    }
    return age;
  }

  /**
   * Is every required topic fresh at `nowMs` (monotonic clock; with `arrivalClock: 'stamp'` the
   * stamp clock's time instead)? Allocation-free.
   */
  check(nowMs: number): StaleReason {
    const o = this.#o;
    if (this.#simClock !== null) nowMs = this.#simClock.nowSec() * 1000;
    const stampNow =
      o.stamps === 'strict' && o.stampClock !== undefined ? o.stampClock.nowSec() : Number.NaN;
    const timeoutSec = o.timeoutMs / 1000;
    for (let t = 0; t < TOPICS; t++) {
      if (this.#need[t] === 0) continue;
      const arrival = this.#arrivalMs[t]!;
      if (Number.isNaN(arrival)) {
        this.#staleTopic = t;
        return 'never_received';
      }
      // Also stale when the clock ran backwards by more than the timeout (a broken clock).
      const age = nowMs - arrival;
      if (!(age <= o.timeoutMs) || age < -o.timeoutMs) {
        this.#staleTopic = t;
        return 'arrival_timeout';
      }
      if (Number.isFinite(stampNow) && !(stampNow - this.#stampSec[t]! <= timeoutSec)) {
        this.#staleTopic = t;
        return 'stamp_too_old';
      }
    }
    this.#staleTopic = -1;
    return 'fresh';
  }

  /** Forget every message (at an episode reset of a simulated world, whose clock restarts). */
  reset(): void {
    this.#arrivalMs.fill(Number.NaN);
    this.#stampSec.fill(Number.NEGATIVE_INFINITY);
    this.#staleTopic = -1;
    this.#stampClockSec = Number.NaN;
  }

  jointState(msg: Readonly<JointState>): void {
    if (!wellFormedJointState(msg) || this.#o.downstream.coversJoints?.(msg) === false)
      this.#malformed++;
    else if (this.#accept(JOINT, msg.header)) this.#o.downstream.jointState(msg);
  }

  odometry(msg: Readonly<Odometry>): void {
    if (!wellFormedOdometry(msg)) this.#malformed++;
    else if (this.#accept(ODOM, msg.header)) this.#o.downstream.odometry(msg);
  }

  imu(msg: Readonly<Imu>): void {
    if (!isObject(msg) || !isObject(msg.orientation)) this.#malformed++;
    else if (this.#accept(IMU, msg.header)) this.#o.downstream.imu(msg);
  }

  #accept(topic: number, header: Readonly<Header> | undefined): boolean {
    let stamp = Number.NaN;
    const s = isObject(header) ? (header.stamp as Header['stamp'] | undefined) : undefined;
    if (isObject(s) && typeof s.sec === 'number' && typeof s.nanosec === 'number') {
      stamp = s.sec + s.nanosec * 1e-9;
    }
    if (this.#o.stamps === 'strict') {
      const clockSec = this.#o.stampClock?.nowSec() ?? Number.NaN;
      const timeoutSec = this.#o.timeoutMs / 1000;
      if (Number.isFinite(clockSec)) {
        // The stamp clock ran backwards (Gazebo's world reset under use_sim_time): the stamps
        // before it say nothing about order any more.
        if (clockSec < this.#stampClockSec - timeoutSec)
          this.#stampSec.fill(Number.NEGATIVE_INFINITY);
        this.#stampClockSec = clockSec;
      }
      const fromTheFuture = stamp > clockSec + timeoutSec; // false while the clock is unknown
      if (!Number.isFinite(stamp) || !(stamp > this.#stampSec[topic]!) || fromTheFuture) {
        // a stamp ahead of the clock would pass every age check and then block every good
        // message after it as out of order
        this.#dropped++;
        return false;
      }
      this.#stampSec[topic] = stamp;
    } else if (Number.isFinite(stamp)) {
      this.#stampSec[topic] = stamp;
    }
    this.#arrivalMs[topic] =
      this.#simClock !== null ? this.#simClock.nowSec() * 1000 : this.#o.clock.nowMs();
    this.#accepted++;
    return true;
  }
}
