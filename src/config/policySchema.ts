/** The `policy:` section of the config (src/config/schema.ts): the DAgger policy. */
import { z } from 'zod';

export const policySchema = z
  .strictObject({
    hidden: z
      .array(z.number().int().min(1).max(4096))
      .min(1)
      .default([64, 64])
      .describe(
        'hidden layer widths of the distilled policy (tanh; Nagabandi et al. 2017: 2 x 64)',
      ),
    frame: z
      .enum(['heading', 'world'])
      .default('world')
      .describe(
        "heading: the policy sees the state in the robot's heading frame (base.quat without its yaw, " +
          'base.linvel turned by -yaw), the same whichever way the robot faces (legged_gym likewise; ' +
          'config/quadruped.yaml sets it; not with return_weight > 0); world: as the state has it. ' +
          'No difference without base.quat in state.base',
      ),
    learning_rate: z
      .number()
      .gt(0)
      .max(1)
      .default(1e-3)
      .describe('Adam step size of the behaviour-cloning fit'),
    epochs: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(20)
      .describe('passes over the labelled set per refit'),
    input_noise: z
      .number()
      .min(0)
      .max(10)
      .default(0)
      .describe(
        'standard deviation of Gaussian noise added to the normalised state inputs of every ' +
          'minibatch row in the fit (the command stays exact): the policy answers alike to nearby ' +
          "states, which keeps it from chattering tick to tick on a noisy expert's labels (CAPS, " +
          'Mysore et al. 2021; docs/learning.md). 0: none',
      ),
    temporal_smoothness: z
      .number()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        "lambda of CAPS's temporal term (Mysore et al. 2021): the fit adds lambda x the mean " +
          "squared change of the policy's output ([-1, 1] units) from each labelled state to the " +
          'state its transition led to, so the policy answers alike on consecutive ticks instead ' +
          'of chattering (docs/learning.md). 0: none',
      ),
    ensemble: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe(
        'K > 1: each refit fits K policies of their own seeds on the labels, then the served ' +
          "policy on their mean answer (one network on the tick, fitted on K fits' consensus " +
          'rather than on one fit; docs/learning.md). 1: the policy fits the labels',
      ),
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(256)
      .describe('minibatch rows per Adam step'),
    max_labels: z
      .number()
      .int()
      .min(2)
      .max(10_000_000)
      .default(200_000)
      .describe('labelled states kept (oldest dropped beyond): the aggregated DAgger set'),
    rounds: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('DAgger rounds after the learning loop'),
    episodes_per_round: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('episodes run per DAgger round'),
    eval_episodes: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(2)
      .describe('episodes of the policy alone after the rounds'),
    mixing: z
      .enum(['beta', 'gated'])
      .default('beta')
      .describe(
        'beta: the policy acts with probability 1 - beta_i; gated: the policy acts only while its ' +
          "action is within gate_distance of the expert's (the safe mode for hardware)",
      ),
    imitation: z
      .enum(['dagger', 'bc'])
      .default('dagger')
      .describe(
        'dagger: the rounds mix the policy in (policy.mixing); bc: plain behaviour cloning for ' +
          'comparison: the expert acts in every round (beta 1), so the policy is fitted on ' +
          'MPC-only states from as many rounds and episodes (the report gives both label counts), ' +
          'then evaluated alone like dagger',
      ),
    select: z
      .enum(['last', 'best'])
      .default('last')
      .describe(
        'which policy the evaluation episodes (and the report) take after the rounds: last: the ' +
          'last accepted; best: the one whose own rounds scored the highest mean return, counting ' +
          'only rounds where it acted on at least 90% of the ticks (Ross et al. 2011, Alg. 3.1: ' +
          '"return best on validation"); the last accepted where none qualifies',
      ),
    beta_initial: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe('beta_1 (round 1): the probability the expert acts'),
    beta_decay: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('beta_i = beta_initial * beta_decay^(i - 1)'),
    gate_distance: z
      .number()
      .gt(0)
      .default(0.1)
      .describe(
        "mixing gated: largest Euclidean distance (command units) between the policy's and the expert's action",
      ),
    accept_margin: z
      .number()
      .min(0)
      .max(10)
      .default(0.1)
      .describe(
        "a new policy is rejected when its imitation error on recent labelled states exceeds the serving policy's by more than this fraction",
      ),
    check_states: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('recent labelled states the acceptance check uses'),
    seed_share: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe(
        "share of MPC's candidate sequences per iteration that are the serving policy rolled through the model (TD-MPC2); none while no policy serves",
      ),
    return_weight: z
      .number()
      .min(0)
      .max(1000)
      .default(0)
      .describe(
        "weight of the dynamics model's predicted reward per step in the policy's fit: after each " +
          "refit's cloning epochs, return_steps Adam steps on cloning MSE - return_weight x the reward " +
          'the serving model predicts over return_horizon steps under the policy, back-propagated ' +
          'through the ensemble (docs/learning.md). 0: plain cloning. With control.policy dagger or ' +
          'policy it needs trainer.mode in_process',
      ),
    return_horizon: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('H of the model rollouts of the return term (control steps)'),
    return_steps: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(200)
      .describe('Adam steps of the return term per refit'),
    return_starts: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(32)
      .describe(
        'rollouts per ensemble member and step, each from a labelled state drawn at random',
      ),
    seed: z.number().int().min(0).default(1).describe('weight initialisation and minibatch order'),
  })
  .prefault({});
