/**
 * The `transport:`, `trainer:`, `hotswap:`, `run:`, `metrics:` and `log:` sections of the config
 * (src/config/schema.ts).
 */
import { z } from 'zod';

export const tlsSchema = z
  .strictObject({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe('CA certificate file (PEM) that signs the broker\u2019s certificate'),
    cert: z.string().min(1).optional().describe('client certificate file (PEM) for mutual TLS'),
    key: z.string().min(1).optional().describe('client private key file (PEM) for mutual TLS'),
    reject_unauthorized: z
      .boolean()
      .default(true)
      .describe('refuse a broker whose certificate does not verify'),
  })
  .optional();

export const transportSchema = z
  .strictObject({
    broker: z
      .string()
      .min(1)
      .default('embedded')
      .describe(
        'embedded: an aedes broker inside `strider run` on a free loopback port; or a broker URL ' +
          '(mqtt://, mqtts://, ws://, wss://) such as mosquitto, EMQX or HiveMQ',
      ),
    prefix: z
      .string()
      .min(1)
      .default('strider')
      .describe('topic prefix: <prefix>/<robot_id>/transitions|model|policy|status'),
    robot_id: z
      .string()
      .min(1)
      .default('robot0')
      .describe('this robot\u2019s id in topics and payloads'),
    username: z.string().min(1).optional().describe('broker user name'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe(
        'broker password (prefer the STRIDER_MQTT_PASSWORD environment variable over YAML)',
      ),
    tls: tlsSchema.describe('TLS options for mqtts:// and wss:// brokers'),
    spool_limit_mb: z
      .number()
      .gt(0)
      .max(1_000_000)
      .default(256)
      .describe(
        'disk the transition spool may use while the broker is unreachable; beyond it new batches are dropped and counted',
      ),
  })
  .prefault({});

export const retentionSchema = z
  .strictObject({
    max_transitions: z
      .number()
      .int()
      .min(0)
      .default(1_000_000)
      .describe(
        'the trainer keeps at most this many transitions per robot (0: no limit); beyond it the oldest D_rl episodes are ' +
          'deleted (disk and memory), D_rand is kept. A stored transition takes 8 + 4 (2 S + 2 A + 1) + 1 bytes ' +
          '(measured: 389 for the quadruped, S 35, A 12; 245 for the planar runner, S 23, A 6), so 1,000,000 is about ' +
          '390 MB and 245 MB on disk, and about as much in memory',
      ),
    max_bytes: z
      .number()
      .int()
      .min(0)
      .default(2 * 1024 ** 3)
      .describe(
        'the trainer keeps at most this many bytes of episode files per robot (0: no limit), same policy; the default ' +
          '2 GiB binds before max_transitions only for transitions over 2147 bytes (large states, e.g. S 220, A 50)',
      ),
    keep_models: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(5)
      .describe(
        'model version folders kept per robot (the newest ones; the newest valid model is never deleted)',
      ),
  })
  .prefault({})
  .describe(
    'bounded disk and memory for a long-running trainer: what its store keeps (checked after each stored episode)',
  );

export const trainerSchema = z
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
      .describe(
        'MQTT shared-subscription group: trainers in one group split the robots of a fleet',
      ),
    nice: z
      .number()
      .int()
      .min(0)
      .max(19)
      .default(19)
      .describe(
        'OS priority increment of the trainer process (higher = lower priority); 19, the lowest, gave the ' +
          "controller's planner the fewest overruns beside the trainer's fits (docs/daemon.md)",
      ),
    model_timeout_s: z
      .number()
      .gt(0)
      .max(86400)
      .default(300)
      .describe(
        'lockstep pacing: how long the controller waits between episodes for the model trained on them',
      ),
    restart_attempts: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe(
        'trainer.mode child: restarts of a crashed trainer in a row before the controller gives up on it (0: never restart)',
      ),
    cpus: z
      .string()
      .regex(
        /^(auto|all|\d+(-\d+)?(,\d+(-\d+)?)*)$/,
        'expected auto, all, or a CPU list such as 1 or 2-3,6',
      )
      .default('auto')
      .describe(
        'trainer.mode child: the CPUs the trainer process may run on (Linux taskset list). auto: every CPU but ' +
          "the first, which stays the controller's (a 2-core machine: the trainer on CPU 1); all: no pinning. " +
          "Beside a nice-19 trainer on the controller's core, a 16 ms tick overran its budget in 0.7% of ticks (docs/daemon.md)",
      ),
    restart_backoff_s: z
      .number()
      .gt(0)
      .max(3600)
      .default(1)
      .describe(
        'trainer.mode child: delay before the first restart of a crashed trainer; doubled for each further attempt in a row, at most 60 s',
      ),
    refit_transitions: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe(
        'run.mode continuous: refit after this many new transitions (or refit_s, whichever first)',
      ),
    refit_s: z
      .number()
      .gt(0)
      .default(60)
      .describe(
        'run.mode continuous: refit after this many seconds when any new transition arrived (or refit_transitions, whichever first)',
      ),
    retention: retentionSchema,
  })
  .prefault({});

/**
 * Bytes of one stored transition with the smallest dimensions (S 1, A 1): seq u64, s, a, a*, s'
 * and reward as f32, done u8 (TransitionBatchCodec). The config cannot know the robot's
 * dimensions, so a byte limit is checked against this lower bound.
 */
export const MIN_TRANSITION_BYTES = 8 + 4 * 5 + 1;

/**
 * The cross-field check of trainer.retention: each limit must hold at least one episode
 * (run.steps_per_episode transitions). Returns the problems as [key path, message].
 */
export function retentionIssues(
  retention: { readonly max_transitions: number; readonly max_bytes: number },
  stepsPerEpisode: number,
): [string[], string][] {
  const out: [string[], string][] = [];
  const path = ['trainer', 'retention'];
  const t = retention.max_transitions;
  if (t > 0 && t < stepsPerEpisode)
    out.push([
      [...path, 'max_transitions'],
      `holds less than one episode: expected 0 (no limit) or at least run.steps_per_episode (${stepsPerEpisode}) transitions`,
    ]);
  const b = retention.max_bytes;
  const minBytes = stepsPerEpisode * MIN_TRANSITION_BYTES;
  if (b > 0 && b < minBytes)
    out.push([
      [...path, 'max_bytes'],
      `holds less than one episode: expected 0 (no limit) or at least ${minBytes} bytes ` +
        `(run.steps_per_episode ${stepsPerEpisode} transitions of at least ${MIN_TRANSITION_BYTES} bytes each)`,
    ]);
  return out;
}

export const hotswapSchema = z
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
      .describe(
        'bound on ensemble disagreement (mean std across members, in state std units) on recent states',
      ),
    canary_ticks: z
      .number()
      .int()
      .min(0)
      .max(100000)
      .default(40)
      .describe('ticks after a swap watched for faults; a fault rolls back to the previous model'),
  })
  .prefault({});

export const runSchema = z
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
    seed: z
      .number()
      .int()
      .min(0)
      .max(4294967295)
      .default(0)
      .describe('random seed for resets and policies'),
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
      .describe(
        'run.mode continuous: stop after this many seconds of wall time (default: until SIGINT/SIGTERM)',
      ),
    report_every_s: z
      .number()
      .min(0)
      .default(60)
      .describe(
        'rewrite the report and plots every this many seconds during a run (0: only at the end)',
      ),
    record_bag: z
      .boolean()
      .default(false)
      .describe(
        'strider run records OUT/bag/: a rosbag2 MCAP of the state, command and task topics (docs/bags.md)',
      ),
  })
  .prefault({});

export const metricsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('serve Prometheus metrics (strider_*) over HTTP at /metrics'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'address the metrics endpoint binds (loopback by default; 0.0.0.0 exposes it to the network)',
      ),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9464)
      .describe('TCP port of the metrics endpoint (0: any free port, logged)'),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
      .default('info')
      .describe('log level of the JSON log on stderr'),
  })
  .prefault({});
