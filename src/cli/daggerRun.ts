import type { ExpertPolicy } from '../control/DaggerPolicy.js';
import type { ActionPolicy } from '../control/types.js';
import { DaggerLoop } from '../learning/DaggerLoop.js';
import type { PolicyReport } from '../telemetry/index.js';
import { PolicyGate } from '../learning/PolicyGate.js';
import {
  InProcessPolicySource,
  RemotePolicySource,
  type PolicySource,
} from '../learning/PolicySource.js';
import { headingFrameOf } from '../dynamics/policy/headingFrame.js';
import { policyCommand } from '../planning/PolicySeeds.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { CmdVelReward, ForwardSpeedReward } from '../planning/rewards.js';
import type { DifferentiableReward } from '../dynamics/onnx/rewardGraph.js';
import { PolicyTrainer, type PolicyReturnTerm } from '../trainer/PolicyTrainer.js';
import { stateIndex } from '../state/types.js';
import { StriderError } from '../util/StriderError.js';
import type { ModelSupply } from './ModelSupply.js';
import type { RunSession } from './RunSession.js';

/** The episodes control.policy dagger / policy adds after the learning loop. */
export function daggerEpisodes(config: RunSession['config']): number {
  const p = config.policy;
  return config.control.policy === 'dagger' || config.control.policy === 'policy'
    ? p.rounds * p.episodes_per_round + p.eval_episodes
    : 0;
}

function isExpert(p: ActionPolicy): p is ExpertPolicy {
  return 'lastPlanStatus' in p;
}

/**
 * control.policy dagger / policy, after the learning loop (the serving MPC policy is the expert):
 * the DAgger rounds and the evaluation episodes of the policy alone. The policy is fitted in
 * this process (trainer.mode in_process) or by the trainer process, which publishes it on the
 * policy topic (child, external). Returns the report's `policy` section (null: no MPC expert, or no policy was
 * accepted). The transitions of these episodes reach the policy through `supply.tap`.
 */
export async function runDagger(
  session: RunSession,
  supply: ModelSupply,
  serving: () => ModelVersion | null = () => null,
): Promise<PolicyReport | null> {
  const { config, logger } = session;
  const parts = session.parts;
  const mode = config.control.policy;
  if (mode !== 'dagger' && mode !== 'policy') return null;
  const expert = parts.policy.current;
  if (!isExpert(expert)) {
    logger.warn('no MPC policy serves after the learning loop: no DAgger rounds');
    return null;
  }
  const S = parts.assembler.layout.dim;
  const A = parts.actuators.length;
  const pc = config.policy;
  const remote = supply.remote;
  // the policy takes the task's command after the state when the task has one (the in-process
  // trainer reads it live; the trainer process gets it with each streamed transition)
  const command = policyCommand(parts.reward);
  // where this state's quaternion and velocity sit (null: none): the policy's frame, the gate's check
  const frame = headingFrameOf(parts.assembler.layout);
  const trainer =
    remote !== null
      ? null
      : new PolicyTrainer({
          stateDim: S,
          commandDim: command === null ? 0 : 3,
          actionLow: Float32Array.from(parts.actionSpace.low),
          actionHigh: Float32Array.from(parts.actionSpace.high),
          hiddenSizes: pc.hidden,
          headingFrame: pc.frame === 'heading' ? frame : null,
          fit: {
            epochs: pc.epochs,
            inputNoise: pc.input_noise,
            temporalSmoothness: pc.temporal_smoothness,
            batchSize: pc.batch_size,
            learningRate: pc.learning_rate,
            seed: pc.seed,
          },
          maxLabels: pc.max_labels,
          members: pc.ensemble,
          ...(pc.return_weight > 0 ? { returnTerm: returnTerm(session, serving) } : {}),
        });
  const gate = new PolicyGate({
    stateDim: S,
    commandDim: command === null ? 0 : 3,
    actionDim: A,
    headingFrame: frame,
    margin: pc.accept_margin,
    capacity: pc.check_states,
  });
  let source: PolicySource;
  let remoteSource: RemotePolicySource | null = null;
  if (remote !== null) {
    remoteSource = new RemotePolicySource({
      wait: session.pacing === 'lockstep',
      timeoutMs: config.trainer.model_timeout_s * 1000,
    });
    await remote.subscribePolicy(remoteSource.offer);
    source = remoteSource;
  } else {
    source = new InProcessPolicySource(trainer!, command, logger);
  }
  const loop = new DaggerLoop({
    runner: parts.runner,
    policy: parts.policy,
    expert,
    source,
    gate,
    config: pc,
    mode,
    actionDim: A,
    seed: config.run.seed,
    logger,
    command,
    seedSlot: session.policySeedSlot,
  });
  supply.tap(loop.observe);
  try {
    return await loop.run();
  } finally {
    supply.tap(null);
    remoteSource?.close();
    parts.policy.use(expert);
    await loop.close();
    await trainer?.close();
  }
}

/** policy.return_*: the serving model and the task's reward in the form the term differentiates. */
function returnTerm(session: RunSession, serving: () => ModelVersion | null): PolicyReturnTerm {
  const pc = session.config.policy;
  const reward = session.parts.reward;
  let form: DifferentiableReward;
  if (reward instanceof ForwardSpeedReward) form = reward.linearForm();
  else if (reward instanceof CmdVelReward) form = reward.differentiableForm();
  else {
    throw new StriderError(
      'CONFIG_INVALID',
      `policy.return_weight > 0 needs task.reward forward_speed, cmd_vel or legged, got ${session.config.task.reward}`,
    );
  }
  const tiltCost = session.config.planner.tilt_cost;
  const layout = session.parts.assembler.layout;
  // planner.tilt_cost, smoothed (the planner's is a step): the expert's constraint binds the
  // policy's return term too, or the model's return would pitch the runner over
  const tilt =
    tiltCost > 0
      ? {
          x: stateIndex(layout, 'base.quat.x'),
          y: stateIndex(layout, 'base.quat.y'),
          cost: tiltCost,
          cosMax: Math.cos(session.config.safety.tilt.max_rad),
          sharpness: 10,
        }
      : null;
  return {
    weight: pc.return_weight,
    horizon: pc.return_horizon,
    steps: pc.return_steps,
    starts: pc.return_starts,
    model: () => serving()?.snapshot ?? null,
    reward: tilt !== null && tilt.x >= 0 && tilt.y >= 0 ? { ...form, tilt } : form,
  };
}
