import type { StateAssembler } from '../state/StateAssembler.js';
import type { LatencyHistogram } from '../telemetry/LatencyHistogram.js';
import { nodeTimers, type Clock, type Timers } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import {
  isPolicyCommand,
  type GateVerdict,
  type PolicyFault,
  type SafetyGate,
} from '../safety/index.js';
import type { ActionPolicy, TickInfo, TickStatus, Transition, TransitionSink } from './types.js';

export interface ControlLoopOptions {
  readonly assembler: StateAssembler;
  readonly policy: ActionPolicy;
  readonly gate: SafetyGate;
  readonly clock: Clock;
  /** Per-tick compute budget, ms: the policy's deadline and the miss threshold. */
  readonly budgetMs: number;
  /** Number of commanded actuators (A). */
  readonly actionDim: number;
  readonly latency: LatencyHistogram;
  /**
   * Optional: the latency of the ticks the MPC policy acted on, apart (a random policy's ticks
   * take microseconds and would hide the planner's figures in the overall histogram).
   */
  readonly mpcLatency?: LatencyHistogram;
  readonly onTransition: TransitionSink;
  readonly logger: Logger;
  /**
   * On a robot (real-time pacing): how long after a tick starts the policy may take before the
   * tick gives up on it and sends the safe command, ms (the control period: the 2-tick rule).
   * The policy is not called again until that call has returned. Unset: the tick waits (lockstep
   * simulation, where time stands still).
   */
  readonly stallTimeoutMs?: number;
  /** Timers for stallTimeoutMs (default: Node's). */
  readonly timers?: Timers;
}

/** Counters of the loop, for the report. */
export interface ControlLoopStats {
  ticks: number;
  /** Ticks whose latency exceeded the budget. */
  misses: number;
  /** Ticks that sent the safe command instead of the policy's action. */
  fallbacks: number;
  /** Ticks that found no complete state. */
  waiting: number;
  /** Ticks between episodes on a robot (safe command, not counted in `ticks`). */
  held: number;
  /** Ticks the MPC policy acted on, and how many of those exceeded the budget. */
  mpcTicks: number;
  mpcMisses: number;
}

/**
 * One control tick: read the assembled state, ask the policy for an action by the deadline, pass it
 * through the safety gate to the robot, record the latency, and complete the previous tick's
 * transition (s, a, s'). The tick never throws: a policy fault becomes the safe command and a
 * status, logged with a throttle. Buffers are allocated once, here.
 */
export class ControlLoop {
  readonly stats: ControlLoopStats = {
    ticks: 0,
    misses: 0,
    fallbacks: 0,
    waiting: 0,
    held: 0,
    mpcTicks: 0,
    mpcMisses: 0,
  };
  readonly #o: ControlLoopOptions;
  readonly #action: Float32Array;
  readonly #executed: Float32Array;
  readonly #prevState: Float32Array;
  readonly #prevAction: Float32Array;
  /** A: the expert label of the pending transition's state (valid while #prevLabelled). */
  readonly #prevExpert: Float32Array;
  readonly #expertNow: Float32Array;
  #labelNow = false;
  #prevLabelled = false;
  readonly #transition: { -readonly [K in keyof Transition]: Transition[K] };
  #pending = false;
  #lastFaultLogMs = Number.NEGATIVE_INFINITY;
  /** A policy call a tick gave up on, until it returns. */
  #stalled: Promise<void> | null = null;
  readonly #clearStalled = (): void => {
    this.#stalled = null;
  };

  constructor(options: ControlLoopOptions) {
    this.#o = options;
    const S = options.assembler.layout.dim;
    this.#action = new Float32Array(options.actionDim);
    this.#executed = new Float32Array(options.actionDim);
    this.#prevState = new Float32Array(S);
    this.#prevAction = new Float32Array(options.actionDim);
    this.#prevExpert = new Float32Array(options.actionDim);
    this.#expertNow = new Float32Array(options.actionDim);
    this.#transition = {
      state: this.#prevState,
      action: this.#prevAction,
      nextState: options.assembler.state,
      source: options.policy.source,
      expertAction: null,
    };
  }

  /** Run one tick. Resolves with how it ended; never rejects. */
  async tick(info: TickInfo): Promise<TickStatus> {
    const o = this.#o;
    const t0 = o.clock.nowMs();
    this.stats.ticks++;
    const state = o.assembler.state;
    if (!o.assembler.ready) {
      o.gate.sendSafe(state, this.#executed);
      this.stats.waiting++;
      this.stats.fallbacks++;
      this.#pending = false;
      return 'waiting_state';
    }
    this.#completePending();

    let status: TickStatus = 'ok';
    // Without an action from the policy, the gate gets the fault and sends the safe command.
    let fault: { reason: PolicyFault; msg: string; err: unknown } | null = null;
    this.#labelNow = false;
    if (this.#stalled !== null) {
      // an earlier call has not returned (the planner is not re-entrant)
      fault = {
        reason: 'policy_busy',
        msg: 'policy still busy with an earlier tick; safe command sent',
        err: null,
      };
    } else {
      try {
        const acting = o.policy.act(state, t0 + o.budgetMs, this.#action);
        if (o.stallTimeoutMs === undefined || !(acting instanceof Promise)) await acting;
        else if (!(await this.#returnsWithin(acting, o.stallTimeoutMs))) {
          // whatever it writes later is not used
          fault = {
            reason: 'policy_stalled',
            msg: `policy did not return within ${o.stallTimeoutMs} ms; safe command sent`,
            err: null,
          };
        }
        if (fault === null && o.policy.expertLabel !== undefined)
          this.#labelNow = o.policy.expertLabel(this.#expertNow);
      } catch (err) {
        fault = { reason: 'policy_failed', msg: 'policy failed; safe command sent', err };
      }
    }
    const actedMs = o.clock.nowMs();
    let verdict: GateVerdict;
    if (fault === null) verdict = o.gate.send(state, this.#action, this.#executed);
    else {
      this.#logFault(t0, fault.msg, fault.err, info.index);
      status = 'fault';
      verdict = o.gate.sendFault(state, fault.reason, this.#executed);
    }
    if (verdict === 'disarmed') {
      // Not armed yet (or no model): the safe command went out on a valid state. It is a true
      // sample of the robot's dynamics, so it is recorded (the data a first model learns from).
      if (status === 'ok') status = 'disarmed';
      this.stats.fallbacks++;
      this.#keepPending(state);
    } else if (!isPolicyCommand(verdict)) {
      if (status === 'ok')
        this.#logFault(t0, `safety gate: ${verdict}; safe command sent`, null, info.index);
      status = 'fault';
      this.stats.fallbacks++;
      this.#pending = false;
    } else {
      this.#keepPending(state);
    }
    const latencyMs = o.clock.nowMs() - t0;
    o.latency.record(latencyMs);
    const late = latencyMs > o.budgetMs;
    if (late) {
      this.stats.misses++;
      if (status === 'ok') status = 'late';
      // debug: where the time went (the policy, or what came after it on this thread)
      o.logger.debug(
        { tick: info.index, latencyMs, policyMs: actedMs - t0, budgetMs: o.budgetMs },
        'tick over budget',
      );
    }
    if (o.policy.source === 'mpc') {
      o.mpcLatency?.record(latencyMs);
      this.stats.mpcTicks++;
      if (late) this.stats.mpcMisses++;
    }
    return status;
  }

  /**
   * A tick outside episodes (a robot between episodes): the safety gate's safe command, nothing
   * recorded, no policy called. Counted in stats.held.
   */
  hold(): void {
    this.stats.held++;
    this.#pending = false;
    this.#o.gate.sendSafe(this.#o.assembler.state, this.#executed);
  }

  /** Close the episode: the last action's transition ends in the current state. */
  endEpisode(): void {
    if (this.#o.assembler.ready) this.#completePending();
    this.#pending = false;
  }

  /** Drop a pending transition (its next state would belong to another episode). */
  discardPending(): void {
    this.#pending = false;
  }

  /** At an episode reset: drop the pending transition and reset the policy's episode memory. */
  startEpisode(): void {
    this.#pending = false;
    this.#o.policy.reset?.();
  }

  /**
   * Whether `acting` settles within `ms`; a rejection is rethrown. If not, the call is kept in
   * #stalled until it settles. Allocates a timer and two callbacks per tick: only on robots,
   * where a policy that never returns must not leave the last command on the actuators.
   */
  #returnsWithin(acting: Promise<void>, ms: number): Promise<boolean> {
    const timers = this.#o.timers ?? nodeTimers;
    return new Promise<boolean>((resolve, reject) => {
      let late = false;
      const timer = timers.setTimeout(() => {
        late = true;
        this.#stalled = acting.then(this.#clearStalled, this.#clearStalled);
        resolve(false);
      }, ms);
      acting.then(
        () => {
          if (late) return;
          timers.clearTimeout(timer);
          resolve(true);
        },
        (err: unknown) => {
          if (late) return;
          timers.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  #keepPending(state: Float32Array): void {
    this.#prevState.set(state);
    this.#prevAction.set(this.#executed);
    this.#prevLabelled = this.#labelNow;
    if (this.#labelNow) this.#prevExpert.set(this.#expertNow);
    this.#pending = true;
  }

  #completePending(): void {
    if (!this.#pending) return;
    this.#pending = false;
    this.#transition.source = this.#o.policy.source;
    this.#transition.expertAction = this.#prevLabelled ? this.#prevExpert : null;
    this.#o.onTransition(this.#transition);
  }

  #logFault(nowMs: number, msg: string, err: unknown, tick: number): void {
    // One line per second at most: a fault that repeats every tick must not flood the log.
    if (nowMs - this.#lastFaultLogMs < 1000) return;
    this.#lastFaultLogMs = nowMs;
    this.#o.logger.warn({ err, tick }, msg);
  }
}
