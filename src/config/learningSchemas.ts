/** The `model:`, `planner:` and `learning:` sections of the config (src/config/schema.ts). */
import { z } from 'zod';

export const modelSchema = z
  .strictObject({
    ensemble_size: z.number().int().min(1).max(20).default(5).describe('E, ensemble members'),
    hidden: z
      .array(z.number().int().min(1).max(4096))
      .min(1)
      .max(8)
      .default([200, 200, 200])
      .describe('hidden layer widths of each member'),
    activation: z
      .enum(['swish', 'relu'])
      .default('swish')
      .describe('hidden activation (PETS: swish; Nagabandi: relu)'),
    output: z
      .enum(['gaussian', 'deterministic'])
      .default('gaussian')
      .describe(
        'gaussian: mean and bounded log-variance, NLL (PETS); deterministic: MSE (Nagabandi)',
      ),
    backend: z
      .enum(['auto', 'onnx', 'tfjs'])
      .default('auto')
      .describe(
        'training engine: onnx (onnxruntime-node graph), tfjs (TensorFlow.js), auto (onnx, else tfjs)',
      ),
    learning_rate: z.number().gt(0).max(1).default(0.001).describe('Adam learning rate'),
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(256)
      .describe('minibatch rows per member'),
    epochs_first: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(60)
      .describe('epochs of the first fit (on D_rand)'),
    epochs_per_round: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(30)
      .describe('epochs of each refit (warm started)'),
    initial: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'a model artifact folder (manifest.json + weights.bin, e.g. strider replay’s OUT/model) the controller starts with, through the hot-swap checks (control.policy mpc; docs/bags.md)',
      ),
    holdout_fraction: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe('fraction of transitions held out for validation, by whole episodes'),
    h_step_horizon: z
      .number()
      .int()
      .min(0)
      .max(200)
      .default(10)
      .describe('H of the open-loop validation error (Nagabandi eq. 3); 0 skips it'),
  })
  .prefault({});

export const plannerSchema = z
  .strictObject({
    optimizer: z
      .enum(['random', 'cem', 'mppi', 'icem'])
      .default('cem')
      .describe(
        'random shooting, CEM, MPPI or iCEM (CEM with a shrinking population, coloured noise, elite reuse)',
      ),
    horizon: z
      .number()
      .int()
      .min(1)
      .max(200)
      .default(15)
      .describe('H, planning horizon in control steps'),
    population: z
      .number()
      .int()
      .min(2)
      .max(100000)
      .default(100)
      .describe('K, action sequences per iteration'),
    particles: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'P, TS-inf particles per sequence (default: one per ensemble member); K*P must divide by E',
      ),
    iterations: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('most optimiser iterations per tick (anytime: fewer if the budget ends)'),
    elites: z.number().int().min(1).optional().describe('CEM elites (default 10% of K)'),
    alpha: z
      .number()
      .min(0)
      .lt(1)
      .default(0.1)
      .describe('CEM smoothing: weight on the previous mean/std'),
    temperature: z.number().gt(0).default(1).describe('MPPI temperature lambda, reward units'),
    noise_std: z
      .number()
      .gt(0)
      .max(10)
      .optional()
      .describe(
        'sampling std at the start of each tick as a fraction of each action range (CEM, iCEM, MPPI; default 0.25)',
      ),
    execute: z
      .enum(['best', 'mean'])
      .default('best')
      .describe(
        'the sequence executed: the best one scored in the tick, or the distribution mean after the last iteration (cem, icem, mppi; MPPI as Williams et al. 2017): less sampling noise from tick to tick',
      ),
    noise_beta: z
      .number()
      .min(0)
      .max(5)
      .default(0)
      .describe('coloured noise exponent along the horizon (iCEM: 2)'),
    keep_elite_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('iCEM: elites carried to the next iteration and tick'),
    discount: z.number().gt(0).max(1).default(1).describe('reward discount per step'),
    tilt_cost: z
      .number()
      .min(0)
      .max(1000)
      .default(0)
      .describe(
        "planning only: subtracted from a sequence's score for every predicted step whose base tilts past safety.tilt.max_rad (whether or not the tilt stop is enabled); the episode's return stays the task's. Needs base quat in the state. 0: off",
      ),
    population_decay: z
      .number()
      .min(1)
      .max(100)
      .default(1.25)
      .describe('iCEM: iteration i samples population / population_decay^i sequences'),
    propagation: z
      .enum(['ts_inf', 'ts1'])
      .default('ts_inf')
      .describe(
        'particles keep their ensemble member for the horizon (ts_inf) or redraw it every step (ts1)',
      ),
    prediction: z
      .enum(['mean', 'sample'])
      .default('mean')
      .describe(
        "particles step by each member's mean, or sample its predicted Gaussian (PETS; gaussian models)",
      ),
    threads: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe(
        "ONNX Runtime intra-op threads of the planner's model calls. 1 leaves the other core of a 2-core " +
          'controller to the trainer: at the default shapes a second thread did not speed a pass up (docs/daemon.md)',
      ),
    margin: z
      .number()
      .min(0)
      .max(0.9)
      .default(0.1)
      .describe(
        "fraction of control.budget_ms kept free after planning, for the gate, the command and the control thread's stalls (a GC pause, an I/O callback between model calls): the planner starts no iteration, and abandons one, that would end inside it",
      ),
  })
  .prefault({});

export const learningSchema = z
  .strictObject({
    random_episodes: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(5)
      .describe('episodes of random actions collected first (D_rand)'),
    iterations: z
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(15)
      .describe('aggregation iterations: MPC episodes, then refit'),
    episodes_per_iteration: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('MPC episodes per iteration (into D_rl)'),
    rand_fraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        'cap on the share of D_rand in each refit once D_rl exists (a random subset of its ' +
          'segments); 1 keeps all of D_rand and D_rl (Alg. 1 as written)',
      ),
  })
  .prefault({});
