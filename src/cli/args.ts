import { parseArgs } from 'node:util';
import { StriderError } from '../util/StriderError.js';

export const COMMANDS = ['run', 'train', 'replay', 'bench'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Options every command takes (DESIGN.md "CLI" contract). */
export interface CommonArgs {
  readonly command: CommandName;
  readonly config: string | undefined;
  readonly set: readonly string[];
  readonly out: string | undefined;
  readonly report: string | undefined;
  readonly help: boolean;
  /** replay: the bag (folder, .mcap or .db3). */
  readonly bag?: string | undefined;
  /** replay: send the trained model to running controllers over MQTT. */
  readonly publish?: boolean;
  /** replay: run the controller's planner on the held-out recorded states (report only). */
  readonly shadow?: boolean;
  /** bench only: the learning benchmark, its seeds, environment steps and seeds at once (as given). */
  readonly learning?: boolean;
  readonly seeds?: string | undefined;
  readonly steps?: string | undefined;
  readonly jobs?: string | undefined;
  /** bench only: the soak bench, its minutes and seconds between samples (as given). */
  readonly soak?: boolean;
  readonly minutes?: string | undefined;
  readonly sampleS?: string | undefined;
}

export type ParsedArgs =
  | { readonly kind: 'command'; readonly args: CommonArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', short: 's', multiple: true },
  out: { type: 'string', short: 'o' },
  report: { type: 'string', short: 'r' },
  help: { type: 'boolean', short: 'h' },
  bag: { type: 'string', short: 'b' },
  publish: { type: 'boolean' },
  shadow: { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
  learning: { type: 'boolean' },
  seeds: { type: 'string' },
  steps: { type: 'string' },
  jobs: { type: 'string' },
  soak: { type: 'boolean' },
  minutes: { type: 'string' },
  'sample-s': { type: 'string' },
} as const;

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

/** Parse argv (without node and script). Unknown commands and options are CLI_USAGE errors. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StriderError('CLI_USAGE', `${reason}; see strider --help`, { cause });
  }
  const { values, positionals } = parsed;
  const first = positionals[0];
  if (first === undefined) {
    if (values.version === true) return { kind: 'version' };
    return { kind: 'help' };
  }
  if (!isCommand(first)) {
    throw new StriderError(
      'CLI_USAGE',
      `unknown command "${first}"; commands are: ${COMMANDS.join(', ')}`,
    );
  }
  if (
    first !== 'bench' &&
    (values.learning === true ||
      values.seeds !== undefined ||
      values.steps !== undefined ||
      values.jobs !== undefined ||
      values.soak === true ||
      values.minutes !== undefined ||
      values['sample-s'] !== undefined)
  ) {
    throw new StriderError(
      'CLI_USAGE',
      `--learning, --seeds, --steps, --jobs, --soak, --minutes and --sample-s are options of strider bench, not of ${first}`,
    );
  }
  if (values.learning === true && values.soak === true) {
    throw new StriderError('CLI_USAGE', 'strider bench takes --learning or --soak, not both');
  }
  if (first !== 'replay' && (values.publish === true || values.shadow === true)) {
    throw new StriderError(
      'CLI_USAGE',
      `--publish and --shadow are options of strider replay, not of ${first}`,
    );
  }
  if (positionals.length > 1) {
    throw new StriderError(
      'CLI_USAGE',
      `unexpected argument "${positionals[1] ?? ''}" after "${first}"; see strider ${first} --help`,
    );
  }
  return {
    kind: 'command',
    args: {
      command: first,
      config: values.config,
      set: values.set ?? [],
      out: values.out,
      report: values.report,
      help: values.help === true,
      bag: values.bag,
      publish: values.publish === true,
      shadow: values.shadow === true,
      learning: values.learning === true,
      seeds: values.seeds,
      steps: values.steps,
      jobs: values.jobs,
      soak: values.soak === true,
      minutes: values.minutes,
      sampleS: values['sample-s'],
    },
  };
}

const COMMON_HELP = `Options:
  -c, --config FILE       config YAML (default: config/planar_runner.yaml of this install)
  -s, --set PATH=VALUE    override a config value; repeatable, e.g. --set run.episodes=3
                          --set robot.model=/abs/path/model.xml
  -o, --out DIR           folder for the report, plots and artifacts (default: runs/<time>)
  -r, --report FILE       where the JSON report goes (default: OUT/report.json)
  -h, --help              show this help`;

export const HELP: Record<CommandName | 'main', string> = {
  main: `strider: a real-time robot controller that learns its robot's dynamics while it runs

Usage: strider <command> [options]

Commands:
  run       run the controller on the configured robot (default: the embedded MuJoCo
            planar runner), write a report and plots
  train     the online trainer: learns the dynamics model from the transitions robots
            publish over MQTT and publishes model versions back
  replay    train the dynamics model from a rosbag2 bag (--bag PATH) and report its
            errors against zero-delta and constant-velocity baselines
  bench     planner, inference, tick and training benchmarks (figures, JSON with --report)

${COMMON_HELP}
  -V, --version           print the version

Run 'strider <command> --help' for a command's details. Docs: docs/ in the repository.`,
  run: `Usage: strider run [options]

Runs the control loop on the configured robot for run.episodes episodes of
run.steps_per_episode ticks at control.rate_hz, with the policy control.policy. With
robot.link mujoco (the default) the embedded MuJoCo simulator is the robot; pacing
lockstep runs as fast as the controller answers, realtime on the wall clock. With
robot.link ros2 the robot is a ROS 2 robot or Gazebo, through rclnodejs (it needs a sourced
ROS 2 Jazzy; docs/ros2.md): episodes are tick windows, and the safety gate sends only the
safe command until a learned model serves, and between episodes (docs/safety.md).

Writes OUT/report.json (episodes, tick latency, misses), OUT/learning_curve.{svg,png}
(return per episode vs environment steps) and OUT/tick_latency.{svg,png}; with
run.record_bag: true also OUT/bag/, a rosbag2 MCAP of the state, command and cmd_vel topics
that strider replay, ros2 bag and Foxglove read (docs/bags.md). model.initial=DIR (a model
artifact, e.g. strider replay's OUT/model) starts control.policy mpc on that model, once the
hot-swap checks pass.
Ctrl-C ends the current episode, writes the report and exits with status 130.

${COMMON_HELP}

Examples:
  strider run
  strider run --set run.episodes=10 --set robot.mujoco.pacing=realtime
  strider run --config config/quadruped.yaml --out runs/quad
  strider run --set run.record_bag=true --set model.initial=runs/replay/model
  strider run --config config/quadruped_ros2.yaml   # ROS 2 / Gazebo (launch/gazebo.launch.py)`,
  train: `Usage: strider train [options]

The online trainer, a process apart from the controller (lower OS priority by trainer.nice).
It subscribes to transition batches over MQTT, assembles them into episodes (complete at a
done flag or when the next episode of the same run starts; fragments under 2 transitions are
dropped and counted; an episode whose s' and next s disagree is split there), stores every
episode and model under OUT, and trains one model per robot id on Nagabandi's Alg. 1 schedule:
the first model once a robot has learning.random_episodes random episodes (D_rand), then a
refit after every learning.episodes_per_iteration new MPC/policy episodes (D_rl). Trainings run
one at a time. Each model is published retained (QoS 1) on <prefix>/<robot>/model.

Broker: transport.broker must be a URL (mqtt://, mqtts://, ws://, wss://); "embedded" is
refused (\`strider run\` starts its own broker and passes its URL to its child trainer).
transport.username/password (the password preferably from STRIDER_MQTT_PASSWORD) and
transport.tls.* (ca, cert, key, reject_unauthorized) are used as given.
MQTT version: STRIDER_MQTT_PROTOCOL=4|5 when set; otherwise MQTT 5, falling back to 3.1.1
when the broker refuses 5 (aedes does).

Topics (prefix transport.prefix):
  transport.robot_id=ID     <prefix>/ID/transitions (default: the robot of the config)
  transport.robot_id=+      <prefix>/+/transitions, every robot (one model per robot id)
  trainer.share_group=G     $share/G/<prefix>/+/transitions: trainers in G split the fleet
Status (retained, offline as the last will): <prefix>/trainer-<robot_id|group>/status.
Client id: strider-trainer-<robot_id|group>-<host> (STRIDER_MQTT_CLIENT_ID overrides); the
session is persistent, so the broker keeps transitions for a trainer that is briefly away.

OUT (the data folder; default runs/trainer-<time>) holds <robot>/episodes, <robot>/models/v<N>
and trainer.log (JSON lines, also on stderr); restarting on the same OUT restores the dataset
and continues the version numbers. stdout gets one line when subscribed and one per model:
  model v3 for robot0: 1200 transitions (rand 1000, rl 200), val loss ..., H-step error ..., 2.1 s
Runs until SIGINT/SIGTERM: stops a running training, saves open episodes, publishes the
offline status, writes the report (counters, models; default OUT/report.json), exits 0. A
second signal exits at once (130).

${COMMON_HELP}

Examples:
  strider train --set transport.broker=mqtt://10.0.0.5:1883 --out /data/trainer
  STRIDER_MQTT_PASSWORD=... strider train --config robot.yaml \\
    --set transport.broker=mqtts://broker:8883 --set transport.username=trainer \\
    --set transport.robot_id=+ --set trainer.share_group=gpu`,
  replay: `Usage: strider replay --bag PATH [options]

Trains the dynamics ensemble from a rosbag2 bag (a bag folder, a .mcap or a .db3; MCAP or
sqlite3, any rosbag2 era) and reports how well it predicts held-out episodes.
The config's replay: section maps topics to the state (state:, through the same state
assembler as live control) and the action: by default nav_msgs/Odometry on /odom and the
geometry_msgs/Twist on /cmd_vel (linear.x, angular.z). Topics are aligned on one clock
(replay.time) and resampled to the control period (control.rate_hz): states are
interpolated linearly between the samples around each tick, the command is the last one at
or before it; state samples more than replay.max_gap_s apart split episodes, and episodes
are cut to replay.episode_s; every k-th episode (k = 1 / replay.holdout_fraction) is held out.
The model: section sets the ensemble and training (as for \`strider run\`).

Writes OUT/model (manifest.json + weights.bin, the trainer's model format; strider run
starts from it with --set model.initial=OUT/model), OUT/report.json
(transitions, episodes, one_step_error, h_step_error and baselines.zero_delta /
constant_velocity on the same held-out episodes and H = model.h_step_horizon; errors are mean
squared, in units of the state's std) and OUT/replay.log. A progress line on a terminal.
Bad input (a missing topic, a type that differs from the config, a file that is not a bag,
an empty bag) exits 1 with a BAG_* message naming the topic or file. Docs: docs/bags.md.

  -b, --bag PATH          the bag to replay (required)
      --publish           also send the model to running controllers over MQTT, as the trainer
                          does (retained, QoS 1, on <transport.prefix>/<transport.robot_id>/model;
                          needs --set transport.broker=mqtt://HOST:1883); a controller's
                          hot-swap takes it if newer than its serving version and it passes the checks
      --shadow            also run the controller's planner (MPC, model.initial when set, else the
                          model just trained) on every held-out recorded state, through a safety
                          gate that cannot publish; the report's shadow: predicted vs recorded
                          next states, planned vs recorded actions (needs replay.robot model and
                          the command topic as the action)
${COMMON_HELP}
                          (replay's default config: config/diffdrive_replay.yaml)

Examples:
  strider replay --bag ../shared/testdata/bags/robots/neato_real_fsc --out runs/neato
  strider replay --bag robot.mcap --config my_robot.yaml --set control.rate_hz=50
  strider replay --bag runs/rec/bag --config config/planar_runner.yaml --publish \\
    --set transport.broker=mqtt://10.0.0.5:1883`,
  bench: `Usage: strider bench [options]

Prints figures (not pass/fail) and writes them as JSON (--report FILE, default OUT/bench.json):
  planner   one MPC optimiser iteration over the ONNX ensemble, for the configured shapes and
            for E5 K200 H15 200x3 obs 29 act 8: model-steps/s and GFLOP/s
  engine    the raw ONNX Runtime forward chain for the same shapes, in the same run, and the
            planner's efficiency (engine time / planner time)
  tick      control tick latency p50/p99/max at 50 Hz in real-time pacing with MPC: alone, with
            a trainer training beside it, and streaming to a child trainer through a broker
            outage and a trainer SIGKILL (misses per phase)
  training  ensemble training throughput in sample-passes/s
The config (default config/planar_runner.yaml) sets the robot and shapes; --set overrides it.

strider bench --learning [--seeds N] [--steps S] [--jobs J]: the learning benchmark
(docs/learning.md). For each seed 0..N-1 (default 3), J at a time (default 1), it runs
\`strider run\` in the gym protocol up to S environment steps (default 50000; 10k allowed):
1000-step episodes at 20 Hz, r = v_x - 0.1|a|^2, lockstep, a 40 ms tick budget, the trainer
as a child process, 1 random episode then MPC episodes with a refit after each. --set overrides go after the protocol's (e.g. --set robot.model=/abs/cheetah.xml
for any half-cheetah-class MJCF). Prints a line per episode (seed, env steps, return) and per
seed; writes OUT/seed-<i>/ (each run's report, log, plots), OUT/learning_curve.{svg,png} (mean
and min-max over seeds against env steps, random and MPC apart) and the JSON (--report FILE,
default OUT/learning.json): learning.seeds[i].episodes[j] {steps, return, source}, and per seed
env_steps, wall_time_s, ticks_over_budget, model_versions_accepted, last3_mean.
  --learning              run the learning benchmark instead of the figures above
  --seeds N               seeds 0..N-1 (default 3)
  --steps S               environment steps per seed (default 50000)
  --jobs J                seeds run at once (default 1; above 1 they share the cores, so each
                          planner fits fewer samples per tick than alone)

strider bench --soak [--minutes M] [--sample-s S]: the soak bench (docs/daemon.md). Runs
\`strider run\` in continuous mode for M minutes (default 60; run.duration_s = M*60) with the
trainer as a child process and the metrics endpoint on a free loopback port (the default config
in real-time pacing), and every S seconds (default 60) samples the controller's and the trainer's
RSS (VmRSS) and open fds (/proc), the disk use of the run's folder (OUT/run) and the trainer's
data (OUT/run/trainer), and ticks, misses and the model version from the metrics endpoint; a line
per sample. Writes OUT/soak.json (samples; summary: RSS slope after the warm-up, the first 10
minutes or the first third of a shorter soak, in MiB per 10 minutes by least squares; fd min/max;
disk max against trainer.retention when the config has it) and OUT/soak.{svg,png} (RSS and fds
against minutes); prints the summary. Ctrl-C ends it early and still writes the files (exit 130).
  --soak                  run the soak bench instead of the figures above
  --minutes M             minutes of the run (default 60; fractions allowed)
  --sample-s S            seconds between samples (default 60)

${COMMON_HELP}

Examples:
  strider bench
  strider bench --learning --seeds 1 --steps 10k --out runs/learn
  strider bench --learning --set robot.model=/abs/path/half_cheetah.xml
  strider bench --soak --minutes 60 --out runs/soak`,
};
