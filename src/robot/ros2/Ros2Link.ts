import type { Float64MultiArray, Imu, JointState, Odometry } from '../../msgs/types.js';
import type { Timers } from '../../util/clock.js';
import { nodeTimers } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { StriderError } from '../../util/StriderError.js';
import type { LinkCapabilities, RobotDescription, RobotLink, StateHandlers } from '../types.js';
import { planCommand, type CommandPlan } from './commandPlan.js';
import { loadRclnodejs } from './loadRclnodejs.js';
import type {
  RclLifecycleNode,
  RclNode,
  RclnodejsApi,
  RclPublisher,
  RclSubscription,
} from './rclnodejsApi.js';
import type { Ros2NodeAdapter, Ros2NodeContext } from './Ros2NodeAdapter.js';
import type { Ros2Config } from './ros2Config.js';
import { ROS2_TYPES } from './ros2Msgs.js';
import { declareParameters, type Ros2ParameterSpec } from './ros2Parameters.js';
import { qosOptions } from './ros2Qos.js';
import { urdfDescription } from './urdfDescription.js';

/** Lifecycle states, as a ROS 2 managed node names them. */
export type Ros2LinkState = 'unconfigured' | 'inactive' | 'active' | 'finalized';

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
  /** Timers given to attached adapters (the /diagnostics publisher; default Node's). */
  readonly timers?: Timers;
  /** Arguments for rclnodejs.init (default process.argv: --ros-args from ros2 launch apply). */
  readonly argv?: readonly string[];
  readonly logger?: Logger;
}

/**
 * A ROS 2 robot through rclnodejs (robot.link: ros2), for Gazebo (gz_ros2_control) and real
 * ros2_control hardware. Not steppable: the robot runs on its own clock.
 *
 * - State in: sensor_msgs/JointState (joint_state_broadcaster), nav_msgs/Odometry and
 *   sensor_msgs/Imu where configured, with the configured QoS; messages go to the handlers
 *   given to activate() as they arrive (put a StateWatchdog in front of the assembler).
 * - Command out: std_msgs/Float64MultiArray for a forward_command_controller (effort_controller
 *   by default), or trajectory_msgs/JointTrajectory with one point of positions (zero stamp:
 *   start on arrival) for a joint_trajectory_controller on position interfaces; values
 *   reordered to `command_joints`. Only the safety gate
 *   calls sendCommand(). With actuation: observe no command publisher exists at all.
 * - Adapters: the wiring attaches the node's other parts (attach(), the capabilities' ros2Node):
 *   TaskInputs (cmd_vel, nav_msgs/Path), SafetyTopics (stop / re-arm, to the gate) and
 *   Diagnostics (/diagnostics); the link closes them with itself.
 * - Parameters: the given tunables as read-only ROS parameters; use_sim_time honoured (set from
 *   the config, else what the launch file gave); outgoing stamps and the stamp clock use the
 *   node's clock (ROS time from /clock under use_sim_time).
 *
 * Lifecycle: configure() (unconfigured -> inactive) reads the URDF, loads rclnodejs, creates the
 * node, the command publisher and parameters, and spins; activate(handlers)
 * (inactive -> active) subscribes to the state topics; deactivate() (active -> inactive)
 * unsubscribes them and publishes nothing more (the gate sends its final safe command before);
 * close() (-> finalized) closes the adapters, destroys the node and shuts rclnodejs down.
 * sendCommand() outside the active state is dropped and counted. With `lifecycle: true` the node
 * is an rclnodejs LifecycleNode, offered to adapters as `managed` (ManagedLifecycle maps its
 * transitions onto the session); the link's own lifecycle above is unchanged.
 */
export class Ros2Link implements RobotLink {
  readonly #o: Ros2LinkOptions;
  readonly #cfg: Ros2Config;
  readonly #log: Logger;
  #state: Ros2LinkState = 'unconfigured';
  #configuring: Promise<RobotDescription> | null = null;
  #desc: RobotDescription | null = null;
  #rcl: RclnodejsApi | null = null;
  #initialised = false;
  #node: RclNode | null = null;
  #managed: RclLifecycleNode | null = null;
  #cmdPub: RclPublisher | null = null;
  #cmd: CommandPlan | null = null;
  #stateSubs: RclSubscription[] = [];
  #handlers: StateHandlers | null = null;
  #adapters: Ros2NodeAdapter[] = [];
  #useSimTime = false;
  #published = 0;
  #dropped = 0;

  /**
   * A robot (not simulated) whose stamps are on the node's ROS clock, with a node for adapters.
   * The stamp clock reads NaN before the node exists or while ROS time is 0 (use_sim_time with no
   * /clock yet); one rclnodejs Time object per call.
   */
  readonly capabilities: LinkCapabilities = {
    simulated: false,
    stampClock: { nowSec: () => this.#nodeTimeSec() },
    ros2Node: {
      attach: (adapter) => {
        this.attach(adapter);
      },
    },
  };

  constructor(options: Ros2LinkOptions) {
    if (!(options.controlPeriodSec > 0) || !Number.isFinite(options.controlPeriodSec)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `controlPeriodSec must be a finite number > 0, got ${options.controlPeriodSec}`,
      );
    }
    this.#o = options;
    this.#cfg = options.config;
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

  /** The clock header stamps are compared with (the node's ROS clock), for the StateWatchdog. */
  get stampClock(): LinkCapabilities['stampClock'] {
    return this.capabilities.stampClock;
  }

  /**
   * Attach an adapter (task inputs, safety topics, /diagnostics) to the node, after configure();
   * it is closed when the link closes.
   * @throws StriderError LOOP_STATE before configure() or after close()
   */
  attach(adapter: Ros2NodeAdapter): void {
    if (this.#state === 'finalized') throw this.#finalizedError('attach');
    const node = this.#node;
    const desc = this.#desc;
    if (node === null || desc === null) {
      throw new StriderError('LOOP_STATE', 'Ros2Link.attach() called before configure()');
    }
    const rcl = this.#rcl!;
    const context: Ros2NodeContext = {
      node,
      config: this.#cfg,
      qos: (profile) => qosOptions(rcl.QoS, profile),
      timers: this.#o.timers ?? nodeTimers,
      robotName: desc.name,
      link: this,
      logger: this.#log,
      managed:
        this.#managed === null
          ? null
          : { node: this.#managed, codes: rcl.lifecycle.CallbackReturnCode },
    };
    adapter.attach(context);
    this.#adapters.push(adapter);
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
    const qos = qosOptions(this.#rcl!.QoS, this.#cfg.qos.state);
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
    const plan = this.#cmd;
    if (this.#state !== 'active' || pub === null || plan === null) {
      this.#dropped++;
      return;
    }
    const n = plan.order.length;
    const offset = cmd.layout.data_offset;
    if (cmd.data.length - offset !== n) {
      throw new StriderError(
        'COMMAND_INVALID',
        `command has ${cmd.data.length - offset} values, the robot has ${n} actuators`,
        { context: { expected: n, got: cmd.data.length - offset } },
      );
    }
    for (let c = 0; c < n; c++) {
      const v = cmd.data[offset + plan.order[c]!] ?? Number.NaN;
      if (!Number.isFinite(v)) {
        throw new StriderError(
          'COMMAND_INVALID',
          `command for joint slot ${c} is ${v}; expected a finite value`,
          { context: { index: c } },
        );
      }
      plan.data[c] = v;
    }
    pub.publish(plan.msg);
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

  /** Close the adapters, destroy the node, shut rclnodejs down (when this link initialised it). Idempotent. */
  close(): Promise<void> {
    if (this.#state === 'finalized') return Promise.resolve();
    this.#state = 'finalized';
    this.#release();
    return Promise.resolve();
  }

  async #doConfigure(): Promise<RobotDescription> {
    const cfg = this.#cfg;
    const desc = urdfDescription(this.#o.modelPath, cfg.base);
    this.#cmd = planCommand(desc, cfg, this.#o.controlPeriodSec);
    const rcl = this.#o.rclnodejs ?? (await loadRclnodejs());
    this.#rcl = rcl;
    // rclnodejs shuts every context down on SIGINT by default, before strider's own handler could
    // send the gate's final safe command (a forward controller would hold the last effort).
    rcl.removeSignalHandlers();
    try {
      await rcl.init(undefined, [...(this.#o.argv ?? process.argv)]);
      this.#initialised = true;
      // lifecycle: a managed node; its state machine (driven by ~/change_state) is mapped onto
      // the session by a ManagedLifecycle adapter, this link's own states stay as they are
      const managed = cfg.lifecycle ? rcl.createLifecycleNode(cfg.node_name, cfg.namespace) : null;
      const node = managed ?? rcl.createNode(cfg.node_name, cfg.namespace);
      this.#node = node;
      this.#managed = managed;
      this.#useSimTime = declareParameters(node, rcl, cfg.use_sim_time, this.#o.parameters ?? []);
      if (cfg.actuation === 'command') {
        const type =
          cfg.command_type === 'float64_multi_array'
            ? ROS2_TYPES.float64MultiArray
            : ROS2_TYPES.jointTrajectory;
        const qos = qosOptions(rcl.QoS, cfg.qos.command);
        this.#cmdPub = node.createPublisher(type, cfg.topics.command, qos);
      }
      node.spin();
    } catch (cause) {
      this.#release();
      if (cause instanceof StriderError) throw cause;
      throw new StriderError(
        'ROS2_UNAVAILABLE',
        `ROS 2 node "${cfg.node_name}" could not be set up: ${String(cause)}`,
        { cause },
      );
    }
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

  #nodeTimeSec(): number {
    const node = this.#node;
    if (node === null) return Number.NaN;
    const ns = node.getClock().now().nanoseconds;
    return ns === 0n ? Number.NaN : Number(ns) / 1e9;
  }

  /** Free everything: the adapters, the node (and its entities), the rclnodejs context. */
  #release(): void {
    for (const adapter of this.#adapters) {
      try {
        adapter.close();
      } catch (err) {
        this.#log.warn({ err }, 'closing a ROS 2 node adapter failed');
      }
    }
    this.#adapters = [];
    this.#handlers = null;
    this.#stateSubs = [];
    this.#cmdPub = null;
    const node = this.#node;
    this.#node = null;
    this.#managed = null;
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
