import type { BatchReward } from '../planning/types.js';
import { isSteppable, type RobotLink } from '../robot/types.js';
import type { StateAssembler } from '../state/StateAssembler.js';
import type { Logger } from '../util/logger.js';
import { isStriderError } from '../util/StriderError.js';
import type { ControlLoop } from './ControlLoop.js';
import { meanHeadingVelocity, planarDrift, type PlanarVelocity } from './episodeMotion.js';
import type { FallCause, FallDetector } from './FallDetector.js';
import type { ActionSource, TickInfo, TickScheduler, Transition } from './types.js';

/**
 * One finished episode. `states` is (steps+1) x S and `actions` steps x A, row-major, owned; empty
 * once released (releaseTrajectories: a continuous run keeps the summaries of old episodes only).
 */
export interface EpisodeRecord {
  readonly index: number;
  readonly steps: number;
  readonly return: number;
  readonly source: ActionSource;
  /** Why it ended before its step count, if it did (fall: the simulated robot fell). */
  readonly terminated: 'sim_unstable' | 'stopped' | 'fall' | null;
  /** With terminated 'fall': the limit the base passed first (tilt or height); else null. */
  readonly fall: FallCause | null;
  /** Mean base velocity in the heading frame over the episode; null without a floating base. */
  readonly velocity: PlanarVelocity | null;
  /** Horizontal distance the base moved over the episode, m (planarDrift); null without a
   * floating base or a control period. */
  readonly drift: number | null;
  /** The velocity target (cmd_vel) at the episode's end; null without one. */
  readonly command: PlanarVelocity | null;
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
}

const EMPTY = new Float32Array(0);

export interface EpisodeRunnerOptions {
  /** A steppable link (the simulator) is reset each episode; a robot's episodes are time windows. */
  readonly link: RobotLink;
  readonly assembler: StateAssembler;
  readonly loop: ControlLoop;
  readonly reward: BatchReward;
  readonly scheduler: TickScheduler;
  /**
   * lockstep: the runner steps the simulator after every tick; realtime: the simulator advances
   * on its own clock (see RealtimeSimDriver) and the runner only ticks.
   */
  readonly pacing: 'lockstep' | 'realtime';
  readonly stepsPerEpisode: number;
  /** The control period, s (1 / control.rate_hz): the step of an episode's drift. */
  readonly periodSec?: number;
  readonly actionDim: number;
  /** Episode k resets the simulator with seed + k (k counts across runEpisodes calls). */
  readonly seed: number;
  /** Who acts; read at each episode's end to label it. */
  readonly source: () => ActionSource;
  readonly logger: Logger;
  /** Called after each episode, off the tick's critical path (after its last command). */
  readonly onEpisode?: (record: EpisodeRecord) => void;
  /**
   * Called for every recorded transition with its reward, episode index and whether it is the
   * episode's last (the outbox that streams transitions to the trainer). Buffers are borrowed.
   */
  readonly onRecorded?: (t: Transition, reward: number, episode: number, done: boolean) => void;
  /** Called at each episode start, before the simulator reset (the safety gate's episode reset). */
  readonly onEpisodeStart?: () => void;
  /**
   * Ends a simulated episode early when a recorded next state is fallen ('fall'); never on a
   * robot (no reset exists there: the safety gate's tilt stop latches instead).
   */
  readonly fall?: FallDetector;
  /** The velocity target to record with each episode (the cmd_vel reward's). */
  readonly command?: () => PlanarVelocity;
  /** Called after every tick with the episode index and step, for progress displays. */
  readonly onStep?: (episode: number, step: number, returnSoFar: number) => void;
}

/**
 * Runs episodes on a steppable link (the simulator): reset with a per-episode seed, tick the
 * control loop for a fixed number of steps, account the reward of every transition, and hand each
 * finished episode (with its trajectory) to `onEpisode`. runEpisodes() may be called again (the
 * learning loop alternates phases); stop() ends the current episode early, keeps what was
 * recorded, and makes later runEpisodes() calls return at once.
 *
 * A robot (a link that is not steppable) is never left with its last command: between
 * runEpisodes() calls (while the ensemble trains, while the report is written) the scheduler
 * keeps ticking and every tick sends the safety gate's safe command, until halt(). The next
 * episode starts with the gate's episode reset, so motion resumes through a soft start.
 */
export class EpisodeRunner {
  readonly #o: EpisodeRunnerOptions;
  readonly #S: number;
  readonly #rewardOut = new Float32Array(1);
  readonly #fall: FallDetector | null;
  /** The previous transition's action (action-rate reward terms). */
  readonly #prevAction: Float32Array;
  #episode = 0;
  #step = 0;
  #return = 0;
  #states: Float32Array;
  #actions: Float32Array;
  #rewards: Float32Array;
  #recorded = 0;
  #needReset = true;
  #endNext = false;
  /** True while the episode's final transition is being completed (it is the "done" one). */
  #finishing = false;
  #stopRequested = false;
  #fallen: FallCause | null = null;
  #target = 0;
  #done: (() => void) | null = null;
  #ticking = false;
  /** Between episodes on a robot: ticks send the safe command. */
  #holding = false;
  /** Every episode finished so far, in order (see releaseTrajectories). */
  readonly #records: EpisodeRecord[] = [];
  /** Records before this index have had their trajectories released. */
  #released = 0;

  constructor(options: EpisodeRunnerOptions) {
    this.#o = options;
    this.#fall = isSteppable(options.link) ? (options.fall ?? null) : null;
    this.#prevAction = new Float32Array(options.actionDim);
    this.#S = options.assembler.layout.dim;
    const T = options.stepsPerEpisode;
    this.#states = new Float32Array((T + 1) * this.#S);
    this.#actions = new Float32Array(T * options.actionDim);
    this.#rewards = new Float32Array(T);
  }

  /** Run `count` more episodes; resolves with their records once done or stopped. */
  async runEpisodes(count: number): Promise<EpisodeRecord[]> {
    const first = this.#records.length;
    if (this.#stopRequested || count <= 0) return [];
    this.#target = this.#episode + count;
    const finished = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    this.#holding = false;
    if (!this.#ticking) {
      this.#ticking = true;
      this.#o.scheduler.start(this.#tick);
    }
    await finished;
    if (isSteppable(this.#o.link)) await this.halt();
    else this.#holding = true;
    return this.#records.slice(first);
  }

  /** Stop ticking (a robot stops getting the safe command between episodes). Idempotent. */
  async halt(): Promise<void> {
    this.#holding = false;
    if (!this.#ticking) return;
    this.#ticking = false;
    await this.#o.scheduler.stop();
  }

  /** Every episode finished so far, in order (see releaseTrajectories). */
  get records(): readonly EpisodeRecord[] {
    return this.#records;
  }

  /**
   * Drop the trajectories (states, actions, rewards) of the episodes before index `before`,
   * keeping their summaries: a continuous run hands each finished episode on, then calls this so
   * memory stays bounded however long it runs. The newest episode is always kept whole.
   */
  releaseTrajectories(before: number): void {
    const end = Math.min(before, this.#records.length - 1);
    for (let i = this.#released; i < end; i++) {
      this.#records[i] = { ...this.#records[i]!, states: EMPTY, actions: EMPTY, rewards: EMPTY };
    }
    this.#released = Math.max(this.#released, end);
  }

  /** True once stop() was called. */
  get stopped(): boolean {
    return this.#stopRequested;
  }

  /** Finish the current episode early (SIGINT): its transitions so far are kept. */
  stop(): void {
    this.#stopRequested = true;
  }

  /** Where transitions from the control loop arrive (pass as ControlLoop's onTransition). */
  readonly onTransition = (t: Transition): void => {
    const i = this.#recorded;
    if (i >= this.#o.stepsPerEpisode) return;
    const reward = this.#o.reward;
    if (i > 0 && reward.usesPreviousActions === true) {
      reward.evaluate(t.state, t.action, t.nextState, 1, this.#rewardOut, this.#prevAction);
    } else {
      reward.evaluate(t.state, t.action, t.nextState, 1, this.#rewardOut);
    }
    this.#prevAction.set(t.action);
    const r = this.#rewardOut[0]!;
    if (i === 0) {
      this.#states.set(t.state, 0);
      this.#fall?.startEpisode(t.state);
    }
    if (this.#fall !== null && this.#fallen === null) this.#fallen = this.#fall.cause(t.nextState);
    this.#states.set(t.nextState, (i + 1) * this.#S);
    this.#actions.set(t.action, i * this.#o.actionDim);
    this.#rewards[i] = r;
    this.#return += r;
    this.#recorded++;
    this.#o.onRecorded?.(
      t,
      r,
      this.#episode,
      this.#finishing || this.#recorded >= this.#o.stepsPerEpisode,
    );
  };

  readonly #tick = async (info: TickInfo): Promise<void> => {
    const o = this.#o;
    if (this.#holding) {
      o.loop.hold();
      return;
    }
    if (this.#needReset) {
      this.#needReset = false;
      o.onEpisodeStart?.();
      if (isSteppable(o.link)) {
        o.assembler.clear();
        o.link.reset(o.seed + this.#episode);
      }
      o.loop.startEpisode();
    }
    if (this.#endNext || this.#stopRequested) {
      // realtime pacing: the last action's next state has arrived by this tick
      const reason = this.#endReason();
      this.#finishEpisode(reason === 'running' ? null : reason);
      return;
    }
    await o.loop.tick(info);
    this.#step++;
    if (o.pacing === 'lockstep' && isSteppable(o.link)) {
      try {
        o.link.step();
      } catch (err) {
        if (!isStriderError(err, 'SIM_UNSTABLE')) throw err;
        o.logger.warn(
          { episode: this.#episode, step: this.#step, err: err.message },
          'simulation unstable; episode ended',
        );
        o.loop.discardPending();
        this.#finishEpisode('sim_unstable');
        return;
      }
    }
    o.onStep?.(this.#episode, this.#step, this.#return);
    const reason = this.#endReason();
    if (reason !== 'running') {
      if (o.pacing === 'lockstep') {
        this.#finishEpisode(reason);
      } else {
        this.#endNext = true;
      }
    }
  };

  /**
   * 'running', or why the episode ends now: its step count reached (null), a stop request, or a
   * fall.
   */
  #endReason(): 'running' | 'stopped' | 'fall' | null {
    if (this.#step >= this.#o.stepsPerEpisode) return null;
    if (this.#fallen !== null) return 'fall';
    return this.#stopRequested ? 'stopped' : 'running';
  }

  #finishEpisode(terminated: EpisodeRecord['terminated']): void {
    const o = this.#o;
    if (terminated !== 'sim_unstable') {
      this.#finishing = true;
      o.loop.endEpisode();
      this.#finishing = false;
    }
    const steps = this.#recorded;
    const states = this.#states.slice(0, (steps + 1) * this.#S);
    const record: EpisodeRecord = {
      index: this.#episode,
      steps,
      return: this.#return,
      source: o.source(),
      terminated,
      fall: terminated === 'fall' ? this.#fallen : null,
      velocity: meanHeadingVelocity(states, steps, o.assembler.layout),
      drift:
        o.periodSec === undefined
          ? null
          : planarDrift(states, steps, o.assembler.layout, o.periodSec),
      command: o.command?.() ?? null,
      states,
      actions: this.#actions.slice(0, steps * o.actionDim),
      rewards: this.#rewards.slice(0, steps),
    };
    this.#records.push(record);
    o.onEpisode?.(record);
    this.#episode++;
    this.#step = 0;
    this.#return = 0;
    this.#recorded = 0;
    this.#endNext = false;
    this.#fallen = null;
    this.#needReset = true;
    if (this.#episode >= this.#target || this.#stopRequested) this.#done?.();
  }
}
