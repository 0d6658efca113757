/** What a scheduler tells each tick. Times in ms on the injected monotonic clock. */
export interface TickInfo {
  /** 0-based count of ticks run by this scheduler. */
  readonly index: number;
  /** The deadline this tick was due at (lockstep: when it started). */
  readonly scheduledMs: number;
  /** When the tick started. */
  readonly startedMs: number;
  /** Measured time since the previous tick started (the nominal period for the first tick). */
  readonly measuredPeriodMs: number;
}

/** A tick body. May be async; the scheduler never starts a tick before the previous one ended. */
export type TickFn = (info: TickInfo) => void | Promise<void>;

/** Runs tick bodies one after another: on absolute deadlines (real time) or back to back (lockstep). */
export interface TickScheduler {
  start(onTick: TickFn): void;
  /** Stops scheduling; resolves once a tick in flight has ended. */
  stop(): Promise<void>;
  /** Ticks run so far. */
  readonly ticks: number;
  /** Deadlines skipped because a tick ran past them (never caught up). */
  readonly overruns: number;
}

/** How a tick ended. The tick never throws: faults come back as a status. */
export type TickStatus =
  | 'ok'
  /** The policy ran past the tick budget (the command was still sent, late). */
  | 'late'
  /** No complete state yet: a safe command was sent. */
  | 'waiting_state'
  /** The state or the policy output was rejected by the safety gate: a safe command was sent. */
  | 'fault'
  /** A valid state the gate may not act on yet (not armed, no model): the safe command, recorded. */
  | 'disarmed';

/** Who produced the executed action of an episode or a tick. */
export type ActionSource = 'random' | 'mpc' | 'policy' | 'mixed';

/**
 * Chooses the action for a state. `out` has one value per commanded actuator, in command units.
 * `deadlineMs` is the absolute time (injected clock) by which the answer is due: anytime policies
 * (MPC) return their best answer by then. May be async (ONNX Runtime inference is).
 */
export interface ActionPolicy {
  readonly source: ActionSource;
  /** The version of the learned dynamics model this policy plans with; absent for random actions. */
  readonly modelVersion?: number | undefined;
  act(state: Float32Array, deadlineMs: number, out: Float32Array): void | Promise<void>;
  /** Forget per-episode memory (e.g. the MPC warm start) at an episode reset. */
  reset?(): void;
  /**
   * After act(): copies the MPC expert's action for that tick's state into `out` and returns
   * true, or returns false when there is none (MPC did not finish in budget). DAgger's label.
   */
  expertLabel?(out: Float32Array): boolean;
}

/** One executed control step. Buffers are borrowed: a sink copies what it keeps. */
export interface Transition {
  readonly state: Float32Array;
  readonly action: Float32Array;
  readonly nextState: Float32Array;
  readonly source: ActionSource;
  /** The MPC expert's action for `state` (A values), or null/absent when there is no label. */
  readonly expertAction?: Float32Array | null;
}

export type TransitionSink = (t: Transition) => void;
