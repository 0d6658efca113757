import type { Quaternion } from '../msgs/types.js';
import type { JointInfo } from '../robot/types.js';
import type { GateActionSpace } from './actuatorTable.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { SafetyConfig } from './safetyConfig.js';
import type { StaleReason } from './StateWatchdog.js';

/** Why the policy gave no action for a tick: it threw, outlived its tick, or is still busy. */
export type PolicyFault = 'policy_failed' | 'policy_stalled' | 'policy_busy';

/**
 * What the gate did with a tick's command:
 * - ok, clamped: the policy's command went out (clamped: at least one value was limited);
 * - state_not_finite, state_implausible, action_not_finite: rejected this tick, safe command;
 * - a PolicyFault: the policy gave no action (sendFault), safe command;
 * - stale, tilt, stopped: a latched fault (new or still latched), safe command until re-armed;
 * - waiting: a state not yet complete or fresh, safe command;
 * - disarmed: a valid state on which the gate may not move the robot yet (no arm request, or no
 *   model with safety.require_model): the safe command went out, and (state, safe command, next
 *   state) is still a true sample of the robot's dynamics;
 * - inactive, replay: nothing was sent (deactivated gate; a link that must never actuate);
 * - send_failed: the link refused the command.
 */
export type GateVerdict =
  | 'ok'
  | 'clamped'
  | 'state_not_finite'
  | 'state_implausible'
  | 'action_not_finite'
  | PolicyFault
  | 'stale'
  | 'tilt'
  | 'stopped'
  | 'waiting'
  | 'disarmed'
  | 'inactive'
  | 'replay'
  | 'send_failed';

/** True when the policy's (possibly clamped) command was what went to the robot. */
export function isPolicyCommand(verdict: GateVerdict): boolean {
  return verdict === 'ok' || verdict === 'clamped';
}

/** Where the gate is in its lifecycle; see SafetyGate. */
export type SafetyMode = 'waiting' | 'soft_start' | 'running' | 'latched' | 'inactive' | 'replay';

/** Why the gate is latched. */
export type LatchReason = 'stale' | 'tilt' | 'stop';

/**
 * Whether a link may drive actuators. A bag replay is 'replay': the gate never sends to it,
 * whatever the policy says. Links may declare it as a property `actuation` (read once).
 */
export type LinkActuation = 'actuating' | 'replay';

/** Judges state freshness (src/safety/StateWatchdog.ts). */
export interface FreshnessSource {
  check(nowMs: number): StaleReason;
  reset(): void;
}

export interface SafetyGateOptions {
  /** The safety rules (config `safety:`; `defaultSafetyConfig()` for the defaults). */
  readonly config: SafetyConfig;
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
  /**
   * The action space (src/control/ActionSpace.ts): in position space the commanded position
   * actuators are limited to its bounds, rate-limited on its width, and their safe command is its
   * nominal (the stance). captureNominal (nominal: arming) is called once at the first arming.
   */
  readonly actionSpace?: GateActionSpace & {
    captureNominal?(positionsInActionOrder: ArrayLike<number>): boolean;
  };
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
