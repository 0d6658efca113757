import { z } from 'zod';
import { safetySchema } from '../safety/safetyConfig.js';
import { ros2Schema } from '../robot/ros2/ros2Config.js';
import { replaySchema } from '../bags/replayConfig.js';
import { actionSchema, fallSchema, leggedSchema } from './actionSchema.js';

/**
 * The configuration schema: one strict object per section (unknown keys are errors), every field
 * with bounds, a default and a description. `StriderConfig` (z.infer) is the only config type.
 * Robot dimensions (joints, actuators, limits) are not here: they come from the robot model.
 */

const mujocoSchema = z
  .strictObject({
    pacing: z
      .enum(['lockstep', 'realtime'])
      .default('lockstep')
      .describe(
        'lockstep: physics advances when the controller answers (fast, for learning); ' +
          'realtime: physics advances on the wall clock at the control period (emulates a robot)',
      ),
    reset_noise: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('scale of uniform qpos / Gaussian qvel noise added at each reset'),
    floating_base: z
      .boolean()
      .default(true)
      .describe('URDF only: give the root link a free joint (MuJoCo fixes URDF bases otherwise)'),
  })
  .prefault({});

const robotSchema = z
  .strictObject({
    link: z
      .enum(['mujoco', 'ros2'])
      .default('mujoco')
      .describe('which robot link drives the robot: mujoco (embedded simulator) or ros2 (rclnodejs; docs/ros2.md)'),
    model: z
      .string()
      .min(1)
      .describe('robot model file (MJCF .xml or URDF .urdf); relative paths are resolved from the config file'),
    mujoco: mujocoSchema,
    ros2: ros2Schema,
  })
  .describe('the robot and how strider talks to it');

const BASE_QUANTITIES = ['pos_x', 'pos_y', 'pos_z', 'quat', 'linvel', 'angvel'] as const;

const stateSchema = z
  .strictObject({
    joints: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('joints in the state vector, in this order (default: all non-base joints, model order)'),
    base: z
      .array(z.enum(BASE_QUANTITIES))
      .default(['pos_z', 'quat', 'linvel', 'angvel'])
      .describe(
        'root-body quantities in the state vector: pos_x/pos_y/pos_z (world), quat (w,x,y,z), ' +
          'linvel (world frame), angvel (body frame); world x/y are excluded by default',
      ),
  })
  .prefault({});

const randomPolicySchema = z
  .strictObject({
    scale: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        'random actions are uniform in this fraction of each actuator\u2019s command range ' +
          '(position action space: of the space\u2019s bounds around its nominal stance)',
      ),
  })
  .prefault({});

const controlSchema = z
  .strictObject({
    rate_hz: z.number().min(1).max(1000).default(20).describe('control rate in Hz'),
    budget_ms: z
      .number()
      .gt(0)
      .max(1000)
      .optional()
      .describe('per-tick compute budget in ms (default: 80% of the control period); must not exceed the period'),
    actuators: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('actuators commanded, in this order (default: all actuators, model order)'),
    policy: z
      .enum(['random', 'mpc', 'policy', 'dagger'])
      .default('mpc')
      .describe(
        'random: random actions only; mpc: the learning loop (Nagabandi Alg. 1): random episodes, ' +
          'fit the ensemble, then MPC episodes aggregated into the data and refit; dagger: the ' +
          'learning loop, then policy.rounds DAgger rounds (policy.mixing) and policy.eval_episodes ' +
          'of the distilled policy alone; policy: as dagger, but the policy acts in every round once ' +
          'one is loaded (MPC labels every state)',
      ),
    random: randomPolicySchema,
    action: actionSchema.describe('the action space: what an action means (docs/robots.md)'),
  })
  .prefault({});

const cmdVelSchema = z
  .strictObject({
    linear_x: z
      .number()
      .min(-10)
      .max(10)
      .default(0.5)
      .describe('target forward speed, m/s (heading frame: world velocity turned by -yaw, as ROS cmd_vel)'),
    linear_y: z.number().min(-10).max(10).default(0).describe('target lateral speed, m/s (heading frame)'),
    angular_z: z.number().min(-10).max(10).default(0).describe('target yaw rate, rad/s (body z)'),
  })
  .prefault({});

const pathSchema = z
  .strictObject({
    tolerance_m: z
      .number()
      .gt(0)
      .max(100)
      .default(0.25)
      .describe('a waypoint counts as reached within this distance (x/y), m'),
    speed_mps: z.number().gt(0).max(10).default(0.4).describe('forward speed target while following a nav_msgs/Path, m/s'),
    yaw_gain: z
      .number()
      .min(0)
      .max(100)
      .default(1.5)
      .describe('yaw-rate target per radian of heading error towards the next waypoint, 1/s'),
    max_yaw_rate: z.number().gt(0).max(10).default(1).describe('largest yaw-rate target while following a path, rad/s'),
  })
  .prefault({});

const taskSchema = z
  .strictObject({
    reward: z
      .enum(['forward_speed', 'cmd_vel', 'legged'])
      .default('forward_speed')
      .describe(
        'forward_speed: r = vx - w|a|^2 (gym style); cmd_vel: track a Twist; legged: cmd_vel plus ' +
          'upright, height, action-rate and fall terms (task.legged)',
      ),
    ctrl_cost_weight: z
      .number()
      .min(0)
      .max(100)
      .default(0.1)
      .describe('w in the control cost w|a|^2, actions taken from the action space\u2019s nominal and normalised to [-1, 1] by its half-width (effort: the command range)'),
    cmd_vel: cmdVelSchema.describe(
      'the velocity target of the cmd_vel reward until a cmd_vel or path message arrives (ROS 2 link)',
    ),
    cmd_vel_timeout_s: z
      .number()
      .min(0)
      .max(60)
      .default(0.5)
      .describe(
        'ROS 2 link: a cmd_vel stream silent this long sets the target to zero (stand still); 0: keep the last message',
      ),
    legged: leggedSchema.describe('weights of the legged reward (task.reward: legged), legged_gym style'),
    fall: fallSchema.describe(
      'simulation: episodes end early on a fall (the report says terminated: fall); on a robot the tilt stop latches instead',
    ),
    path: pathSchema.describe('ROS 2 link: following a nav_msgs/Path (waypoints in the odometry frame)'),
  })
  .prefault({});

const modelSchema = z
  .strictObject({
    ensemble_size: z.number().int().min(1).max(20).default(5).describe('E, ensemble members'),
    hidden: z
      .array(z.number().int().min(1).max(4096))
      .min(1)
      .max(8)
      .default([200, 200, 200])
      .describe('hidden layer widths of each member'),
    activation: z.enum(['swish', 'relu']).default('swish').describe('hidden activation (PETS: swish; Nagabandi: relu)'),
    output: z
      .enum(['gaussian', 'deterministic'])
      .default('gaussian')
      .describe('gaussian: mean and bounded log-variance, NLL (PETS); deterministic: MSE (Nagabandi)'),
    backend: z
      .enum(['auto', 'onnx', 'tfjs'])
      .default('auto')
      .describe('training engine: onnx (onnxruntime-node graph), tfjs (TensorFlow.js), auto (onnx, else tfjs)'),
    learning_rate: z.number().gt(0).max(1).default(0.001).describe('Adam learning rate'),
    batch_size: z.number().int().min(1).max(65536).default(256).describe('minibatch rows per member'),
    epochs_first: z.number().int().min(1).max(10000).default(60).describe('epochs of the first fit (on D_rand)'),
    epochs_per_round: z.number().int().min(1).max(10000).default(30).describe('epochs of each refit (warm started)'),
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

const plannerSchema = z
  .strictObject({
    optimizer: z
      .enum(['random', 'cem', 'mppi', 'icem'])
      .default('cem')
      .describe('random shooting, CEM, MPPI or iCEM (CEM with a shrinking population, coloured noise, elite reuse)'),
    horizon: z.number().int().min(1).max(200).default(15).describe('H, planning horizon in control steps'),
    population: z.number().int().min(2).max(100000).default(100).describe('K, action sequences per iteration'),
    particles: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('P, TS-inf particles per sequence (default: one per ensemble member); K*P must divide by E'),
    iterations: z.number().int().min(1).max(100).default(5).describe('most optimiser iterations per tick (anytime: fewer if the budget ends)'),
    elites: z.number().int().min(1).optional().describe('CEM elites (default 10% of K)'),
    alpha: z.number().min(0).lt(1).default(0.1).describe('CEM smoothing: weight on the previous mean/std'),
    temperature: z.number().gt(0).default(1).describe('MPPI temperature lambda, reward units'),
    noise_beta: z.number().min(0).max(5).default(0).describe('coloured noise exponent along the horizon (iCEM: 2)'),
    keep_elite_fraction: z.number().min(0).max(1).default(0).describe('iCEM: elites carried to the next iteration and tick'),
    discount: z.number().gt(0).max(1).default(1).describe('reward discount per step'),
    population_decay: z
      .number()
      .min(1)
      .max(100)
      .default(1.25)
      .describe('iCEM: iteration i samples population / population_decay^i sequences'),
    propagation: z
      .enum(['ts_inf', 'ts1'])
      .default('ts_inf')
      .describe('particles keep their ensemble member for the horizon (ts_inf) or redraw it every step (ts1)'),
    prediction: z
      .enum(['mean', 'sample'])
      .default('mean')
      .describe("particles step by each member's mean, or sample its predicted Gaussian (PETS; gaussian models)"),
  })
  .prefault({});

const policySchema = z
  .strictObject({
    hidden: z
      .array(z.number().int().min(1).max(4096))
      .min(1)
      .default([64, 64])
      .describe('hidden layer widths of the distilled policy (tanh; Nagabandi et al. 2017: 2 x 64)'),
    learning_rate: z.number().gt(0).max(1).default(1e-3).describe('Adam step size of the behaviour-cloning fit'),
    epochs: z.number().int().min(1).max(10000).default(20).describe('passes over the labelled set per refit'),
    batch_size: z.number().int().min(1).max(65536).default(256).describe('minibatch rows per Adam step'),
    max_labels: z.number().int().min(2).max(10_000_000).default(200_000).describe('labelled states kept (oldest dropped beyond): the aggregated DAgger set'),
    rounds: z.number().int().min(0).max(1000).default(5).describe('DAgger rounds after the learning loop'),
    episodes_per_round: z.number().int().min(1).max(1000).default(1).describe('episodes run per DAgger round'),
    eval_episodes: z.number().int().min(0).max(1000).default(2).describe('episodes of the policy alone after the rounds'),
    mixing: z
      .enum(['beta', 'gated'])
      .default('beta')
      .describe(
        'beta: the policy acts with probability 1 - beta_i; gated: the policy acts only while its ' +
          "action is within gate_distance of the expert's (the safe mode for hardware)",
      ),
    beta_initial: z.number().min(0).max(1).default(1).describe('beta_1 (round 1): the probability the expert acts'),
    beta_decay: z.number().min(0).max(1).default(0.5).describe('beta_i = beta_initial * beta_decay^(i - 1)'),
    gate_distance: z.number().gt(0).default(0.1).describe("mixing gated: largest Euclidean distance (command units) between the policy's and the expert's action"),
    accept_margin: z
      .number()
      .min(0)
      .max(10)
      .default(0.1)
      .describe("a new policy is rejected when its imitation error on recent labelled states exceeds the serving policy's by more than this fraction"),
    check_states: z.number().int().min(1).max(100_000).default(1000).describe('recent labelled states the acceptance check uses'),
    seed: z.number().int().min(0).default(1).describe('weight initialisation and minibatch order'),
  })
  .prefault({});

const learningSchema = z
  .strictObject({
    random_episodes: z.number().int().min(1).max(10000).default(5).describe('episodes of random actions collected first (D_rand)'),
    iterations: z.number().int().min(0).max(10000).default(15).describe('aggregation iterations: MPC episodes, then refit'),
    episodes_per_iteration: z.number().int().min(1).max(1000).default(1).describe('MPC episodes per iteration (into D_rl)'),
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

const tlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional().describe('CA certificate file (PEM) that signs the broker\u2019s certificate'),
    cert: z.string().min(1).optional().describe('client certificate file (PEM) for mutual TLS'),
    key: z.string().min(1).optional().describe('client private key file (PEM) for mutual TLS'),
    reject_unauthorized: z.boolean().default(true).describe('refuse a broker whose certificate does not verify'),
  })
  .optional();

const transportSchema = z
  .strictObject({
    broker: z
      .string()
      .min(1)
      .default('embedded')
      .describe(
        'embedded: an aedes broker inside `strider run` on a free loopback port; or a broker URL ' +
          '(mqtt://, mqtts://, ws://, wss://) such as mosquitto, EMQX or HiveMQ',
      ),
    prefix: z.string().min(1).default('strider').describe('topic prefix: <prefix>/<robot_id>/transitions|model|policy|status'),
    robot_id: z.string().min(1).default('robot0').describe('this robot\u2019s id in topics and payloads'),
    username: z.string().min(1).optional().describe('broker user name'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('broker password (prefer the STRIDER_MQTT_PASSWORD environment variable over YAML)'),
    tls: tlsSchema.describe('TLS options for mqtts:// and wss:// brokers'),
    spool_limit_mb: z
      .number()
      .gt(0)
      .max(1_000_000)
      .default(256)
      .describe('disk the transition spool may use while the broker is unreachable; beyond it new batches are dropped and counted'),
  })
  .prefault({});

const trainerSchema = z
  .strictObject({
    mode: z
      .enum(['child', 'in_process', 'external'])
      .default('child')
      .describe(
        'child: `strider run` starts `strider train` as a child process at lower priority; ' +
          'external: a trainer started elsewhere serves this robot over the broker; ' +
          'in_process: train between episodes inside the controller (no MQTT)',
      ),
    share_group: z
      .string()
      .min(1)
      .optional()
      .describe('MQTT shared-subscription group: trainers in one group split the robots of a fleet'),
    nice: z.number().int().min(0).max(19).default(10).describe('OS priority increment of the trainer process (higher = lower priority)'),
    model_timeout_s: z
      .number()
      .gt(0)
      .max(86400)
      .default(300)
      .describe('lockstep pacing: how long the controller waits between episodes for the model trained on them'),
    restart_attempts: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('trainer.mode child: restarts of a crashed trainer in a row before the controller gives up on it (0: never restart)'),
    restart_backoff_s: z
      .number()
      .gt(0)
      .max(3600)
      .default(1)
      .describe('trainer.mode child: delay before the first restart of a crashed trainer; doubled for each further attempt in a row, at most 60 s'),
    refit_transitions: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe('run.mode continuous: refit after this many new transitions (or refit_s, whichever first)'),
    refit_s: z
      .number()
      .gt(0)
      .default(60)
      .describe('run.mode continuous: refit after this many seconds when any new transition arrived (or refit_transitions, whichever first)'),
  })
  .prefault({});

const hotswapSchema = z
  .strictObject({
    h_step_margin: z
      .number()
      .min(0)
      .max(100)
      .default(0.5)
      .describe(
        'a candidate is rejected when its H-step error exceeds the serving model\u2019s (on the same held-out starts where the trainer measured both) by more than this fraction',
      ),
    max_disagreement: z
      .number()
      .gt(0)
      .default(5)
      .describe('bound on ensemble disagreement (mean std across members, in state std units) on recent states'),
    canary_ticks: z
      .number()
      .int()
      .min(0)
      .max(100000)
      .default(40)
      .describe('ticks after a swap watched for faults; a fault rolls back to the previous model'),
  })
  .prefault({});

const runSchema = z
  .strictObject({
    episodes: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(5)
      .describe('episodes to run with control.policy random (the learning loop counts its own)'),
    steps_per_episode: z
      .number()
      .int()
      .min(1)
      .max(10000000)
      .default(200)
      .describe('control ticks per episode'),
    seed: z.number().int().min(0).max(4294967295).default(0).describe('random seed for resets and policies'),
    mode: z
      .enum(['auto', 'episodes', 'continuous'])
      .default('auto')
      .describe(
        'episodes: a fixed number of episodes (Alg. 1: the controller waits for each refit in lockstep pacing); ' +
          'continuous: control never waits for training, the trainer refits on trainer.refit_transitions / refit_s and ' +
          'versions swap in mid-run, until SIGINT/SIGTERM or run.duration_s; auto: continuous on a robot, episodes on a simulator',
      ),
    duration_s: z
      .number()
      .gt(0)
      .optional()
      .describe('run.mode continuous: stop after this many seconds of wall time (default: until SIGINT/SIGTERM)'),
    report_every_s: z
      .number()
      .min(0)
      .default(60)
      .describe('rewrite the report and plots every this many seconds during a run (0: only at the end)'),
    record_bag: z
      .boolean()
      .default(false)
      .describe(
        'strider run records OUT/bag/: a rosbag2 MCAP of the state, command and task topics (docs/bags.md)',
      ),
  })
  .prefault({});

const metricsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('serve Prometheus metrics (strider_*) over HTTP at /metrics'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('address the metrics endpoint binds (loopback by default; 0.0.0.0 exposes it to the network)'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9464)
      .describe('TCP port of the metrics endpoint (0: any free port, logged)'),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
      .default('info')
      .describe('log level of the JSON log on stderr'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  robot: robotSchema,
  state: stateSchema,
  control: controlSchema,
  task: taskSchema,
  model: modelSchema,
  planner: plannerSchema,
  learning: learningSchema,
  policy: policySchema,
  transport: transportSchema,
  trainer: trainerSchema,
  hotswap: hotswapSchema,
  safety: safetySchema,
  run: runSchema,
  log: logSchema,
  replay: replaySchema,
  metrics: metricsSchema,
});

export type StriderConfig = z.infer<typeof configSchema>;
export type RobotConfig = StriderConfig['robot'];
export type StateConfig = StriderConfig['state'];
export type ControlConfig = StriderConfig['control'];
export type ActionConfig = ControlConfig['action'];
export type TaskConfig = StriderConfig['task'];
export type RunConfig = StriderConfig['run'];
export type ModelConfig = StriderConfig['model'];
export type PlannerConfig = StriderConfig['planner'];
export type LearningConfig = StriderConfig['learning'];
export type PolicyConfig = StriderConfig['policy'];
export type TransportConfig = StriderConfig['transport'];
export type TrainerConfig = StriderConfig['trainer'];
export type HotswapConfig = StriderConfig['hotswap'];
export type SafetyConfig = StriderConfig['safety'];
export type MetricsConfig = StriderConfig['metrics'];
export type BaseQuantity = (typeof BASE_QUANTITIES)[number];
