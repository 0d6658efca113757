import { commandedActuators, episodeEnds, taskTracking, tiltNeedsImu } from './sessionConfig.js';
import { budgetMs, resolveRunMode, type StriderConfig } from '../config/index.js';
import {
  ActionSpace,
  ControlLoop,
  DeadlineScheduler,
  EpisodeRunner,
  LockstepScheduler,
  PolicySwitch,
  RandomPolicy,
  type EpisodeRecord,
  type TickScheduler,
  type Transition,
  type TransitionSink,
} from '../control/index.js';
import { DaggerPolicy } from '../control/DaggerPolicy.js';
import { CmdVelReward } from '../planning/rewards.js';
import { planningReward } from '../planning/TiltCost.js';
import { createReward } from '../planning/createReward.js';
import type { PolicySlot } from '../planning/PolicySeeds.js';
import { TaskTargets } from '../planning/TaskTargets.js';
import type { BatchReward } from '../planning/types.js';
import { SafetyGate, StateWatchdog } from '../safety/index.js';
import { gateEpisodeStart } from '../safety/episodeStart.js';
import { RealtimeSimDriver } from '../robot/RealtimeSimDriver.js';
import {
  Diagnostics,
  SafetyTopics,
  TaskInputs,
  type ControllerDiagnostics,
  type RclnodejsApi,
  type Ros2NodeHost,
} from '../robot/ros2/index.js';
import {
  isSteppable,
  linkCapabilities,
  type ActuatorInfo,
  type LinkCapabilities,
  type RobotDescription,
  type RobotLink,
} from '../robot/types.js';
import { StateAssembler } from '../state/index.js';
import { LatencyHistogram } from '../telemetry/index.js';
import { monotonicClock, nodeTimers, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { MpcPolicy, MpcPolicyStats } from '../planning/MpcPolicy.js';
import { mpcPolicyFactory, policySeeding } from './createMpcPolicy.js';
import { EnsembleSessions } from '../dynamics/EnsembleSessions.js';
import { createRobotLink } from './createRobotLink.js';
import { RunRecording } from './RunRecording.js';
import type { SessionLifecycle } from './sessionLifecycle.js';

export interface RunSessionOptions {
  readonly config: StriderConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Called after every tick (progress displays), with the session that ticked. */
  readonly onStep?: (
    episode: number,
    step: number,
    returnSoFar: number,
    session: RunSession,
  ) => void;
  /** Called after every episode. */
  readonly onEpisode?: (record: EpisodeRecord) => void;
  /** Called for every recorded transition (the outbox to the trainer process). */
  readonly onRecorded?: (t: Transition, reward: number, episode: number, done: boolean) => void;
  /** The rclnodejs module for robot.link ros2 (default: imported when the link configures). */
  readonly rclnodejs?: RclnodejsApi;
  /** Record a rosbag2 bag into this folder (run.record_bag; src/cli/RunRecording). */
  readonly recordBagDir?: string;
  /** robot.ros2.lifecycle: the managed node's transitions, attached with the node's parts. */
  readonly lifecycle?: SessionLifecycle;
}

/**
 * The controller, wired once: robot link, state assembler, safety gate, reward, policies (a switch
 * that starts on random actions), control loop, scheduler and episode runner, plus what the
 * link's capabilities ask for (the ROS 2 node's task inputs, safety topics and /diagnostics; the
 * real-time driver of a simulator). `strider run` and `strider bench` both build one. open()
 * configures the robot (the model file decides every dimension); close() frees everything.
 */
export class RunSession {
  readonly config: StriderConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly periodMs: number;
  readonly budgetMs: number;
  readonly link: RobotLink;
  /** lockstep or realtime (the simulator); a ROS 2 robot always runs in real time. */
  readonly pacing: 'lockstep' | 'realtime';
  readonly latency = new LatencyHistogram();
  /** Latency of the ticks the MPC policy acted on (the planner's figures, apart). */
  readonly mpcLatency = new LatencyHistogram();
  /** The policy MPC's planners seed their populations with (set by the DAgger loop). */
  readonly policySeedSlot: PolicySlot = { policy: null };
  #parts: SessionParts | null = null;
  #simDriver: RealtimeSimDriver | null = null;
  #recording: RunRecording | null = null;
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
    this.link = createRobotLink(options.config, {
      controlPeriodSec: this.periodMs / 1000,
      logger: options.logger,
      ...(options.rclnodejs !== undefined ? { rclnodejs: options.rclnodejs } : {}),
    });
  }

  /** The wired parts; throws LOOP_STATE before open(). */
  get parts(): SessionParts {
    if (this.#parts === null)
      throw new StriderError('LOOP_STATE', 'RunSession.parts before open()');
    return this.#parts;
  }

  /** Configure the robot, build every part in dependency order, and start delivering state. */
  async open(): Promise<SessionParts> {
    const { config, logger, clock, link } = this;
    const tiltFromImu = tiltNeedsImu(config);
    const description = await link.configure();
    const caps = linkCapabilities(link);
    const recording = await this.#openRecording();
    const assembler = new StateAssembler(description, config.state);
    const actuators = commandedActuators(description, config);
    const actionSpace = ActionSpace.fromConfig(description, actuators, config.control.action);
    const reward = createReward(config.task, assembler.layout, actuators, actionSpace, {
      maxTiltRad: config.safety.tilt.max_rad,
      minHeightFraction: config.task.fall.min_height_fraction,
      stanceBaseHeightM: actionSpace.stanceBaseHeightM,
    });
    // A robot with a ROS 2 node and the cmd_vel reward takes its velocity target from cmd_vel and
    // nav_msgs/Path; the pose for path following comes from the odometry the watchdog accepts.
    const task =
      caps.ros2Node !== null && reward instanceof CmdVelReward
        ? new TaskTargets({ target: reward.target, task: config.task, logger })
        : null;
    const watchdog = new StateWatchdog({
      downstream: taskTracking(assembler, task, clock),
      clock,
      timeoutMs: config.safety.state_timeout_ms,
      stamps: config.safety.stamps,
      // the IMU is judged only where the tilt rule reads it: a frozen IMU must not read as upright
      required: { jointState: true, odometry: config.state.base.length > 0, imu: tiltFromImu },
      stampClock: caps.stampClock,
      // lockstep: the simulator waits for the controller, so a slow tick cannot make state stale
      arrivalClock: this.pacing === 'lockstep' ? 'stamp' : 'monotonic',
    });
    // auto: a robot moves only on a learned model's policy; a simulator explores at random
    const requireModel =
      config.safety.require_model === 'auto' ? !caps.simulated : config.safety.require_model;
    const gate = new SafetyGate(
      recording?.tapCommands(link) ?? link,
      description.actuators,
      actuators.map((a) => a.name),
      assembler.layout,
      {
        config: config.safety,
        joints: description.joints,
        clock,
        periodMs: this.periodMs,
        watchdog,
        imu: assembler,
        simulated: caps.simulated,
        modelReady: !requireModel,
        actionSpace,
        logger,
      },
    );
    const random = new RandomPolicy(actuators, {
      scale: config.control.random.scale,
      seed: config.run.seed,
      space: actionSpace,
    });
    // require_model: the gate moves the robot only while a learned model's policy is current
    const policy = new PolicySwitch(random, (current) => {
      if (requireModel) gate.setModelReady(current.modelVersion !== undefined);
    });
    const scheduler = this.#scheduler();
    const { loop, runner } = this.#episodes({
      assembler,
      actionSpace,
      gate,
      policy,
      reward,
      scheduler,
      actionDim: actuators.length,
    });
    logger.info(
      {
        robot: description.name,
        model: description.modelPath,
        joints: description.joints.length,
        actuators: actuators.length,
        stateDim: assembler.layout.dim,
        rateHz: config.control.rate_hz,
        budgetMs: this.budgetMs,
        pacing: this.pacing,
      },
      'configured',
    );
    const parts: SessionParts = {
      description,
      actionSpace,
      assembler,
      gate,
      actuators,
      reward,
      random,
      policy,
      scheduler,
      loop,
      runner,
      task,
    };
    this.#parts = parts;
    if (caps.ros2Node !== null) this.#attachRos2(caps.ros2Node, parts);
    await link.activate(recording?.tapState(watchdog) ?? watchdog);
    this.#startSimDriver(caps);
    return parts;
  }

  /**
   * The planner's ONNX sessions, one per architecture for the life of the run: every model
   * version's planner (and the hot-swap's disagreement check) runs on them with its weights fed.
   */
  readonly ensembleSessions = new EnsembleSessions();

  /**
   * The factory the hot-swap uses to build the MPC policy of each model version on this session's
   * robot, reward, clock and budget; `stats` collects planner counters across versions.
   */
  mpcPolicyFactory(stats?: MpcPolicyStats): (model: ModelVersion) => Promise<MpcPolicy> {
    const parts = this.parts;
    return mpcPolicyFactory({
      config: this.config,
      actuators: parts.actuators,
      actionSpace: parts.actionSpace,
      // the planner scores with the task's reward and planner.tilt_cost's constraint
      reward: planningReward(
        parts.reward,
        parts.assembler.layout,
        this.config.planner.tilt_cost,
        this.config.safety.tilt.max_rad,
      ),
      clock: this.clock,
      budgetMs: this.budgetMs,
      stateDim: parts.assembler.layout.dim,
      ...(stats !== undefined ? { stats } : {}),
      policySeeds: policySeeding(this.config, this.policySeedSlot, parts.reward),
      sessions: this.ensembleSessions,
    });
  }

  /** The bag being recorded (recordBagDir), or null. */
  get recording(): RunRecording | null {
    return this.#recording;
  }

  async #openRecording(): Promise<RunRecording | null> {
    const dir = this.#o.recordBagDir;
    if (dir === undefined) return null;
    const { config, link, pacing, clock, logger } = this;
    this.#recording = await RunRecording.open({ dir, config, link, pacing, clock, logger });
    return this.#recording;
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
    try {
      await this.link.close();
    } finally {
      await this.#recording?.close(); // the bag's last chunk and metadata.yaml, whatever the link did
      await this.ensembleSessions.close(); // nothing ticks now
    }
  }

  #scheduler(): TickScheduler {
    const { clock, periodMs, logger } = this;
    const onError = (err: unknown): void => {
      logger.error({ err }, 'tick failed');
    };
    return this.pacing === 'lockstep'
      ? new LockstepScheduler({ clock, periodMs, onError })
      : new DeadlineScheduler({ periodMs, clock, timers: nodeTimers, onError });
  }

  /** The control loop and the episode runner that drives it (and records its transitions). */
  #episodes(p: {
    assembler: StateAssembler;
    actionSpace: ActionSpace;
    gate: SafetyGate;
    policy: PolicySwitch;
    reward: BatchReward;
    scheduler: TickScheduler;
    actionDim: number;
  }): { loop: ControlLoop; runner: EpisodeRunner } {
    const { config, logger, clock, pacing } = this;
    const o = this.#o;
    const transitions = new TransitionRelay();
    const loop = new ControlLoop({
      assembler: p.assembler,
      policy: p.policy,
      gate: p.gate,
      clock,
      budgetMs: this.budgetMs,
      actionDim: p.actionDim,
      latency: this.latency,
      mpcLatency: this.mpcLatency,
      logger,
      onTransition: transitions.deliver,
      // in real time a policy call that outlives its tick must not leave the last command in force
      ...(pacing === 'realtime' ? { stallTimeoutMs: this.periodMs } : {}),
    });
    const onStep = o.onStep;
    const simulated = linkCapabilities(this.link).simulated;
    const runner = new EpisodeRunner({
      link: this.link,
      // a new episode restarts simulated time: the gate must not read its stamps as out of order
      onEpisodeStart: gateEpisodeStart(p.gate, {
        simulated,
        continuous: resolveRunMode(config.run, simulated) === 'continuous',
      }),
      assembler: p.assembler,
      loop,
      reward: p.reward,
      scheduler: p.scheduler,
      pacing,
      stepsPerEpisode: config.run.steps_per_episode,
      periodSec: 1 / config.control.rate_hz,
      actionDim: p.actionDim,
      seed: config.run.seed,
      source: () => p.policy.source,
      logger,
      ...episodeEnds(config, p.assembler, p.actionSpace, p.reward),
      ...(onStep !== undefined
        ? {
            onStep: (e: number, s: number, r: number) => {
              onStep(e, s, r, this);
            },
          }
        : {}),
      ...(o.onEpisode !== undefined ? { onEpisode: o.onEpisode } : {}),
      ...this.#recordedSink(),
    });
    transitions.connect(runner.onTransition);
    return { loop, runner };
  }

  /** Where recorded transitions go: the caller's onRecorded, and the bag's expert labels. */
  #recordedSink(): Pick<RunSessionOptions, 'onRecorded'> {
    const recording = this.#recording;
    const onRecorded = this.#o.onRecorded;
    if (recording === null) return onRecorded !== undefined ? { onRecorded } : {};
    return {
      onRecorded: (t, reward, episode, done) => {
        recording.expert(t);
        onRecorded?.(t, reward, episode, done);
      },
    };
  }

  /** Task inputs to the task target, stop / re-arm to the gate, the controller on /diagnostics. */
  #attachRos2(node: Ros2NodeHost, parts: SessionParts): void {
    const { task, gate, loop, policy } = parts;
    const clock = this.clock;
    node.attach(
      new TaskInputs(
        task === null
          ? {}
          : {
              cmdVel: (twist) => {
                this.#recording?.cmdVel(twist);
                task.onCmdVel(twist, clock.nowMs());
              },
              path: (waypoints, frameId) => {
                task.onPath(waypoints, frameId, clock.nowMs());
              },
            },
      ),
    );
    node.attach(new SafetyTopics(gate));
    const latency = this.latency;
    const lifecycle = this.#o.lifecycle;
    node.attach(
      new Diagnostics((): ControllerDiagnostics => ({
        ticks: loop.stats.ticks,
        misses: loop.stats.misses,
        budgetMs: this.budgetMs,
        p50Ms: latency.quantileMs(0.5),
        p99Ms: latency.quantileMs(0.99),
        maxMs: latency.maxMs,
        modelVersion: policy.modelVersion ?? null,
        ...(policy.current instanceof DaggerPolicy
          ? { policyVersion: policy.current.learner?.version ?? null }
          : {}),
        safety: gate.status(),
        ...(task !== null ? { task: { mode: task.mode, ...task.target } } : {}),
        ...(lifecycle !== undefined ? { lifecycleState: lifecycle.managed.state } : {}),
      })),
    );
    lifecycle?.attach(node, gate);
  }

  /** A simulator in real-time pacing advances on the wall clock, like a robot. */
  #startSimDriver(caps: LinkCapabilities): void {
    const link = this.link;
    if (this.pacing !== 'realtime' || !caps.simulated || !isSteppable(link)) return;
    this.#simDriver = new RealtimeSimDriver(link, {
      periodMs: this.periodMs,
      clock: this.clock,
      timers: nodeTimers,
      logger: this.logger,
    });
    this.#simDriver.start();
  }
}

/**
 * The loop hands each transition to the runner that drives it, so the loop is built on this relay
 * and the runner connected to it right after (before any tick).
 */
class TransitionRelay {
  #sink: TransitionSink | null = null;
  readonly deliver: TransitionSink = (t) => {
    this.#sink?.(t);
  };

  connect(sink: TransitionSink): void {
    this.#sink = sink;
  }
}

/** What open() builds. */
export interface SessionParts {
  readonly description: RobotDescription;
  /** What an action means (control.action): bounds, nominal, half-width per commanded actuator. */
  readonly actionSpace: ActionSpace;
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
