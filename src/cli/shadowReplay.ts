import { evaluateReplay, type ReplayErrors } from '../bags/evaluateReplay.js';
import { budgetMs, type StriderConfig } from '../config/index.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Trajectory } from '../dynamics/Trajectory.js';
import { emptyMpcPolicyStats, type MpcPolicyStats } from '../planning/MpcPolicy.js';
import { planningReward } from '../planning/TiltCost.js';
import { createReward } from '../planning/createReward.js';
import type { RobotDescription, RobotLink } from '../robot/types.js';
import { SafetyGate } from '../safety/index.js';
import type { StateAssembler } from '../state/index.js';
import { monotonicClock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { mpcPolicyFactory } from './createMpcPolicy.js';
import { commandedActuators } from './sessionConfig.js';

/** What `strider replay --shadow` reports (the report's `shadow`). */
export interface ShadowReport {
  readonly model_version: number;
  readonly episodes: number;
  readonly steps: number;
  /**
   * Predicted vs recorded next states: the model's one-step and H-step errors on these episodes
   * (the recorded actions applied), with the zero-delta and constant-velocity baselines.
   */
  readonly next_state: ReplayErrors;
  /** Planned (the MPC policy's action on each recorded state) vs recorded actions. */
  readonly actions: {
    readonly names: readonly string[];
    /** Root mean squared difference per actuator, command units. */
    readonly rmse: readonly number[];
    /** The same divided by each actuator's command range, averaged over actuators. */
    readonly rmse_of_range: number;
    /** Mean planned minus recorded per actuator, command units (a bias). */
    readonly mean_difference: readonly number[];
  };
  readonly planner: MpcPolicyStats;
  /** What the safety gate (actuation 'replay') sent to the link: always 0. */
  readonly commands_sent: number;
}

/**
 * `strider replay --shadow`: the controller's planner (the MPC policy built as `strider run`
 * builds it: same actuators, reward, budget) acts on every recorded state of `episodes`, its
 * action goes through a SafetyGate whose link declares actuation 'replay' (nothing can be
 * published: the gate withholds every command, and this link counts any it would get), and the
 * planned actions are compared with the recorded ones; the model's predicted next states are
 * compared with the recorded ones (evaluateReplay). The planner works against the wall clock and
 * the tick budget, as on the robot, so its actions vary a little from run to run.
 * @throws StriderError CONFIG_INVALID when the recorded action is not the robot's commanded
 *   actuators (e.g. a Twist action, or replay.robot topics: no actuators to plan for)
 */
export async function shadowReplay(o: {
  readonly config: Readonly<StriderConfig>;
  readonly description: RobotDescription;
  readonly assembler: StateAssembler;
  readonly model: ModelVersion;
  readonly episodes: readonly Trajectory[];
  readonly logger: Logger;
  readonly progress?: (text: string) => void;
}): Promise<ShadowReport> {
  const { config, description, logger } = o;
  const layout = o.assembler.layout;
  const S = layout.dim;
  const A = o.model.snapshot.architecture.actionDim;
  const actuators = description.actuators.length > 0 ? commandedActuators(description, config) : [];
  if (
    actuators.length === 0 ||
    actuators.length !== A ||
    o.model.snapshot.architecture.stateDim !== S
  ) {
    throw new StriderError(
      'CONFIG_INVALID',
      `strider replay --shadow plans for the robot's commanded actuators (${actuators.length}: ` +
        `${actuators.map((a) => a.name).join(', ') || 'none'}), and the model acts on ${A} ` +
        `actions over ${o.model.snapshot.architecture.stateDim} state values (the bag gives ${S}); ` +
        'it needs replay.robot: model and the command topic as the action (float64_multi_array)',
    );
  }
  const clock = monotonicClock;
  const budget = budgetMs(config.control);
  const periodMs = 1000 / config.control.rate_hz;
  const planner = emptyMpcPolicyStats();
  const reward = createReward(config.task, layout, actuators);
  const policy = await mpcPolicyFactory({
    config,
    actuators,
    reward: planningReward(reward, layout, config.planner.tilt_cost, config.safety.tilt.max_rad),
    clock,
    budgetMs: budget,
    stateDim: S,
    stats: planner,
  })(o.model);
  const link = new NoPublishLink();
  const gate = new SafetyGate(
    link,
    description.actuators,
    actuators.map((a) => a.name),
    layout,
    {
      config: config.safety,
      joints: description.joints,
      clock,
      periodMs,
      actuation: 'replay',
      modelReady: true,
      simulated: true,
      logger,
    },
  );
  const planned = new Float32Array(A);
  const executed = new Float32Array(A);
  const sumSq = new Float64Array(A);
  const sum = new Float64Array(A);
  let steps = 0;
  try {
    for (const [e, ep] of o.episodes.entries()) {
      policy.reset();
      gate.resetEpisode();
      const T = ep.actions.length / A;
      for (let t = 0; t < T; t++) {
        const state = ep.states.subarray(t * S, (t + 1) * S);
        await policy.act(state, clock.nowMs() + budget, planned);
        gate.send(state, planned, executed);
        for (let k = 0; k < A; k++) {
          const d = planned[k]! - ep.actions[t * A + k]!;
          sumSq[k] = sumSq[k]! + d * d;
          sum[k] = sum[k]! + d;
        }
        steps++;
      }
      o.progress?.(`shadow: episode ${e + 1}/${o.episodes.length}, ${steps} states planned on`);
    }
  } finally {
    await policy.close();
    gate.deactivate();
  }
  const rmse = Array.from(sumSq, (s) => Math.sqrt(s / Math.max(1, steps)));
  const ranges = actuators.map((a) => a.commandLimits[1] - a.commandLimits[0]);
  const nextState = await evaluateReplay(
    o.model.snapshot,
    o.episodes,
    config.model.h_step_horizon || 10,
  );
  return {
    model_version: o.model.version,
    episodes: o.episodes.length,
    steps,
    next_state: nextState,
    actions: {
      names: actuators.map((a) => a.name),
      rmse,
      rmse_of_range: rmse.reduce((acc, r, k) => acc + r / ranges[k]!, 0) / A,
      mean_difference: Array.from(sum, (s) => s / Math.max(1, steps)),
    },
    planner: { ...planner },
    commands_sent: link.commands,
  };
}

/** The link the shadow's gate is given: declares actuation 'replay'; counts what it is sent. */
class NoPublishLink implements RobotLink {
  readonly actuation = 'replay' as const;
  commands = 0;
  configure(): Promise<RobotDescription> {
    return Promise.reject(new StriderError('LOOP_STATE', 'the shadow link has no robot'));
  }
  activate(): Promise<void> {
    return Promise.resolve();
  }
  sendCommand(): void {
    this.commands++;
  }
  deactivate(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
