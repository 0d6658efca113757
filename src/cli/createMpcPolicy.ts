import type { PlannerConfig, StriderConfig } from '../config/schema.js';
import { OnnxEnsemble } from '../dynamics/OnnxEnsemble.js';
import type { EnsembleSessions } from '../dynamics/EnsembleSessions.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { MpcPlanner } from '../planning/MpcPlanner.js';
import { MpcPolicy, type MpcPolicyStats } from '../planning/MpcPolicy.js';
import {
  policyCommand,
  PolicySeeds,
  type PolicyCommand,
  type PolicySlot,
} from '../planning/PolicySeeds.js';
import type { BatchReward, PlannerOptions } from '../planning/types.js';
import type { ActuatorInfo } from '../robot/types.js';
import { ActionSpace } from '../control/ActionSpace.js';
import type { Clock } from '../util/clock.js';
import { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';

/** Particles per sequence and rollouts per ensemble member for this config; checks divisibility. */
export function plannerShape(config: Pick<StriderConfig, 'planner' | 'model'>): {
  particles: number;
  batchPerMember: number;
} {
  const E = config.model.ensemble_size;
  const particles = config.planner.particles ?? E;
  const rollouts = config.planner.population * particles;
  if (rollouts % E !== 0) {
    throw new StriderError(
      'CONFIG_INVALID',
      `planner.population (${config.planner.population}) x planner.particles (${particles}) = ${rollouts} ` +
        `must be divisible by model.ensemble_size (${E}) for TS-inf propagation`,
    );
  }
  return { particles, batchPerMember: rollouts / E };
}

export function plannerOptions(
  p: PlannerConfig,
  particles: number,
  space: ActionSpace,
  budgetMs: number,
): PlannerOptions {
  return {
    optimizer: p.optimizer,
    horizon: p.horizon,
    population: p.population,
    particles,
    // the action space's bounds and nominal (the stance of a position space), copied now
    actionLow: Float32Array.from(space.low),
    actionHigh: Float32Array.from(space.high),
    nominalAction: Float32Array.from(space.nominal),
    discount: p.discount,
    maxIterations: p.iterations,
    noiseBeta: p.noise_beta,
    // the budget's tail for the gate, the command and stalls of the control thread
    timeMarginMs: budgetMs * p.margin,
    propagation: p.propagation,
    execute: p.execute,
    icem: { populationDecay: p.population_decay },
    cem: {
      alpha: p.alpha,
      keepEliteFraction: p.keep_elite_fraction,
      ...(p.elites !== undefined ? { elites: p.elites } : {}),
      ...(p.noise_std !== undefined ? { initStdFraction: p.noise_std } : {}),
    },
    mppi: {
      temperature: p.temperature,
      ...(p.noise_std !== undefined ? { noiseStdFraction: p.noise_std } : {}),
    },
  };
}

/** The factory's policySeeds for this config: policy.seed_share of the slot's policy. */
export function policySeeding(
  config: Pick<StriderConfig, 'policy'>,
  slot: PolicySlot,
  reward: BatchReward,
): NonNullable<MpcPolicyFactoryOptions['policySeeds']> {
  return { share: config.policy.seed_share, slot, command: policyCommand(reward) };
}

export interface MpcPolicyFactoryOptions {
  readonly config: Pick<StriderConfig, 'planner' | 'model' | 'run'>;
  readonly actuators: readonly ActuatorInfo[];
  /** What an action means (default: each actuator's command range, nominal zero). */
  readonly actionSpace?: ActionSpace;
  readonly reward: BatchReward;
  readonly clock: Clock;
  readonly budgetMs: number;
  readonly stateDim: number;
  /** Counters every policy built by this factory adds to. */
  readonly stats?: MpcPolicyStats;
  /**
   * Run every version on one kept session per architecture, weights fed as inputs (the
   * controller). The first version warms the session up and calibrates; later versions take its
   * estimate, so a swap costs no session and no timed plans. Absent: a session per version.
   */
  readonly sessions?: EnsembleSessions;
  /**
   * The distilled policy's seeds in the population (policy.seed_share of it): each planner rolls
   * the slot's policy through its own ensemble (PolicySeeds). Absent: no seeds.
   */
  readonly policySeeds?: {
    readonly share: number;
    readonly slot: PolicySlot;
    readonly command: PolicyCommand | null;
  };
}

/**
 * Returns the function the learning loop calls for each new model version: the ensemble on an
 * ONNX Runtime session (its own, or the kept one of `sessions`), a planner on it, and on a new
 * session warm-up plans so the first tick does not pay ONNX Runtime's first-run cost, then a
 * calibration of the iteration time. Runs off the tick.
 */
export function mpcPolicyFactory(
  o: MpcPolicyFactoryOptions,
): (model: ModelVersion) => Promise<MpcPolicy> {
  const { particles, batchPerMember } = plannerShape(o.config);
  const space = o.actionSpace ?? ActionSpace.commandRange(o.actuators);
  /** With shared sessions: the iteration time calibrated on each architecture's session. */
  const calibrated = new Map<string, number>();
  return async (model) => {
    // built per version: a nominal captured at arming (control.action.nominal: arming) counts
    const seeding = o.policySeeds;
    const options = {
      ...plannerOptions(o.config.planner, particles, space, o.budgetMs),
      seedShare: seeding?.share ?? 0,
    };
    const stepper = await OnnxEnsemble.create(model.snapshot, {
      maxBatchPerMember: batchPerMember,
      intraOpNumThreads: o.config.planner.threads,
      prediction: o.config.planner.prediction,
      rng: new Rng(o.config.run.seed + model.version + 0x9e37),
      ...(o.sessions !== undefined ? { sessions: o.sessions } : {}),
    });
    const archKey = JSON.stringify(model.snapshot.architecture);
    try {
      const planner = new MpcPlanner(
        {
          stepper,
          reward: o.reward,
          clock: o.clock,
          rng: new Rng(o.config.run.seed + model.version),
          ...(seeding !== undefined && seeding.share > 0
            ? {
                seeds: new PolicySeeds({
                  stepper,
                  horizon: options.horizon,
                  slot: seeding.slot,
                  command: seeding.command,
                }),
              }
            : {}),
        },
        options,
      );
      const known = o.sessions !== undefined ? calibrated.get(archKey) : undefined;
      if (known !== undefined) planner.adoptEstimate(known);
      else {
        // Warm-up: ONNX Runtime's first runs are slow; two plans absorb them, then the planner's
        // iteration-time estimate is calibrated to the fastest of five more.
        // Asynchronous model calls meanwhile: these plans run beside the ticks of the serving
        // policy, which must get the event loop between their model calls.
        const warmState = new Float32Array(o.stateDim);
        const synchronous = stepper.synchronous;
        stepper.synchronous = false;
        let ms: number;
        try {
          for (let i = 0; i < 2; i++)
            await planner.plan(warmState, o.clock.nowMs() + 10 * o.budgetMs);
          ms = await planner.calibrate(warmState, 5);
        } finally {
          stepper.synchronous = synchronous;
        }
        if (o.sessions !== undefined && ms > 0 && Number.isFinite(ms)) calibrated.set(archKey, ms);
      }
      return new MpcPolicy(planner, model.version, () => stepper.close(), o.stats);
    } catch (err) {
      await stepper.close();
      throw err;
    }
  };
}
