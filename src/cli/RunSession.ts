import { budgetMs, type StriderConfig } from '../config/index.js';
import {
  ControlLoop,
  DeadlineScheduler,
  EpisodeRunner,
  LockstepScheduler,
  PolicySwitch,
  RandomPolicy,
  type EpisodeRecord,
  type TickScheduler,
  type Transition,
} from '../control/index.js';
import { CmdVelReward, createReward } from '../planning/rewards.js';
import { TaskTargets } from '../planning/TaskTargets.js';
import type { BatchReward } from '../planning/types.js';
import { SafetyGate, StateWatchdog } from '../safety/index.js';
import { MujocoLink } from '../robot/mujoco/index.js';
import { RealtimeSimDriver } from '../robot/RealtimeSimDriver.js';
import { flattenParameters, Ros2Link, type RclnodejsApi } from '../robot/ros2/index.js';
import type { ActuatorInfo, RobotDescription, RobotLink, StateHandlers } from '../robot/types.js';
import { StateAssembler } from '../state/index.js';
import { LatencyHistogram } from '../telemetry/index.js';
import { monotonicClock, nodeTimers, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { MpcPolicy, MpcPolicyStats } from '../planning/MpcPolicy.js';
import { mpcPolicyFactory } from './createMpcPolicy.js';

export interface RunSessionOptions {
  readonly config: StriderConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Called after every tick (progress displays). */
  readonly onStep?: (episode: number, step: number, returnSoFar: number) => void;
  /** Called after every episode. */
  readonly onEpisode?: (record: EpisodeRecord) => void;
  /** Called for every recorded transition (the outbox to the trainer process). */
  readonly onRecorded?: (t: Transition, reward: number, episode: number, done: boolean) => void;
  /** The rclnodejs module for robot.link ros2 (default: imported when the link configures). */
  readonly rclnodejs?: RclnodejsApi;
}

/**
 * The controller on the embedded simulator, wired once: robot link, state assembler, safety
 * gate, reward, policies (a switch that starts on random actions), control loop, scheduler and
 * episode runner. `strider run` and `strider bench` both build one. open() configures the robot
 * (the model file decides every dimension); close() frees everything.
 */
export class RunSession {
  readonly config: StriderConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly periodMs: number;
  readonly budgetMs: number;
  readonly link: MujocoLink | Ros2Link;
  /** lockstep or realtime (the simulator); a ROS 2 robot always runs in real time. */
  readonly pacing: 'lockstep' | 'realtime';
  readonly latency = new LatencyHistogram();
  #parts: SessionParts | null = null;
  #simDriver: RealtimeSimDriver | null = null;
  readonly #o: RunSessionOptions;

  constructor(options: RunSessionOptions) {
    this.#o = options;
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? monotonicClock;
    this.periodMs = 1000 / options.config.control.rate_hz;
    this.budgetMs = budgetMs(options.config.control);
    const robot = options.config.robot;
    this.pacing = robot.link === 'mujoco' ? robot.mujoco.pacing : 'realtime';
    this.link =
      robot.link === 'mujoco'
        ? new MujocoLink({
            modelPath: robot.model,
            controlPeriodSec: this.periodMs / 1000,
            resetNoiseScale: robot.mujoco.reset_noise,
            urdf: { floatingBase: robot.mujoco.floating_base },
            logger: options.logger,
          })
        : new Ros2Link({
            config: robot.ros2,
            modelPath: robot.model,
            controlPeriodSec: this.periodMs / 1000,
            parameters: [
              ...flattenParameters('control', options.config.control),
              ...flattenParameters('safety', options.config.safety),
            ],
            logger: options.logger,
            ...(options.rclnodejs !== undefined ? { rclnodejs: options.rclnodejs } : {}),
          });
  }

  /** The wired parts; throws LOOP_STATE before open(). */
  get parts(): SessionParts {
    if (this.#parts === null) throw new StriderError('LOOP_STATE', 'RunSession.parts before open()');
    return this.#parts;
  }

  /** Configure the robot, build every part, and start delivering state. */
  async open(): Promise<SessionParts> {
    const { config, logger, clock } = this;
    const tiltFromImu = tiltNeedsImu(config);
    const description = await this.link.configure();
    const assembler = new StateAssembler(description, config.state);
    const commanded = config.control.actuators ?? description.actuators.map((a) => a.name);
    const link: RobotLink = this.link;
    const stampClock =
      this.link instanceof MujocoLink ? { nowSec: () => (this.link as MujocoLink).simTimeSec } : this.link.stampClock;
    // A ROS 2 robot with the cmd_vel reward takes its velocity target from cmd_vel and nav_msgs/Path
    // (set below); the pose for path following comes from the odometry the watchdog accepts.
    let task: TaskTargets | null = null;
    const downstream: StateHandlers = {
      jointState: (m) => {
        assembler.jointState(m);
        task?.update(clock.nowMs());
      },
      odometry: (m) => {
        task?.onOdometry(m);
        assembler.odometry(m);
      },
      imu: (m) => {
        assembler.imu(m);
      },
    };
    const watchdog = new StateWatchdog({
      downstream,
      clock,
      timeoutMs: config.safety.state_timeout_ms,
      stamps: config.safety.stamps,
      // the IMU is judged only where the tilt rule reads it: a frozen IMU must not read as upright
      required: { jointState: true, odometry: config.state.base.length > 0, imu: tiltFromImu },
      stampClock,
    });
    const requireModel =
      config.safety.require_model === 'auto' ? this.link instanceof Ros2Link : config.safety.require_model;
    const gate = new SafetyGate(link, description.actuators, commanded, assembler.layout, {
      config: config.safety,
      joints: description.joints,
      clock,
      periodMs: this.periodMs,
      watchdog,
      imu: assembler,
      simulated: this.link instanceof MujocoLink,
      modelReady: !requireModel,
      logger,
    });
    const actuators = commanded.map((name) => description.actuators.find((a) => a.name === name)!);
    for (const a of actuators) {
      if (!Number.isFinite(a.commandLimits[0]) || !Number.isFinite(a.commandLimits[1])) {
        throw new StriderError(
          'MODEL_UNSUPPORTED',
          `actuator "${a.name}" in ${description.modelPath} has no finite control range; ` +
            'random actions and the planner need one (MJCF: ctrlrange="lo hi"; URDF: <limit effort=...>)',
        );
      }
    }
    const reward = createReward(config.task, assembler.layout, actuators);
    const random = new RandomPolicy(actuators, { scale: config.control.random.scale, seed: config.run.seed });
    // require_model: the gate moves the robot only while a learned model's policy is current
    const policy = new PolicySwitch(random, (current) => {
      if (requireModel) gate.setModelReady(current.modelVersion !== undefined);
    });
    const onError = (err: unknown): void => {
      logger.error({ err }, 'tick failed');
    };
    const pacing = this.pacing;
    const scheduler: TickScheduler =
      pacing === 'lockstep'
        ? new LockstepScheduler({ clock, periodMs: this.periodMs, onError })
        : new DeadlineScheduler({ periodMs: this.periodMs, clock, timers: nodeTimers, onError });
    let runner: EpisodeRunner | null = null;
    const loop = new ControlLoop({
      assembler,
      policy,
      gate,
      clock,
      budgetMs: this.budgetMs,
      actionDim: commanded.length,
      latency: this.latency,
      logger,
      onTransition: (t) => runner?.onTransition(t),
      // in real time a policy call that outlives its tick must not leave the last command in force
      ...(pacing === 'realtime' ? { stallTimeoutMs: this.periodMs } : {}),
    });
    runner = new EpisodeRunner({
      link,
      // a new episode restarts simulated time: the gate must not read its stamps as out of order
      onEpisodeStart: () => {
        gate.resetEpisode();
      },
      assembler,
      loop,
      reward,
      scheduler,
      pacing,
      stepsPerEpisode: config.run.steps_per_episode,
      actionDim: commanded.length,
      seed: config.run.seed,
      source: () => policy.source,
      logger,
      ...(this.#o.onStep !== undefined ? { onStep: this.#o.onStep } : {}),
      ...(this.#o.onEpisode !== undefined ? { onEpisode: this.#o.onEpisode } : {}),
      ...(this.#o.onRecorded !== undefined ? { onRecorded: this.#o.onRecorded } : {}),
    });
    logger.info(
      {
        robot: description.name,
        model: description.modelPath,
        joints: description.joints.length,
        actuators: commanded.length,
        stateDim: assembler.layout.dim,
        rateHz: config.control.rate_hz,
        budgetMs: this.budgetMs,
        pacing,
      },
      'configured',
    );
    if (this.link instanceof Ros2Link && reward instanceof CmdVelReward) {
      const targets = new TaskTargets({ target: reward.target, task: config.task, logger });
      task = targets;
      this.link.setTaskHandlers({
        cmdVel: (twist) => {
          targets.onCmdVel(twist, clock.nowMs());
        },
        path: (waypoints, frameId) => {
          targets.onPath(waypoints, frameId, clock.nowMs());
        },
      });
    }
    this.#parts = { description, assembler, gate, actuators, reward, random, policy, scheduler, loop, runner, task };
    if (this.link instanceof Ros2Link) {
      const ros = this.link;
      ros.bindSafety(gate);
      ros.setDiagnosticsSource(() => ({
        ticks: loop.stats.ticks,
        misses: loop.stats.misses,
        budgetMs: this.budgetMs,
        p50Ms: this.latency.quantileMs(0.5),
        p99Ms: this.latency.quantileMs(0.99),
        maxMs: this.latency.maxMs,
        modelVersion: policy.modelVersion ?? null,
        safety: gate.status(),
        ...(task !== null ? { task: { mode: task.mode, ...task.target } } : {}),
      }));
    }
    await this.link.activate(watchdog);
    if (pacing === 'realtime' && this.link instanceof MujocoLink) {
      this.#simDriver = new RealtimeSimDriver(this.link, { periodMs: this.periodMs, clock, timers: nodeTimers, logger });
      this.#simDriver.start();
    }
    return this.#parts;
  }

  /**
   * The factory the hot-swap uses to build the MPC policy of each model version on this session's
   * robot, reward, clock and budget; `stats` collects planner counters across versions.
   */
  mpcPolicyFactory(stats?: MpcPolicyStats): (model: ModelVersion) => Promise<MpcPolicy> {
    const parts = this.parts;
    return mpcPolicyFactory({
      config: this.config,
      actuators: parts.actuators,
      reward: parts.reward,
      clock: this.clock,
      budgetMs: this.budgetMs,
      stateDim: parts.assembler.layout.dim,
      ...(stats !== undefined ? { stats } : {}),
    });
  }

  /** End the current episode early and run no more (SIGINT); safe before open(). */
  stop(): void {
    this.#parts?.runner.stop();
  }

  /** Stop the simulator clock (realtime pacing), deactivate and close the link. Idempotent. */
  async close(): Promise<void> {
    await this.#parts?.runner.halt(); // a robot held between episodes: the ticks end here
    await this.#simDriver?.stop();
    this.#simDriver = null;
    this.#parts?.gate.deactivate(); // one final safe command, then nothing

    await this.link.deactivate().catch((err: unknown) => {
      this.logger.warn({ err }, 'link deactivate failed');
    });
    await this.link.close();
  }
}

/**
 * Whether the tilt rule reads the base orientation from the IMU (the state has no base.quat), so
 * the IMU must be fresh. @throws StriderError CONFIG_INVALID when the rule is on and a ROS 2
 * robot has neither (it would read as upright for ever).
 */
export function tiltNeedsImu(config: StriderConfig): boolean {
  if (!config.safety.tilt.enabled || config.state.base.includes('quat')) return false;
  if (config.robot.link === 'ros2' && config.robot.ros2.topics.imu === null) {
    throw new StriderError(
      'CONFIG_INVALID',
      'safety.tilt.enabled needs the base orientation, and this robot has none: add quat to ' +
        'state.base (from robot.ros2.topics.odometry), set robot.ros2.topics.imu, or set ' +
        'safety.tilt.enabled: false',
    );
  }
  return true;
}

/** What open() builds. */
export interface SessionParts {
  readonly description: RobotDescription;
  readonly assembler: StateAssembler;
  readonly gate: SafetyGate;
  /** The commanded actuators, in action order. */
  readonly actuators: readonly ActuatorInfo[];
  readonly reward: BatchReward;
  readonly random: RandomPolicy;
  readonly policy: PolicySwitch;
  readonly scheduler: TickScheduler;
  readonly loop: ControlLoop;
  readonly runner: EpisodeRunner;
  /** The cmd_vel / path target of a ROS 2 robot with the cmd_vel reward; null otherwise. */
  readonly task: TaskTargets | null;
}
