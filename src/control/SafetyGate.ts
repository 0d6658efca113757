import type { Float64MultiArray, Quaternion } from '../msgs/types.js';
import type { ActuatorInfo, JointInfo, RobotLink } from '../robot/types.js';
import { stateIndex, type StateLayout } from '../state/types.js';
import type { Clock } from '../util/clock.js';
import { monotonicClock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { SafetyConfig } from './safety/safetyConfig.js';
import type { StaleReason } from './safety/StateWatchdog.js';

/**
 * What the gate did with a tick's command:
 * - ok, clamped: the policy's command went out (clamped: at least one value was limited);
 * - state_not_finite, state_implausible, action_not_finite: rejected this tick, safe command;
 * - stale, tilt, stopped: a latched fault (new or still latched), safe command until re-armed;
 * - waiting: not armed (no valid state or model yet, or waiting for a re-arm), safe command;
 * - inactive, replay: nothing was sent (deactivated gate; a link that must never actuate).
 */
export type GateVerdict =
  | 'ok'
  | 'clamped'
  | 'state_not_finite'
  | 'state_implausible'
  | 'action_not_finite'
  | 'stale'
  | 'tilt'
  | 'stopped'
  | 'waiting'
  | 'disarmed'
  | 'inactive'
  | 'replay'
  | 'send_failed';

/**
 * The verdicts, for the control loop: 'waiting' is a state not yet complete or fresh; 'disarmed'
 * a valid state on which the gate may not move the robot yet (no arm request, or no model with
 * safety.require_model): the safe command went out, and (state, safe command, next state) is
 * still a true sample of the robot's dynamics.
 */

/** True when the policy's (possibly clamped) command was what went to the robot. */
export function isPolicyCommand(verdict: GateVerdict): boolean {
  return verdict === 'ok' || verdict === 'clamped';
}

/** Where the gate is in its lifecycle; see {@link SafetyGate}. */
export type SafetyMode = 'waiting' | 'soft_start' | 'running' | 'latched' | 'inactive' | 'replay';

/** Why the gate is latched. */
export type LatchReason = 'stale' | 'tilt' | 'stop';

/**
 * Whether a link may drive actuators. A bag replay is 'replay': the gate never sends to it,
 * whatever the policy says. Links may declare it as a property `actuation` (read once).
 */
export type LinkActuation = 'actuating' | 'replay';

/** Judges state freshness (src/control/safety/StateWatchdog.ts). */
export interface FreshnessSource {
  check(nowMs: number): StaleReason;
  reset(): void;
}

/** Options of the full gate. Without `config` the gate applies only the foundation's rules. */
export interface SafetyGateOptions {
  /** The safety rules (config `safety:`). Absent: only finite checks and command-limit clamps. */
  readonly config?: SafetyConfig;
  /** The robot's joints (model order): position, velocity and effort limits. */
  readonly joints?: readonly JointInfo[];
  /** Monotonic clock (default performance.now). */
  readonly clock?: Clock;
  /** Control period, ms: rate limits and the soft-start ramp count ticks of this length. Default 20. */
  readonly periodMs?: number;
  /** Freshness of the state (a StateWatchdog between the link and the assembler). */
  readonly watchdog?: FreshnessSource;
  /** Where to read the base orientation when the state has no base.quat (the StateAssembler). */
  readonly imu?: { readonly imuOrientation: Readonly<Quaternion> };
  /** 'replay' forbids every command. Default: the link's `actuation` property, else 'actuating'. */
  readonly actuation?: LinkActuation;
  /** Whether a valid dynamics model / policy exists at start (default true); see setModelReady. */
  readonly modelReady?: boolean;
  /** True for simulated links: resetEpisode() may clear latched faults. */
  readonly simulated?: boolean;
  readonly logger?: Logger;
}

/** The gate's state, for diagnostics and reports. */
export interface SafetyStatus {
  readonly mode: SafetyMode;
  readonly latch: LatchReason | null;
  readonly stopRequested: boolean;
  readonly safeCommands: number;
  readonly clamps: number;
  readonly latches: number;
  /** Commands the link refused (its sendCommand threw): the robot did not get them. */
  readonly sendErrors: number;
}

const EFFORT = 0;
const POSITION = 1;
const VELOCITY = 2;

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

function clampTo(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The only path to the robot link's command side, the same for every link. Each tick it judges
 * the state a command is built from, then the command, and sends either the (limited) command or
 * the safe command; it can never send a non-finite value or a value outside an actuator's command
 * limits (a last check before every send replaces any such value by its safe value).
 *
 * Rules (each configurable, docs/safety.md):
 * - stale state (watchdog: no fresh message within state_timeout_ms on the monotonic clock or a
 *   header stamp older than that; duplicate / out-of-order stamps count as missing) -> safe
 *   command, latched until rearm();
 * - non-finite or implausible state, non-finite action -> safe command this tick;
 * - joint position (margin), velocity and effort limits from the model; command rate limit;
 * - base tilt beyond tilt.max_rad -> latched stop;
 * - soft start: nothing but the safe command before a valid state and model exist; on arming the
 *   first command holds the measured pose and commands blend to the policy's over
 *   soft_start.duration_s;
 * - stop(): safe command at once and latched; release() does not restart; rearm() does;
 * - deactivate(): one final safe command, then nothing; a 'replay' link is never sent anything.
 *
 * Safe command: position actuators hold the last measured position, velocity actuators get 0,
 * effort actuators get damping (-kd qdot) or hold (PD to the pose at the fault) when the state is
 * valid and zero effort when it is not (never the last command). Until every position actuator
 * has been measured once, nothing is sent to a robot with position actuators.
 *
 * Effort commands are in the actuator's units; N m are converted with the ratio effort limit /
 * command range (1 for URDF/ros2_control, the gear for MJCF motors with normalised ctrlrange).
 *
 * send() and sendSafe() are called once per tick by the control loop and allocate nothing;
 * stop(), release(), rearm() may be called at any time (message callbacks).
 */
export class SafetyGate {
  readonly #link: RobotLink;
  readonly #log: Logger | null;
  readonly #clock: Clock;
  readonly #cfg: SafetyConfig | null;
  readonly #watchdog: FreshnessSource | null;
  readonly #imu: { readonly imuOrientation: Readonly<Quaternion> } | null;
  readonly #simulated: boolean;
  readonly #actuation: LinkActuation;
  readonly #periodMs: number;

  /** Per actuator of the robot (model order). */
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #iface: Uint8Array;
  readonly #posIndex: Int32Array;
  readonly #velIndex: Int32Array;
  readonly #qLo: Float64Array;
  readonly #qHi: Float64Array;
  readonly #vMax: Float64Array;
  /** |effort| limit in command units (Infinity: none). */
  readonly #effMax: Float64Array;
  /** N m (N) per command unit of effort actuators. */
  readonly #nmPerUnit: Float64Array;
  /** Largest change per tick, command units. */
  readonly #rateStep: Float64Array;
  readonly #prev: Float64Array;
  #prevValid = false;
  readonly #lastQ: Float64Array;
  readonly #lastQValid: Uint8Array;
  readonly #hold: Float64Array;
  #holdValid = false;
  readonly #q0: Float64Array;
  /** For each commanded actuator (action order), its slot in the robot's actuator vector. */
  readonly #slot: Int32Array;
  readonly #quatIndex: number;
  readonly #cosMaxTilt: number;

  readonly #msg: Float64MultiArray;
  readonly #data: Float64Array;

  #mode: SafetyMode;
  #latch: LatchReason | null = null;
  #stopRequested = false;
  #armRequested: boolean;
  #modelReady: boolean;
  #softStartTicks = 0;
  #lastState: Float32Array | null = null;
  #safeCommands = 0;
  #clamps = 0;
  #latches = 0;
  #sendErrors = 0;
  /** A stop was latched since the last rearm() (kept apart: another latch may have come first). */
  #stopLatched = false;

  /**
   * @param link The robot link (only this gate calls its sendCommand).
   * @param all Every actuator of the robot, model order (the link's command vector).
   * @param commanded Names of the actuators the policy drives, in action order.
   * @param layout The state vector's layout (joint positions and velocities are read from it).
   * @param options The full rules; without `config`, the foundation's gate (finite + clamp).
   */
  constructor(
    link: RobotLink,
    all: readonly ActuatorInfo[],
    commanded: readonly string[],
    layout: StateLayout,
    options: SafetyGateOptions = {},
  ) {
    this.#link = link;
    this.#cfg = options.config ?? null;
    this.#clock = options.clock ?? monotonicClock;
    this.#log = options.logger?.child({ component: 'SafetyGate' }) ?? null;
    this.#watchdog = options.watchdog ?? null;
    this.#imu = options.imu ?? null;
    this.#simulated = options.simulated ?? false;
    const declared = (link as { readonly actuation?: unknown }).actuation;
    this.#actuation = options.actuation ?? (declared === 'replay' ? 'replay' : 'actuating');
    this.#periodMs = options.periodMs ?? 20;
    if (!(this.#periodMs > 0) || !Number.isFinite(this.#periodMs)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `SafetyGate: periodMs must be a finite number > 0, got ${this.#periodMs}`,
      );
    }
    this.#modelReady = options.modelReady ?? true;
    this.#armRequested = this.#cfg === null || this.#cfg.arm === 'auto';
    this.#mode = this.#actuation === 'replay' ? 'replay' : 'waiting';

    const n = all.length;
    this.#lo = new Float64Array(n);
    this.#hi = new Float64Array(n);
    this.#iface = new Uint8Array(n);
    this.#posIndex = new Int32Array(n);
    this.#velIndex = new Int32Array(n);
    this.#qLo = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.#qHi = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.#vMax = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.#effMax = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.#nmPerUnit = new Float64Array(n).fill(1);
    this.#rateStep = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.#prev = new Float64Array(n);
    this.#lastQ = new Float64Array(n);
    this.#lastQValid = new Uint8Array(n);
    this.#hold = new Float64Array(n);
    this.#q0 = new Float64Array(n);
    const joints = options.joints ?? [];
    const cfg = this.#cfg;
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
      this.#lo[k] = lo;
      this.#hi[k] = hi;
      this.#iface[k] = ifaceCode(info);
      this.#posIndex[k] = stateIndex(layout, `joint.${info.joint}.pos`);
      this.#velIndex[k] = stateIndex(layout, `joint.${info.joint}.vel`);
      if (this.#cfg !== null && this.#iface[k] === POSITION && this.#posIndex[k]! < 0) {
        // its safe command holds the measured position: unmeasured, the gate could never arm
        throw new StriderError(
          'CONFIG_INVALID',
          `actuator "${info.name}" commands the position of joint "${info.joint}", which is not in ` +
            'the state: the safety gate holds a position servo at its measured position, so add ' +
            `"${info.joint}" to state.joints`,
        );
      }
      const joint = joints.find((j) => j.name === info.joint);
      if (joint?.positionLimits) {
        this.#qLo[k] = joint.positionLimits[0];
        this.#qHi[k] = joint.positionLimits[1];
      }
      if (joint?.velocityLimit != null && joint.velocityLimit > 0)
        this.#vMax[k] = joint.velocityLimit;
      const range = Math.max(Math.abs(lo), Math.abs(hi));
      if (info.interface === 'effort' && joint?.effortLimit != null && joint.effortLimit > 0) {
        if (Number.isFinite(range) && range > 0) this.#nmPerUnit[k] = joint.effortLimit / range;
        this.#effMax[k] = joint.effortLimit / this.#nmPerUnit[k]!;
      }
      if (cfg?.rate_limit.enabled === true && Number.isFinite(hi - lo)) {
        this.#rateStep[k] = cfg.rate_limit.range_per_s * (hi - lo) * (this.#periodMs / 1000);
      }
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
    this.#quatIndex = stateIndex(layout, 'base.quat.w');
    if (this.#quatIndex >= 0) {
      const names4 = ['base.quat.x', 'base.quat.y', 'base.quat.z'];
      for (let i = 0; i < 3; i++) {
        if (stateIndex(layout, names4[i]!) !== this.#quatIndex + 1 + i) {
          throw new StriderError(
            'MODEL_MAPPING',
            'state layout: base.quat.{w,x,y,z} must be consecutive',
          );
        }
      }
    }
    this.#cosMaxTilt = cfg === null ? -2 : Math.cos(cfg.tilt.max_rad);
    this.#data = new Float64Array(n);
    this.#msg = {
      layout: { dim: [{ label: 'actuators', size: n, stride: n }], data_offset: 0 },
      data: this.#data,
    };
  }

  /** Safe commands sent so far (including those withheld for a replay or inactive gate). */
  get safeCommands(): number {
    return this.#safeCommands;
  }

  /** Commands that had at least one element limited. */
  get clamps(): number {
    return this.#clamps;
  }

  /** Current mode. */
  get mode(): SafetyMode {
    return this.#mode;
  }

  /** Why the gate is latched, or null. */
  get latch(): LatchReason | null {
    return this.#latch;
  }

  /** A snapshot for diagnostics (allocates: not for the tick). */
  status(): SafetyStatus {
    return {
      mode: this.#mode,
      latch: this.#latch,
      stopRequested: this.#stopRequested,
      safeCommands: this.#safeCommands,
      clamps: this.#clamps,
      latches: this.#latches,
      sendErrors: this.#sendErrors,
    };
  }

  /**
   * Check `state` and `action` (one value per commanded actuator), limit, and send. Writes the
   * value actually sent for each commanded actuator into `executed`. Never throws on bad numbers.
   * Called once per control tick; allocation-free.
   */
  send(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    this.#lastState = state;
    if (this.#mode === 'replay' || this.#mode === 'inactive')
      return this.#withhold(state, executed);
    if (this.#cfg === null) return this.#legacySend(state, action, executed);
    const cfg = this.#cfg;
    const nowMs = this.#clock.nowMs();

    // 1. The state: fresh, finite, plausible, upright.
    const fresh = this.#freshness(nowMs);
    let stateVerdict: GateVerdict = 'ok';
    if (!this.#finite(state)) stateVerdict = 'state_not_finite';
    else if (!this.#plausible(state)) stateVerdict = 'state_implausible';
    else if (cfg.tilt.enabled && fresh === 'fresh') {
      const tilt = this.#tilt(state);
      if (tilt < 0) stateVerdict = 'state_implausible';
      else if (tilt > 0) this.#latchFault('tilt', 'fresh');
    }
    const stateValid = stateVerdict === 'ok' && fresh === 'fresh';

    if (this.#latch !== null)
      return this.#sendSafe(state, executed, stateValid, this.#latchVerdict());
    if (stateVerdict !== 'ok') return this.#sendSafe(state, executed, false, stateVerdict);
    if (fresh !== 'fresh') return this.#sendSafe(state, executed, false, 'waiting');

    // 2. Armed? No motion before a valid state and a valid model exist.
    if (this.#mode === 'waiting') {
      if (!this.#armRequested || !this.#modelReady || !this.#allMeasured(state)) {
        return this.#sendSafe(state, executed, true, 'disarmed');
      }
      this.#arm(state);
    }

    // 3. The action.
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i]!))
        return this.#sendSafe(state, executed, true, 'action_not_finite');
    }
    return this.#sendCommand(state, action, executed);
  }

  /** Send the safe command, e.g. while the state is incomplete. Allocation-free. */
  sendSafe(state: Float32Array, executed: Float32Array): void {
    this.#lastState = state;
    if (this.#mode === 'replay' || this.#mode === 'inactive') {
      this.#withhold(state, executed);
      return;
    }
    if (this.#cfg === null) {
      this.#legacySafe(state, executed);
      return;
    }
    this.#sendSafe(state, executed, this.#validNow(state), 'waiting');
  }

  /**
   * The state may be acted on outside send() (sendSafe between episodes, stop): finite,
   * plausible and fresh. A stale state while armed latches, as in send(): damping a dead stream's
   * last velocity is not damping, and a dropout between episodes is a dropout.
   */
  #validNow(state: Float32Array): boolean {
    return this.#freshness(this.#clock.nowMs()) === 'fresh' && this.#finite(state) && this.#plausible(state);
  }

  /** The watchdog's verdict; a state gone stale while armed latches. */
  #freshness(nowMs: number): StaleReason {
    const fresh = this.#watchdog === null ? 'fresh' : this.#watchdog.check(nowMs);
    if (fresh !== 'fresh' && (this.#mode === 'soft_start' || this.#mode === 'running'))
      this.#latchFault('stale', fresh);
    return fresh;
  }

  /**
   * Software stop (e.g. the stop topic): the safe command goes out at once (when a state has
   * been seen) and every later tick, latched. release() ends the request but does not restart
   * motion; rearm() does.
   */
  stop(): void {
    this.#stopRequested = true;
    this.#stopLatched = true;
    if (this.#mode === 'replay') return;
    if (this.#mode === 'inactive') {
      // nothing is sent while inactive, but activate() must find the stop latched
      this.#latchFault('stop', 'fresh');
      this.#mode = 'inactive';
      return;
    }
    const s = this.#lastState;
    const valid = s !== null && this.#cfg !== null && this.#validNow(s);
    this.#latchFault('stop', 'fresh');
    if (s !== null && this.#cfg !== null) this.#sendSafe(s, null, valid, 'stopped');
  }

  /** End a stop request. The gate stays latched until rearm(). */
  release(): void {
    this.#stopRequested = false;
  }

  /**
   * Clear a latched fault and arm again: the next tick with a fresh, valid state starts a soft
   * start from the measured pose. Refused (returns false) while a stop is requested, while
   * inactive, and for a replay link.
   */
  rearm(): boolean {
    if (this.#stopRequested || this.#mode === 'inactive' || this.#mode === 'replay') return false;
    if (this.#latch !== null) this.#log?.info({ latch: this.#latch }, 'safety gate re-armed');
    this.#latch = null;
    this.#stopLatched = false;
    this.#armRequested = true;
    if (this.#mode === 'latched') this.#mode = 'waiting';
    return true;
  }

  /** Whether a valid dynamics model / policy exists. false stops motion (safe command, not latched). */
  setModelReady(ready: boolean): void {
    this.#modelReady = ready;
    if (!ready && (this.#mode === 'soft_start' || this.#mode === 'running')) this.#mode = 'waiting';
  }

  /**
   * Leave the inactive state (lifecycle activate): the gate waits for a valid state and, with
   * arm: auto and no latched fault, arms with a soft start.
   */
  activate(): void {
    if (this.#mode === 'inactive') this.#mode = this.#latch === null ? 'waiting' : 'latched';
  }

  /**
   * Lifecycle deactivate: send one final safe command (zero effort, hold the measured position,
   * zero velocity: what a forward controller may hold indefinitely), then send nothing until
   * activate().
   */
  deactivate(): void {
    if (this.#mode === 'inactive' || this.#mode === 'replay') return;
    const s = this.#lastState;
    if (s !== null) {
      if (this.#cfg === null) this.#legacySendSafe(s, null, 'inactive');
      else this.#sendSafe(s, null, false, 'inactive');
    }
    this.#mode = 'inactive';
  }

  /**
   * At an episode start: forget stamps (a simulated world's clock restarts). In a simulated
   * world also forget the last command, and with rearm_on_episode_reset clear a latched fault
   * (never a stop: that needs rearm()). Soft start again.
   */
  resetEpisode(): void {
    this.#watchdog?.reset();
    if (this.#simulated) {
      // the world was reset: the last command and hold pose mean nothing now. On a robot they
      // still do: the rate limit goes on from the last command sent.
      this.#prevValid = false;
      this.#holdValid = false;
    }
    if (this.#mode === 'inactive' || this.#mode === 'replay') return;
    if (this.#simulated && this.#cfg?.rearm_on_episode_reset === true && !this.#stopLatched) {
      this.#latch = null;
      this.#armRequested = this.#armRequested || this.#cfg.arm === 'auto';
    }
    this.#mode = this.#latch === null ? 'waiting' : 'latched';
  }

  // ---- internals (allocation-free) ----

  #latchVerdict(): GateVerdict {
    switch (this.#latch) {
      case 'stale':
        return 'stale';
      case 'tilt':
        return 'tilt';
      case 'stop':
      case null:
        return 'stopped';
    }
  }

  #latchFault(reason: LatchReason, detail: StaleReason): void {
    if (this.#latch === null) {
      this.#latches++;
      this.#log?.warn({ reason, detail }, 'safety gate latched: safe command until re-armed');
    }
    this.#latch ??= reason;
    this.#mode = 'latched';
  }

  #arm(state: Float32Array): void {
    for (let k = 0; k < this.#data.length; k++) {
      const j = this.#posIndex[k]!;
      this.#q0[k] = j >= 0 ? state[j]! : this.#lastQ[k]!;
    }
    this.#softStartTicks = 0;
    this.#mode = 'soft_start';
    this.#log?.info('safety gate armed: soft start');
  }

  #finite(state: Float32Array): boolean {
    for (let i = 0; i < state.length; i++) if (!Number.isFinite(state[i]!)) return false;
    if (this.#imu !== null && this.#quatIndex < 0) {
      const q = this.#imu.imuOrientation;
      if (!Number.isFinite(q.w + q.x + q.y + q.z)) return false;
    }
    return true;
  }

  /** Measured joint positions and speeds of actuated joints within tolerance of their limits. */
  #plausible(state: Float32Array): boolean {
    const cfg = this.#cfg;
    if (cfg === null) return true;
    const tol = cfg.limits.state_position_tolerance;
    const factor = cfg.limits.state_velocity_factor;
    for (let k = 0; k < this.#data.length; k++) {
      const j = this.#posIndex[k]!;
      if (j >= 0) {
        const q = state[j]!;
        if (q < this.#qLo[k]! - tol || q > this.#qHi[k]! + tol) return false;
      }
      const v = this.#velIndex[k]!;
      if (v >= 0 && Math.abs(state[v]!) > factor * this.#vMax[k]!) return false;
    }
    return true;
  }

  /** 1: tilted beyond max_rad; 0: upright enough (or no orientation source); -1: no valid orientation. */
  #tilt(state: Float32Array): number {
    let w: number;
    let x: number;
    let y: number;
    let z: number;
    const qi = this.#quatIndex;
    if (qi >= 0) {
      w = state[qi]!;
      x = state[qi + 1]!;
      y = state[qi + 2]!;
      z = state[qi + 3]!;
    } else if (this.#imu !== null) {
      const q = this.#imu.imuOrientation;
      w = q.w;
      x = q.x;
      y = q.y;
      z = q.z;
    } else {
      return 0;
    }
    const n2 = w * w + x * x + y * y + z * z;
    if (!(n2 > 0.25) || !(n2 < 4)) return -1; // not a rotation: a broken estimator, not a tilt
    // cos(angle between body z and world z) for a unit quaternion is 1 - 2(x^2 + y^2).
    const cosTilt = (w * w + z * z - x * x - y * y) / n2;
    return cosTilt < this.#cosMaxTilt ? 1 : 0;
  }

  /** Every measured joint position finite (a position servo is always measured: constructor). */
  #allMeasured(state: Float32Array): boolean {
    for (let k = 0; k < this.#data.length; k++) {
      const j = this.#posIndex[k]!;
      if (j >= 0 && !Number.isFinite(state[j]!)) return false;
    }
    return true;
  }

  #sendCommand(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    const cfg = this.#cfg!;
    const dur = cfg.soft_start.duration_s * 1000;
    let s = 1;
    if (this.#mode === 'soft_start') {
      s = dur > 0 ? Math.min(1, (this.#softStartTicks * this.#periodMs) / dur) : 1;
      this.#softStartTicks++;
      if (s >= 1) this.#mode = 'running';
    }
    this.#fillSafe(state, true);
    this.#rememberQ(state);
    const kp = cfg.hold_kp;
    const kd = cfg.damping_kd;
    const margin = cfg.limits.position_margin;
    let clamped = false;
    for (let i = 0; i < this.#slot.length; i++) {
      const k = this.#slot[i]!;
      const pj = this.#posIndex[k]!;
      const vj = this.#velIndex[k]!;
      const q = pj >= 0 ? state[pj]! : this.#lastQ[k]!;
      const qd = vj >= 0 ? state[vj]! : 0;
      const a = action[i]!;
      let c: number;
      switch (this.#iface[k]) {
        case POSITION:
          c = s >= 1 ? a : (1 - s) * this.#q0[k]! + s * a;
          break;
        case VELOCITY:
          c = s * a;
          break;
        default: {
          if (s >= 1) c = a;
          else {
            const hold = (kp * (this.#q0[k]! - q) - kd * qd) / this.#nmPerUnit[k]!;
            c = (1 - s) * hold + s * a;
          }
        }
      }
      const wanted = c;
      // Rate limit first; the safety cuts below win over it.
      if (this.#prevValid) {
        const p = this.#prev[k]!;
        const step = this.#rateStep[k]!;
        if (c > p + step) c = p + step;
        else if (c < p - step) c = p - step;
      }
      const qLo = this.#qLo[k]! + margin;
      const qHi = this.#qHi[k]! - margin;
      const vMax = this.#vMax[k]!;
      switch (this.#iface[k]) {
        case POSITION: {
          if (cfg.limits.velocity && Number.isFinite(vMax)) {
            const base = this.#prevValid ? this.#prev[k]! : q;
            const dq = (vMax * this.#periodMs) / 1000;
            c = clampTo(c, base - dq, base + dq);
          }
          // never further past the margin than the joint already is: holding the measured pose
          // (a soft start's first command) is always allowed, not a jump back inside
          if (cfg.limits.position && qLo <= qHi) c = clampTo(c, Math.min(qLo, q), Math.max(qHi, q));
          break;
        }
        case VELOCITY: {
          if (cfg.limits.velocity) c = clampTo(c, -vMax, vMax);
          if (cfg.limits.position) {
            if (q >= qHi && c > 0) c = 0;
            else if (q <= qLo && c < 0) c = 0;
          }
          break;
        }
        default: {
          if (cfg.limits.effort) {
            const e = this.#effMax[k]!;
            c = clampTo(c, -e, e);
          }
          if (cfg.limits.position) {
            if (q >= qHi && c > 0) c = 0;
            else if (q <= qLo && c < 0) c = 0;
          }
          if (cfg.limits.velocity) {
            if (qd >= vMax && c > 0) c = 0;
            else if (qd <= -vMax && c < 0) c = 0;
          }
        }
      }
      c = clampTo(c, this.#lo[k]!, this.#hi[k]!);
      if (c !== wanted) clamped = true;
      this.#data[k] = c;
    }
    // The last line of defence: nothing non-finite or out of range leaves, whatever happened above.
    for (let k = 0; k < this.#data.length; k++) {
      const v = this.#data[k]!;
      if (!Number.isFinite(v) || v < this.#lo[k]! || v > this.#hi[k]!) {
        return this.#sendSafe(state, executed, true, 'action_not_finite');
      }
    }
    for (let i = 0; i < this.#slot.length; i++) executed[i] = this.#data[this.#slot[i]!]!;
    if (clamped) this.#clamps++;
    this.#prev.set(this.#data);
    this.#prevValid = true;
    this.#holdValid = false;
    if (!this.#transmit()) return 'send_failed';
    return clamped ? 'clamped' : 'ok';
  }

  /** Fill the safe command and send it (unless withheld), writing executed values if given. */
  #sendSafe(
    state: Float32Array,
    executed: Float32Array | null,
    stateValid: boolean,
    verdict: GateVerdict,
  ): GateVerdict {
    if (stateValid) this.#rememberQ(state);
    const final = verdict === 'inactive';
    const canSend = this.#fillSafe(state, stateValid && !final);
    if (executed !== null)
      for (let i = 0; i < this.#slot.length; i++) executed[i] = this.#data[this.#slot[i]!]!;
    this.#safeCommands++;
    if (!canSend) return verdict;
    this.#prev.set(this.#data);
    this.#prevValid = true;
    this.#transmit();
    return verdict;
  }

  /**
   * Hand #msg to the link. A link that throws (a ROS publisher whose node is gone, a simulator
   * refusing a value) must not take the tick, stop() or deactivate() down with it: the failure
   * is counted (status().sendErrors) and logged, the first and then every 1000th.
   */
  #transmit(): boolean {
    try {
      this.#link.sendCommand(this.#msg);
      return true;
    } catch (err) {
      if (this.#sendErrors++ % 1000 === 0)
        this.#log?.error({ err, sendErrors: this.#sendErrors }, 'robot link refused a command');
      return false;
    }
  }

  #rememberQ(state: Float32Array): void {
    for (let k = 0; k < this.#data.length; k++) {
      const j = this.#posIndex[k]!;
      if (j < 0) continue;
      const q = state[j]!;
      if (Number.isFinite(q)) {
        this.#lastQ[k] = q;
        this.#lastQValid[k] = 1;
      }
    }
  }

  /**
   * Every actuator's safe value into #data; `damp`: the state is valid, so effort actuators may
   * damp / hold (else zero effort). Returns false when some position actuator has never been
   * measured (then nothing must be sent: any position target would be a guess).
   */
  #fillSafe(state: Float32Array, damp: boolean): boolean {
    const cfg = this.#cfg!;
    const hold = cfg.safe_command === 'hold';
    if (damp && hold && !this.#holdValid) {
      for (let k = 0; k < this.#data.length; k++) {
        const j = this.#posIndex[k]!;
        this.#hold[k] = j >= 0 ? state[j]! : this.#lastQ[k]!;
      }
      this.#holdValid = true;
    }
    let canSend = true;
    for (let k = 0; k < this.#data.length; k++) {
      const lo = this.#lo[k]!;
      const hi = this.#hi[k]!;
      let v = 0;
      switch (this.#iface[k]) {
        case POSITION:
          // hold: the pose when the fault began, so a sagging joint is brought back; damping:
          // follow the measured pose (compliant, as damping is for effort actuators)
          if (hold && this.#holdValid && Number.isFinite(this.#hold[k]!)) v = this.#hold[k]!;
          else if (this.#lastQValid[k] === 1) v = this.#lastQ[k]!;
          else {
            v = Number.isFinite(lo + hi) ? (lo + hi) / 2 : 0;
            canSend = false;
          }
          break;
        case VELOCITY:
          v = 0;
          break;
        default: {
          if (damp) {
            const pj = this.#posIndex[k]!;
            const vj = this.#velIndex[k]!;
            const qd = vj >= 0 ? state[vj]! : 0;
            let tau = -cfg.damping_kd * qd;
            if (hold && pj >= 0) tau += cfg.hold_kp * (this.#hold[k]! - state[pj]!);
            v = tau / this.#nmPerUnit[k]!;
            const e = this.#effMax[k]!;
            v = clampTo(v, -e, e);
          }
        }
      }
      v = clampTo(v, lo, hi);
      // Non-finite here only from a broken model (infinite limits and no measurement): send 0.
      this.#data[k] = Number.isFinite(v) ? v : clampTo(0, lo, hi);
      if (!Number.isFinite(this.#data[k]!)) canSend = false;
    }
    return canSend;
  }

  /** A replay or inactive gate: executed gets the safe values, nothing is sent. */
  #withhold(state: Float32Array, executed: Float32Array): GateVerdict {
    if (this.#cfg === null) this.#legacyFill(state);
    else this.#fillSafe(state, false);
    for (let i = 0; i < this.#slot.length; i++) executed[i] = this.#data[this.#slot[i]!]!;
    this.#safeCommands++;
    return this.#mode === 'replay' ? 'replay' : 'inactive';
  }

  // ---- the foundation's gate (no config): finite checks and command-limit clamps ----

  #legacySend(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    for (let i = 0; i < state.length; i++) {
      if (!Number.isFinite(state[i]!))
        return this.#legacySendSafe(state, executed, 'state_not_finite');
    }
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i]!))
        return this.#legacySendSafe(state, executed, 'action_not_finite');
    }
    if (this.#latch !== null) return this.#legacySendSafe(state, executed, this.#latchVerdict());
    this.#legacyFill(state);
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
    if (!this.#transmit()) return 'send_failed';
    return clamped ? 'clamped' : 'ok';
  }

  #legacySafe(state: Float32Array, executed: Float32Array): void {
    this.#legacySendSafe(state, executed, 'state_not_finite');
  }

  #legacySendSafe(state: Float32Array, executed: Float32Array | null, verdict: GateVerdict): GateVerdict {
    this.#legacyFill(state);
    if (executed !== null)
      for (let i = 0; i < this.#slot.length; i++) executed[i] = this.#data[this.#slot[i]!]!;
    this.#safeCommands++;
    this.#transmit();
    return verdict;
  }

  /** Zero effort / velocity, or hold the measured position (range middle if unknown). */
  #legacyFill(state: Float32Array): void {
    for (let k = 0; k < this.#data.length; k++) {
      const lo = this.#lo[k]!;
      const hi = this.#hi[k]!;
      if (this.#iface[k] === POSITION) {
        const j = this.#posIndex[k]!;
        const q = j >= 0 ? state[j]! : Number.NaN;
        const mid = Number.isFinite(lo + hi) ? (lo + hi) / 2 : clampTo(0, lo, hi);
        this.#data[k] = Number.isFinite(q) ? Math.min(hi, Math.max(lo, q)) : mid;
      } else {
        this.#data[k] = Math.min(hi, Math.max(lo, 0));
      }
    }
  }
}
