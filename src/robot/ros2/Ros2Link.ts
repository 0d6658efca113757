import { timeFromSec, type Float64MultiArray, type Imu, type JointState, type Odometry } from '../../msgs/types.js';
import type { Timers } from '../../util/clock.js';
import { nodeTimers } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { StriderError } from '../../util/StriderError.js';
import type { RobotDescription, RobotLink, StateHandlers } from '../types.js';
import { loadRclnodejs } from './loadRclnodejs.js';
import type {
  RclNode,
  RclnodejsApi,
  RclOptions,
  RclPublisher,
  RclSubscription,
} from './rclnodejsApi.js';
import type { QosConfig, Ros2Config } from './ros2Config.js';
import {
  DIAGNOSTIC_LEVEL,
  ROS2_TYPES,
  timeFromNanoseconds,
  type DiagnosticArray,
  type JointTrajectory,
  type KeyValue,
  type Path,
  type Twist,
  type Waypoint,
} from './ros2Msgs.js';
import { urdfDescription } from './urdfDescription.js';

/** Lifecycle states, as a ROS 2 managed node names them. */
export type Ros2LinkState = 'unconfigured' | 'inactive' | 'active' | 'finalized';

/** One tunable exposed as a read-only ROS parameter (`ros2 param get /strider control.rate_hz`). */
export interface Ros2ParameterSpec {
  readonly name: string;
  readonly value: number | boolean | string;
  readonly description: string;
}

/** What the controller reports on /diagnostics; the composition root provides it. */
export interface ControllerDiagnostics {
  readonly ticks: number;
  readonly misses: number;
  readonly budgetMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Version of the dynamics model in use; null before the first. */
  readonly modelVersion: number | null;
  readonly safety: {
    readonly mode: string;
    readonly latch: string | null;
    readonly stopRequested: boolean;
  };
  /** The velocity target from cmd_vel / path (the cmd_vel reward), when there is one. */
  readonly task?: {
    readonly mode: string;
    readonly linearX: number;
    readonly linearY: number;
    readonly angularZ: number;
  };
}

/** What the stop and re-arm topics act on (the SafetyGate). */
export interface SafetyControls {
  stop(): void;
  release(): void;
  rearm(): boolean;
}

/** Task inputs for the task layer; called from ROS callbacks. */
export interface TaskHandlers {
  /** A new geometry_msgs/Twist on cmd_vel (borrowed: copy what you keep). */
  readonly cmdVel?: (twist: Readonly<Twist>) => void;
  /** A new nav_msgs/Path, as waypoints in `frameId`. */
  readonly path?: (waypoints: readonly Waypoint[], frameId: string) => void;
}

export interface Ros2LinkOptions {
  /** The `robot.ros2` config slice. */
  readonly config: Ros2Config;
  /** The robot's URDF (the RobotDescription comes from it). */
  readonly modelPath: string;
  /** Control period, s (JointTrajectory time_from_start default). */
  readonly controlPeriodSec: number;
  /** The rclnodejs module; default: loaded with a dynamic import at configure(). */
  readonly rclnodejs?: RclnodejsApi;
  /** Tunables declared as read-only ROS parameters (see flattenParameters). */
  readonly parameters?: readonly Ros2ParameterSpec[];
  /** Timers of the diagnostics publisher (default Node's). */
  readonly timers?: Timers;
  /** Arguments for rclnodejs.init (default process.argv: --ros-args from ros2 launch apply). */
  readonly argv?: readonly string[];
  readonly logger?: Logger;
}

/**
 * Flatten a config slice into ROS parameter specs named `<prefix>.<key>...` (numbers, booleans and
 * strings; arrays and nulls are skipped). Used to expose rate_hz, budget_ms and the safety
 * thresholds as read-only ROS parameters.
 */
export function flattenParameters(
  prefix: string,
  value: unknown,
  out: Ros2ParameterSpec[] = [],
): Ros2ParameterSpec[] {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    out.push({ name: prefix, value, description: `strider config ${prefix} (read-only mirror)` });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenParameters(prefix === '' ? k : `${prefix}.${k}`, v, out);
    }
  }
  return out;
}

function isFiniteVec(v: unknown): boolean {
  const o = v as { x?: unknown; y?: unknown; z?: unknown } | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.x === 'number' &&
    typeof o.y === 'number' &&
    typeof o.z === 'number' &&
    Number.isFinite(o.x + o.y + o.z)
  );
}

/**
 * A ROS 2 robot through rclnodejs (robot.link: ros2), for Gazebo (gz_ros2_control) and real
 * ros2_control hardware. Not steppable: the robot runs on its own clock.
 *
 * - State in: sensor_msgs/JointState (joint_state_broadcaster), nav_msgs/Odometry and
 *   sensor_msgs/Imu where configured, with the configured QoS; messages go to the handlers
 *   given to activate() as they arrive (put a StateWatchdog in front of the assembler).
 * - Command out: std_msgs/Float64MultiArray for a forward_command_controller (effort_controller
 *   by default), or trajectory_msgs/JointTrajectory with one point for a
 *   joint_trajectory_controller; values reordered to `command_joints`. Only the safety gate
 *   calls sendCommand(). With actuation: observe no command publisher exists at all.
 * - Task in: geometry_msgs/Twist on cmd_vel and nav_msgs/Path (getters and TaskHandlers);
 *   std_msgs/Bool on the stop topic (true: stop, false: release) and std_msgs/Empty on the re-arm
 *   topic, forwarded to the bound SafetyControls.
 * - /diagnostics: a diagnostic_msgs/DiagnosticArray at diagnostics_rate_hz from the
 *   ControllerDiagnostics source (tick latency, misses, model version, safety state).
 * - Parameters: the given tunables as read-only ROS parameters; use_sim_time honoured (set from
 *   the config, else what the launch file gave); outgoing stamps and `stampClock` use the node's
 *   clock (ROS time from /clock under use_sim_time).
 *
 * Lifecycle: configure() (unconfigured -> inactive) reads the URDF, loads rclnodejs, creates the
 * node, publishers, task subscriptions and parameters, and spins; activate(handlers)
 * (inactive -> active) subscribes to the state topics; deactivate() (active -> inactive)
 * unsubscribes them and publishes nothing more (the gate sends its final safe command before);
 * close() (-> finalized) clears timers, destroys the node and shuts rclnodejs down.
 * sendCommand() outside the active state is dropped and counted.
 */
export class Ros2Link implements RobotLink {
  readonly #o: Ros2LinkOptions;
  readonly #cfg: Ros2Config;
  readonly #log: Logger;
  readonly #timers: Timers;
  #state: Ros2LinkState = 'unconfigured';
  #configuring: Promise<RobotDescription> | null = null;
  #desc: RobotDescription | null = null;
  #rcl: RclnodejsApi | null = null;
  #initialised = false;
  #node: RclNode | null = null;
  #cmdPub: RclPublisher | null = null;
  #diagPub: RclPublisher | null = null;
  #stateSubs: RclSubscription[] = [];
  #diagTimer: unknown = null;
  #handlers: StateHandlers | null = null;
  #safety: SafetyControls | null = null;
  #task: TaskHandlers = {};
  #diagSource: (() => ControllerDiagnostics) | null = null;
  #useSimTime = false;

  /** Command slot c carries actuator #cmdOrder[c]. */
  #cmdOrder = new Int32Array(0);
  #cmdData = new Float64Array(0);
  #cmdMsg: Float64MultiArray | JointTrajectory | null = null;
  #published = 0;
  #dropped = 0;
  #twist: Twist = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
  #haveTwist = false;
  #waypoints: readonly Waypoint[] = [];
  #pathFrame = '';
  #rejectedTaskMsgs = 0;

  constructor(options: Ros2LinkOptions) {
    if (!(options.controlPeriodSec > 0) || !Number.isFinite(options.controlPeriodSec)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `controlPeriodSec must be a finite number > 0, got ${options.controlPeriodSec}`,
      );
    }
    this.#o = options;
    this.#cfg = options.config;
    this.#timers = options.timers ?? nodeTimers;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'Ros2Link' });
  }

  /** Lifecycle state. */
  get state(): Ros2LinkState {
    return this.#state;
  }

  /** 'replay' (never commands) with actuation: observe; read by the safety gate. */
  get actuation(): 'actuating' | 'replay' {
    return this.#cfg.actuation === 'observe' ? 'replay' : 'actuating';
  }

  /** Whether the node's clock is ROS time from /clock (after configure). */
  get useSimTime(): boolean {
    return this.#useSimTime;
  }

  /** Commands published so far. */
  get publishedCommands(): number {
    return this.#published;
  }

  /** Commands dropped (not active, or observe-only). */
  get droppedCommands(): number {
    return this.#dropped;
  }

  /** Latest cmd_vel, or null before the first (borrowed). */
  get cmdVel(): Readonly<Twist> | null {
    return this.#haveTwist ? this.#twist : null;
  }

  /** Latest path's waypoints (m, in `pathFrameId`); empty before the first. */
  get waypoints(): readonly Waypoint[] {
    return this.#waypoints;
  }

  get pathFrameId(): string {
    return this.#pathFrame;
  }

  /** Task messages ignored for non-finite values. */
  get rejectedTaskMessages(): number {
    return this.#rejectedTaskMsgs;
  }

  /**
   * The clock header stamps are compared with (the node's ROS clock), for the StateWatchdog.
   * NaN before the node exists or while ROS time is 0 (use_sim_time with no /clock yet).
   * One rclnodejs Time object per call.
   */
  readonly stampClock = {
    nowSec: (): number => {
      const node = this.#node;
      if (node === null) return Number.NaN;
      const ns = node.getClock().now().nanoseconds;
      return ns === 0n ? Number.NaN : Number(ns) / 1e9;
    },
  };

  /** Where stop / release / re-arm requests go. */
  bindSafety(controls: SafetyControls): void {
    this.#safety = controls;
  }

  setTaskHandlers(handlers: TaskHandlers): void {
    this.#task = handlers;
  }

  /** The source of the /diagnostics figures (called at diagnostics_rate_hz). */
  setDiagnosticsSource(source: () => ControllerDiagnostics): void {
    this.#diagSource = source;
  }

  configure(): Promise<RobotDescription> {
    if (this.#state === 'finalized') return Promise.reject(this.#finalizedError('configure'));
    if (this.#desc !== null) return Promise.resolve(this.#desc);
    this.#configuring ??= this.#doConfigure().finally(() => {
      this.#configuring = null;
    });
    return this.#configuring;
  }

  activate(handlers: StateHandlers): Promise<void> {
    if (this.#state === 'finalized') return Promise.reject(this.#finalizedError('activate'));
    if (this.#state === 'unconfigured' || this.#node === null) {
      return Promise.reject(
        new StriderError('LOOP_STATE', 'Ros2Link.activate() called before configure()'),
      );
    }
    if (this.#state === 'active') return Promise.resolve();
    const node = this.#node;
    const t = this.#cfg.topics;
    const qos = this.#qos(this.#cfg.qos.state);
    this.#handlers = handlers;
    this.#stateSubs.push(
      node.createSubscription(ROS2_TYPES.jointState, t.joint_states, qos, (m) => {
        this.#handlers?.jointState(m as JointState);
      }),
    );
    if (t.odometry !== null) {
      this.#stateSubs.push(
        node.createSubscription(ROS2_TYPES.odometry, t.odometry, qos, (m) => {
          this.#handlers?.odometry(m as Odometry);
        }),
      );
    }
    if (t.imu !== null) {
      this.#stateSubs.push(
        node.createSubscription(ROS2_TYPES.imu, t.imu, qos, (m) => {
          this.#handlers?.imu(m as Imu);
        }),
      );
    }
    this.#state = 'active';
    this.#log.info({ node: this.#cfg.node_name }, 'ROS 2 link active');
    return Promise.resolve();
  }

  /**
   * Publish one command (length = number of actuators, description order). Dropped (counted)
   * unless active and commanding. Throws StriderError COMMAND_INVALID for a wrong length or a
   * non-finite value (the gate never sends one; this is the link's own check).
   */
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    const pub = this.#cmdPub;
    const msg = this.#cmdMsg;
    if (this.#state !== 'active' || pub === null || msg === null) {
      this.#dropped++;
      return;
    }
    const n = this.#cmdOrder.length;
    const offset = cmd.layout.data_offset;
    if (cmd.data.length - offset !== n) {
      throw new StriderError(
        'COMMAND_INVALID',
        `command has ${cmd.data.length - offset} values, the robot has ${n} actuators`,
        {
          context: { expected: n, got: cmd.data.length - offset },
        },
      );
    }
    for (let c = 0; c < n; c++) {
      const v = cmd.data[offset + this.#cmdOrder[c]!] ?? Number.NaN;
      if (!Number.isFinite(v)) {
        throw new StriderError(
          'COMMAND_INVALID',
          `command for joint slot ${c} is ${v}; expected a finite value`,
          {
            context: { index: c },
          },
        );
      }
      this.#cmdData[c] = v;
    }
    if ('joint_names' in msg) {
      timeFromNanoseconds(this.#node!.getClock().now().nanoseconds, msg.header.stamp);
    }
    pub.publish(msg);
    this.#published++;
  }

  deactivate(): Promise<void> {
    if (this.#state === 'finalized') return Promise.reject(this.#finalizedError('deactivate'));
    if (this.#state !== 'active') return Promise.resolve();
    for (const sub of this.#stateSubs) this.#node?.destroySubscription(sub);
    this.#stateSubs = [];
    this.#handlers = null;
    this.#state = 'inactive';
    this.#log.info('ROS 2 link inactive');
    return Promise.resolve();
  }

  /** Clear timers, destroy the node, shut rclnodejs down (when this link initialised it). Idempotent. */
  close(): Promise<void> {
    if (this.#state === 'finalized') return Promise.resolve();
    this.#state = 'finalized';
    this.#release();
    return Promise.resolve();
  }

  /** Publish /diagnostics now (the timer calls this). */
  publishDiagnostics(): void {
    const pub = this.#diagPub;
    const node = this.#node;
    if (pub === null || node === null) return;
    const values: KeyValue[] = [
      { key: 'link_state', value: this.#state },
      { key: 'use_sim_time', value: String(this.#useSimTime) },
      { key: 'published_commands', value: String(this.#published) },
      { key: 'dropped_commands', value: String(this.#dropped) },
    ];
    let level: number = DIAGNOSTIC_LEVEL.OK;
    let message = `link ${this.#state}`;
    const src = this.#diagSource;
    if (src !== null) {
      let d: ControllerDiagnostics | null = null;
      try {
        d = src();
      } catch (err) {
        this.#log.warn({ err }, 'diagnostics source failed');
      }
      if (d !== null) {
        values.push(
          { key: 'ticks', value: String(d.ticks) },
          { key: 'tick_misses', value: String(d.misses) },
          { key: 'tick_budget_ms', value: d.budgetMs.toFixed(3) },
          { key: 'tick_p50_ms', value: d.p50Ms.toFixed(3) },
          { key: 'tick_p99_ms', value: d.p99Ms.toFixed(3) },
          { key: 'tick_max_ms', value: d.maxMs.toFixed(3) },
          {
            key: 'model_version',
            value: d.modelVersion === null ? 'none' : String(d.modelVersion),
          },
          { key: 'safety_mode', value: d.safety.mode },
          { key: 'safety_latch', value: d.safety.latch ?? 'none' },
          { key: 'stop_requested', value: String(d.safety.stopRequested) },
        );
        if (d.task !== undefined) {
          values.push(
            { key: 'task_mode', value: d.task.mode },
            { key: 'target_linear_x', value: d.task.linearX.toFixed(3) },
            { key: 'target_linear_y', value: d.task.linearY.toFixed(3) },
            { key: 'target_angular_z', value: d.task.angularZ.toFixed(3) },
          );
        }
        message = `safety ${d.safety.mode}${d.safety.latch === null ? '' : ` (${d.safety.latch})`}, ${d.misses} misses in ${d.ticks} ticks`;
        if (d.safety.latch !== null || d.safety.stopRequested) level = DIAGNOSTIC_LEVEL.ERROR;
        else if (d.safety.mode !== 'running' || d.misses > 0) level = DIAGNOSTIC_LEVEL.WARN;
      }
    }
    const msg: DiagnosticArray = {
      header: {
        stamp: timeFromNanoseconds(node.getClock().now().nanoseconds, { sec: 0, nanosec: 0 }),
        frame_id: '',
      },
      status: [
        {
          level,
          name: `${this.#cfg.node_name}: controller`,
          message,
          hardware_id: this.#desc?.name ?? '',
          values,
        },
      ],
    };
    pub.publish(msg);
  }

  async #doConfigure(): Promise<RobotDescription> {
    const cfg = this.#cfg;
    const desc = urdfDescription(this.#o.modelPath, cfg.base);
    this.#planCommand(desc);
    const rcl = this.#o.rclnodejs ?? (await loadRclnodejs());
    this.#rcl = rcl;
    // rclnodejs shuts every context down on SIGINT by default, before strider's own handler could
    // send the gate's final safe command (a forward controller would hold the last effort).
    rcl.removeSignalHandlers();
    try {
      await rcl.init(undefined, [...(this.#o.argv ?? process.argv)]);
      this.#initialised = true;
      const node = rcl.createNode(cfg.node_name, cfg.namespace);
      this.#node = node;
      this.#setUpParameters(node, rcl);
      this.#setUpPublishers(node, desc);
      this.#setUpTaskSubscriptions(node);
      node.spin();
    } catch (cause) {
      this.#release();
      if (cause instanceof StriderError) throw cause;
      throw new StriderError(
        'ROS2_UNAVAILABLE',
        `ROS 2 node "${cfg.node_name}" could not be set up: ${String(cause)}`,
        {
          cause,
        },
      );
    }
    this.#scheduleDiagnostics();
    this.#desc = desc;
    this.#state = 'inactive';
    this.#log.info(
      {
        node: cfg.node_name,
        namespace: cfg.namespace,
        useSimTime: this.#useSimTime,
        command: cfg.topics.command,
      },
      'ROS 2 link configured',
    );
    return desc;
  }

  /** Command order and the reused command message. */
  #planCommand(desc: RobotDescription): void {
    const cfg = this.#cfg;
    const byJoint = desc.actuators.map((a) => a.joint);
    const joints = cfg.command_joints ?? byJoint;
    if (joints.length !== byJoint.length || new Set(joints).size !== joints.length) {
      throw new StriderError(
        'CONFIG_INVALID',
        `robot.ros2.command_joints must name each commanded joint once (${byJoint.join(', ')}); got ${joints.join(', ')}`,
      );
    }
    this.#cmdOrder = new Int32Array(joints.length);
    for (let c = 0; c < joints.length; c++) {
      const k = byJoint.indexOf(joints[c]!);
      if (k < 0) {
        throw new StriderError(
          'MODEL_MAPPING',
          `robot.ros2.command_joints: joint "${joints[c]!}" has no ros2_control command interface in ${desc.modelPath}; those are: ${byJoint.join(', ')}`,
        );
      }
      this.#cmdOrder[c] = k;
    }
    this.#cmdData = new Float64Array(joints.length);
    if (cfg.command_type === 'float64_multi_array') {
      this.#cmdMsg = { layout: { dim: [], data_offset: 0 }, data: this.#cmdData };
      return;
    }
    const iface = desc.actuators[0]!.interface;
    if (desc.actuators.some((a) => a.interface !== iface)) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `command_type joint_trajectory needs one command interface for all joints; ${desc.modelPath} mixes ${[...new Set(desc.actuators.map((a) => a.interface))].join(', ')}`,
      );
    }
    const ms =
      cfg.trajectory_time_from_start_ms > 0
        ? cfg.trajectory_time_from_start_ms
        : this.#o.controlPeriodSec * 1000;
    const empty: number[] = [];
    this.#cmdMsg = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      joint_names: [...joints],
      points: [
        {
          positions: iface === 'position' ? this.#cmdData : empty,
          velocities: iface === 'velocity' ? this.#cmdData : empty,
          accelerations: empty,
          effort: iface === 'effort' ? this.#cmdData : empty,
          time_from_start: timeFromSec(ms / 1000),
        },
      ],
    };
  }

  #setUpParameters(node: RclNode, rcl: RclnodejsApi): void {
    const T = rcl.ParameterType;
    const simTime = this.#cfg.use_sim_time;
    if (simTime !== 'auto') {
      const p = new rcl.Parameter('use_sim_time', T.PARAMETER_BOOL, simTime);
      if (node.hasParameter('use_sim_time')) {
        const r = node.setParameter(p);
        if (!r.successful) {
          throw new StriderError(
            'CONFIG_INVALID',
            `robot.ros2.use_sim_time: the node refused it: ${r.reason}`,
          );
        }
      } else {
        node.declareParameter(p);
      }
    }
    this.#useSimTime =
      node.hasParameter('use_sim_time') && node.getParameter('use_sim_time').value === true;
    for (const spec of this.#o.parameters ?? []) {
      const type =
        typeof spec.value === 'boolean'
          ? T.PARAMETER_BOOL
          : typeof spec.value === 'number'
            ? T.PARAMETER_DOUBLE
            : T.PARAMETER_STRING;
      // Read-only mirrors of the config: --ros-args overrides are ignored (the YAML is the truth).
      node.declareParameter(
        new rcl.Parameter(spec.name, type, spec.value),
        new rcl.ParameterDescriptor(spec.name, type, spec.description, true),
        true,
      );
    }
  }

  #setUpPublishers(node: RclNode, desc: RobotDescription): void {
    const cfg = this.#cfg;
    if (cfg.actuation === 'command') {
      const type =
        cfg.command_type === 'float64_multi_array'
          ? ROS2_TYPES.float64MultiArray
          : ROS2_TYPES.jointTrajectory;
      this.#cmdPub = node.createPublisher(type, cfg.topics.command, this.#qos(cfg.qos.command));
    }
    this.#diagPub = node.createPublisher(
      ROS2_TYPES.diagnosticArray,
      cfg.topics.diagnostics,
      this.#qos(cfg.qos.diagnostics),
    );
    this.#log.debug({ actuators: desc.actuators.length }, 'publishers created');
  }

  #setUpTaskSubscriptions(node: RclNode): void {
    const t = this.#cfg.topics;
    const qos = this.#qos(this.#cfg.qos.task);
    if (t.cmd_vel !== null)
      node.createSubscription(ROS2_TYPES.twist, t.cmd_vel, qos, (m) => {
        this.#onTwist(m);
      });
    if (t.path !== null)
      node.createSubscription(ROS2_TYPES.path, t.path, qos, (m) => {
        this.#onPath(m);
      });
    node.createSubscription(ROS2_TYPES.bool, t.stop, qos, (m) => {
      this.#onStop(m);
    });
    node.createSubscription(ROS2_TYPES.empty, t.rearm, qos, () => {
      this.#onRearm();
    });
  }

  #onTwist(m: unknown): void {
    const msg = m as Partial<Twist> | null;
    if (msg === null || !isFiniteVec(msg.linear) || !isFiniteVec(msg.angular)) {
      this.#rejectedTaskMsgs++;
      return;
    }
    const tw = this.#twist;
    tw.linear.x = msg.linear!.x;
    tw.linear.y = msg.linear!.y;
    tw.linear.z = msg.linear!.z;
    tw.angular.x = msg.angular!.x;
    tw.angular.y = msg.angular!.y;
    tw.angular.z = msg.angular!.z;
    this.#haveTwist = true;
    this.#task.cmdVel?.(tw);
  }

  #onPath(m: unknown): void {
    const msg = m as Partial<Path> | null;
    const poses = msg?.poses;
    if (
      msg === null ||
      !Array.isArray(poses) ||
      !poses.every((p) => isFiniteVec(p.pose.position))
    ) {
      this.#rejectedTaskMsgs++;
      return;
    }
    this.#waypoints = Object.freeze(
      poses.map((p) =>
        Object.freeze({ x: p.pose.position.x, y: p.pose.position.y, z: p.pose.position.z }),
      ),
    );
    this.#pathFrame = msg.header?.frame_id ?? '';
    this.#task.path?.(this.#waypoints, this.#pathFrame);
  }

  #onStop(m: unknown): void {
    const data = (m as { data?: unknown } | null)?.data;
    if (typeof data !== 'boolean') {
      this.#rejectedTaskMsgs++;
      return;
    }
    if (this.#safety === null) {
      this.#log.error('stop topic: no safety gate bound; the request is ignored');
      return;
    }
    if (data) {
      this.#safety.stop();
      this.#log.warn('software stop requested (latched until released and re-armed)');
    } else {
      this.#safety.release();
      this.#log.info('software stop released; motion resumes only after a re-arm');
    }
  }

  #onRearm(): void {
    if (this.#safety === null) return;
    const ok = this.#safety.rearm();
    if (ok) this.#log.info('re-armed');
    else this.#log.warn('re-arm refused (stop still requested, or inactive)');
  }

  #qos(q: QosConfig): RclOptions {
    const Q = this.#rcl!.QoS;
    const history =
      q.history === 'keep_last'
        ? Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST
        : q.history === 'keep_all'
          ? Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL
          : Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT;
    const reliability =
      q.reliability === 'reliable'
        ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE
        : q.reliability === 'best_effort'
          ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT
          : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT;
    const durability =
      q.durability === 'volatile'
        ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE
        : q.durability === 'transient_local'
          ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
          : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT;
    return { qos: new Q(history, q.depth, reliability, durability) };
  }

  #scheduleDiagnostics(): void {
    const hz = this.#cfg.diagnostics_rate_hz;
    if (!(hz > 0)) return;
    const periodMs = 1000 / hz;
    const tick = (): void => {
      this.#diagTimer = null;
      if (this.#state === 'finalized') return;
      try {
        this.publishDiagnostics();
      } catch (err) {
        this.#log.warn({ err }, 'publishing /diagnostics failed');
      }
      this.#diagTimer = this.#timers.setTimeout(tick, periodMs);
    };
    this.#diagTimer = this.#timers.setTimeout(tick, periodMs);
  }

  /** Free everything: timer, node (and its entities), the rclnodejs context. */
  #release(): void {
    if (this.#diagTimer !== null) {
      this.#timers.clearTimeout(this.#diagTimer);
      this.#diagTimer = null;
    }
    this.#handlers = null;
    this.#stateSubs = [];
    this.#cmdPub = null;
    this.#diagPub = null;
    const node = this.#node;
    this.#node = null;
    try {
      node?.destroy();
    } catch (err) {
      this.#log.warn({ err }, 'destroying the ROS node failed');
    }
    if (this.#initialised) {
      this.#initialised = false;
      try {
        this.#rcl?.shutdown();
      } catch (err) {
        this.#log.warn({ err }, 'rclnodejs shutdown failed');
      }
    }
  }

  #finalizedError(method: string): StriderError {
    return new StriderError('LOOP_STATE', `Ros2Link.${method}() called after close()`);
  }
}
