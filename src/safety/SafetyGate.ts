import type { ActuatorInfo, RobotLink } from '../robot/types.js';
import type { StateLayout } from '../state/types.js';
import type { Clock } from '../util/clock.js';
import { monotonicClock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { actuatorTable, applyActionSpace, type ActuatorTable } from './actuatorTable.js';
import { limitPolicyCommand, withinCommandLimits } from './limits.js';
import { CommandOutput } from './CommandOutput.js';
import { rememberPose } from './safeCommand.js';
import { VerdictTally } from './VerdictTally.js';
import type { SafetyConfig } from './safetyConfig.js';
import {
  allFinite,
  allMeasured,
  baseQuatIndex,
  baseTilt,
  finiteState,
  type ImuSource,
  plausibleState,
  baseRateIndex,
  type BaseRateIndex,
} from './stateChecks.js';
import type { StaleReason } from './StateWatchdog.js';
import type {
  FreshnessSource,
  GateVerdict,
  LatchReason,
  PolicyFault,
  SafetyGateOptions,
  SafetyMode,
  SafetyStatus,
} from './types.js';

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
 * - non-finite or implausible state, non-finite action, no action (a policy fault) -> safe
 *   command this tick;
 * - joint position (margin), velocity and effort limits from the model; command rate limit
 *   (src/safety/limits.ts);
 * - base tilt beyond tilt.max_rad -> latched stop;
 * - soft start: nothing but the safe command before a valid state and model exist; on arming the
 *   first command holds the measured pose and commands blend to the policy's over
 *   soft_start.duration_s;
 * - stop(): safe command at once and latched; release() does not restart; rearm() does;
 * - deactivate(): one final safe command, then nothing; a 'replay' link is never sent anything.
 *
 * The safe command (src/safety/safeCommand.ts): position actuators hold the last measured
 * position, velocity actuators get 0, effort actuators get damping (-kd qdot) or hold (PD to the
 * pose at the fault) when the state is valid and zero effort when it is not (never the last
 * command). Until every position actuator has been measured once, nothing is sent to a robot with
 * position actuators.
 *
 * Effort commands are in the actuator's units; N m are converted with the ratio effort limit /
 * command range (1 for URDF/ros2_control, the gear for MJCF motors with normalised ctrlrange).
 *
 * send(), sendFault() and sendSafe() are called once per tick by the control loop and allocate
 * nothing; stop(), release(), rearm() may be called at any time (message callbacks).
 */
export class SafetyGate {
  readonly #log: Logger | null;
  readonly #clock: Clock;
  readonly #cfg: SafetyConfig;
  readonly #watchdog: FreshnessSource | null;
  readonly #imu: ImuSource | null;
  readonly #simulated: boolean;
  readonly #periodMs: number;
  readonly #t: ActuatorTable;
  readonly #quatIndex: number;
  readonly #baseRates: BaseRateIndex;
  readonly #cosMaxTilt: number;

  /** The command message, the last command sent and the measured pose memory. */
  readonly #out: CommandOutput;
  /** The measured pose at arming: the soft start blends from holding it. */
  readonly #q0: Float64Array;

  #mode: SafetyMode;
  #latch: LatchReason | null = null;
  #stopRequested = false;
  #armRequested: boolean;
  #modelReady: boolean;
  #softStartTicks = 0;
  readonly #space: SafetyGateOptions['actionSpace'] | null;
  #spaceApply: (() => void) | null = null;
  #lastState: Float32Array | null = null;
  #safeCommands = 0;
  readonly #verdicts = new VerdictTally();
  #clamps = 0;
  #latches = 0;
  /** A stop was latched since the last rearm() (kept apart: another latch may have come first). */
  #stopLatched = false;

  /**
   * @param link The robot link (only this gate calls its sendCommand).
   * @param all Every actuator of the robot, model order (the link's command vector).
   * @param commanded Names of the actuators the policy drives, in action order.
   * @param layout The state vector's layout (joint positions and velocities are read from it).
   * @param options The rules (`config`) and the gate's sources.
   */
  constructor(
    link: RobotLink,
    all: readonly ActuatorInfo[],
    commanded: readonly string[],
    layout: StateLayout,
    options: SafetyGateOptions,
  ) {
    this.#cfg = options.config;
    this.#clock = options.clock ?? monotonicClock;
    this.#log = options.logger?.child({ component: 'SafetyGate' }) ?? null;
    this.#watchdog = options.watchdog ?? null;
    this.#imu = options.imu ?? null;
    this.#simulated = options.simulated ?? false;
    const declared = (link as { readonly actuation?: unknown }).actuation;
    const actuation = options.actuation ?? (declared === 'replay' ? 'replay' : 'actuating');
    this.#periodMs = options.periodMs ?? 20;
    if (!(this.#periodMs > 0) || !Number.isFinite(this.#periodMs)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `SafetyGate: periodMs must be a finite number > 0, got ${this.#periodMs}`,
      );
    }
    this.#modelReady = options.modelReady ?? true;
    this.#armRequested = this.#cfg.arm === 'auto';
    this.#mode = actuation === 'replay' ? 'replay' : 'waiting';

    const n = all.length;
    const table = () =>
      actuatorTable(all, commanded, layout, options.joints ?? [], this.#cfg, this.#periodMs);
    this.#t = table();
    // a position action space narrows the table: again when its nominal is captured at arming
    const space = (this.#space = options.actionSpace ?? null);
    if (space !== null) {
      const base = table();
      this.#spaceApply = () => {
        applyActionSpace(this.#t, base, space, this.#cfg, this.#periodMs);
      };
      this.#spaceApply();
    }
    this.#out = new CommandOutput(link, this.#t, this.#cfg, this.#log);
    this.#q0 = new Float64Array(n);
    this.#quatIndex = baseQuatIndex(layout);
    this.#baseRates = baseRateIndex(layout);
    this.#cosMaxTilt = Math.cos(this.#cfg.tilt.max_rad);
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

  /** Ticks per verdict of send(), sendFault() and sendSafe() (allocates: not for the tick). */
  verdictCounts(): Record<GateVerdict, number> {
    return this.#verdicts.counts();
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
      sendErrors: this.#out.sendErrors,
    };
  }

  /**
   * Check `state` and `action` (one value per commanded actuator), limit, and send. Writes the
   * value actually sent for each commanded actuator into `executed`. Never throws on bad numbers.
   * Called once per control tick; allocation-free.
   */
  send(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    return this.#verdicts.count(this.#tick(state, action, null, executed));
  }

  /**
   * A tick on which the policy gave no action (`fault`): the state is judged as in send() (a stale
   * or tilted state still latches, a valid one may arm), then the safe command goes out and the
   * verdict is `fault` (or the state's verdict, when that came first). Allocation-free.
   */
  sendFault(state: Float32Array, fault: PolicyFault, executed: Float32Array): GateVerdict {
    return this.#verdicts.count(this.#tick(state, null, fault, executed));
  }

  /** Send the safe command, e.g. while the state is incomplete. Allocation-free. */
  sendSafe(state: Float32Array, executed: Float32Array): void {
    this.#lastState = state;
    if (this.#mode === 'replay' || this.#mode === 'inactive') {
      this.#verdicts.count(this.#withhold(state, executed));
      return;
    }
    const fresh = this.#freshness();
    this.#latchIfStale(fresh);
    const valid = fresh === 'fresh' && this.#trusted(state);
    this.#verdicts.count(this.#sendSafe(state, executed, valid, 'waiting'));
  }

  /**
   * Software stop (e.g. the stop topic): the safe command goes out at once (when a state has
   * been seen) and every later tick, latched. release() ends the request but does not restart
   * motion; rearm() does. A stop while inactive sends nothing, but activate() finds it latched.
   */
  stop(): void {
    this.#stopRequested = true;
    this.#stopLatched = true;
    if (this.#mode === 'replay') return;
    if (this.#mode === 'inactive') {
      this.#recordLatch('stop', 'fresh');
      return;
    }
    const s = this.#lastState;
    if (s === null) {
      this.#latchFault('stop', 'fresh');
      return;
    }
    // a stream gone stale while armed latches as stale first, as it would on the next tick
    const fresh = this.#freshness();
    this.#latchIfStale(fresh);
    const valid = fresh === 'fresh' && this.#trusted(s);
    this.#latchFault('stop', 'fresh');
    this.#sendSafe(s, null, valid, 'stopped');
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
    if (!ready && this.#armed()) this.#mode = 'waiting';
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
    if (s !== null) this.#sendSafe(s, null, false, 'inactive');
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
      this.#out.forgetPrev();
    }
    if (this.#mode === 'inactive' || this.#mode === 'replay') return;
    if (this.#simulated && this.#cfg.rearm_on_episode_reset && !this.#stopLatched) {
      this.#latch = null;
      this.#armRequested = this.#armRequested || this.#cfg.arm === 'auto';
    }
    this.#mode = this.#latch === null ? 'waiting' : 'latched';
  }

  // ---- internals (allocation-free) ----

  /** send() with an action, or sendFault() with a fault (then `action` is null). */
  #tick(
    state: Float32Array,
    action: Float32Array | null,
    fault: PolicyFault | null,
    executed: Float32Array,
  ): GateVerdict {
    this.#lastState = state;
    if (this.#mode === 'replay' || this.#mode === 'inactive')
      return this.#withhold(state, executed);

    // 1. The state: fresh, finite, plausible, upright.
    const fresh = this.#freshness();
    this.#latchIfStale(fresh);
    let stateVerdict: GateVerdict = 'ok';
    if (!finiteState(state, this.#quatIndex, this.#imu)) stateVerdict = 'state_not_finite';
    else if (!plausibleState(this.#t, this.#cfg.limits, state, this.#baseRates))
      stateVerdict = 'state_implausible';
    else if (this.#cfg.tilt.enabled && fresh === 'fresh') {
      const tilt = baseTilt(state, this.#quatIndex, this.#imu, this.#cosMaxTilt);
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
      if (!this.#armRequested || !this.#modelReady || !allMeasured(this.#t, state)) {
        return this.#sendSafe(state, executed, true, 'disarmed');
      }
      this.#arm(state);
    }

    // 3. The action.
    if (fault !== null) return this.#sendSafe(state, executed, true, fault);
    if (action === null || !allFinite(action))
      return this.#sendSafe(state, executed, true, 'action_not_finite');
    return this.#sendCommand(state, action, executed);
  }

  /** Soft start or running. */
  #armed(): boolean {
    return this.#mode === 'soft_start' || this.#mode === 'running';
  }

  /** The watchdog's verdict on the state's freshness now. A query: latching is the caller's. */
  #freshness(): StaleReason {
    return this.#watchdog === null ? 'fresh' : this.#watchdog.check(this.#clock.nowMs());
  }

  /**
   * A state gone stale while armed latches (in send, sendSafe between episodes and stop alike:
   * damping a dead stream's last velocity is not damping, and a dropout between episodes is a
   * dropout).
   */
  #latchIfStale(fresh: StaleReason): void {
    if (fresh !== 'fresh' && this.#armed()) this.#latchFault('stale', fresh);
  }

  /** Finite and plausible: the state may be acted on (its freshness is judged apart). */
  #trusted(state: Float32Array): boolean {
    return (
      finiteState(state, this.#quatIndex, this.#imu) &&
      plausibleState(this.#t, this.#cfg.limits, state, this.#baseRates)
    );
  }

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

  /** Latch `reason` (the first reason stays) and enter 'latched'. */
  #latchFault(reason: LatchReason, detail: StaleReason): void {
    this.#recordLatch(reason, detail);
    this.#mode = 'latched';
  }

  /** Record a latch without a change of mode: counted and logged once, the first reason kept. */
  #recordLatch(reason: LatchReason, detail: StaleReason): void {
    if (this.#latch === null) {
      this.#latches++;
      this.#log?.warn({ reason, detail }, 'safety gate latched: safe command until re-armed');
    }
    this.#latch ??= reason;
  }

  #arm(state: Float32Array): void {
    for (let k = 0; k < this.#q0.length; k++) {
      const j = this.#t.posIndex[k]!;
      this.#q0[k] = j >= 0 ? state[j]! : this.#out.pose.lastQ[k]!;
    }
    // nominal: arming: the stance is the pose measured now, once
    if (this.#space?.captureNominal?.(Array.from(this.#t.slot, (k) => this.#q0[k]!)) === true) {
      this.#spaceApply?.();
    }
    this.#out.pose.armedOnce = true;
    this.#softStartTicks = 0;
    this.#mode = 'soft_start';
    this.#log?.info('safety gate armed: soft start');
  }

  #sendCommand(state: Float32Array, action: Float32Array, executed: Float32Array): GateVerdict {
    const cfg = this.#cfg;
    const t = this.#t;
    const durMs = cfg.soft_start.duration_s * 1000;
    let s = 1;
    if (this.#mode === 'soft_start') {
      s = durMs > 0 ? Math.min(1, (this.#softStartTicks * this.#periodMs) / durMs) : 1;
      this.#softStartTicks++;
      if (s >= 1) this.#mode = 'running';
    }
    const out = this.#out;
    out.fillSafe(state, true);
    rememberPose(t, state, out.pose);
    const q0 = this.#q0;
    const lastQ = out.pose.lastQ;
    const data = out.data;
    const clamped = limitPolicyCommand(
      t,
      cfg,
      this.#periodMs,
      s,
      action,
      state,
      q0,
      lastQ,
      out.prev,
      data,
    );
    // The last line of defence: nothing non-finite or out of range leaves, whatever happened above.
    if (!withinCommandLimits(t, data))
      return this.#sendSafe(state, executed, true, 'action_not_finite');
    out.copyExecuted(executed);
    if (clamped) this.#clamps++;
    out.pose.holdValid = false;
    if (!out.send()) return 'send_failed';
    return clamped ? 'clamped' : 'ok';
  }

  /** Fill the safe command and send it (unless withheld), writing executed values if given. */
  #sendSafe(
    state: Float32Array,
    executed: Float32Array | null,
    stateValid: boolean,
    verdict: GateVerdict,
  ): GateVerdict {
    const out = this.#out;
    if (stateValid) rememberPose(this.#t, state, out.pose);
    const final = verdict === 'inactive';
    const canSend = out.fillSafe(state, stateValid && !final);
    if (executed !== null) out.copyExecuted(executed);
    this.#safeCommands++;
    if (canSend) out.send();
    return verdict;
  }

  /** A replay or inactive gate: executed gets the safe values, nothing is sent. */
  #withhold(state: Float32Array, executed: Float32Array): GateVerdict {
    this.#out.fillSafe(state, false);
    this.#out.copyExecuted(executed);
    this.#safeCommands++;
    return this.#mode === 'replay' ? 'replay' : 'inactive';
  }
}
