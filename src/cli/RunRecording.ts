import { BagRecorder, type RecordedTopic, type RecorderStats } from '../bags/index.js';
import type { StriderConfig } from '../config/index.js';
import {
  MSG_TYPES,
  type Float64MultiArray,
  type Imu,
  type JointState,
  type Odometry,
  type Twist,
} from '../msgs/types.js';
import {
  isSteppable,
  linkCapabilities,
  type LinkCapabilities,
  type RobotDescription,
  type RobotLink,
  type StateHandlers,
} from '../robot/types.js';
import type { Transition } from '../control/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** How far the recording clock jumps between simulated episodes, s (rounded up to whole periods). */
export const EPISODE_GAP_SEC = 1;

/** The topics a run records, named as the ROS 2 link names them (config robot.ros2.topics). */
export interface RunTopics {
  readonly jointStates: string;
  readonly imu: string;
  readonly odometry: string;
  /** The safety gate's Float64MultiArray, model order. */
  readonly command: string;
  /** The cmd_vel task input (a ROS 2 robot with the cmd_vel reward). */
  readonly cmdVel: string;
  /** The MPC expert's action for each recorded transition that carries one (DAgger labels). */
  readonly expert: string;
}

export function runTopics(config: StriderConfig): RunTopics {
  const t = config.robot.ros2.topics;
  return {
    jointStates: t.joint_states,
    imu: t.imu ?? '/imu',
    odometry: t.odometry ?? '/odom',
    // a joint_trajectory robot's topic has another type: the gate's output gets its own name
    command:
      config.robot.ros2.command_type === 'float64_multi_array' ? t.command : '/strider/command',
    cmdVel: t.cmd_vel ?? '/cmd_vel',
    expert: '/strider/expert_action',
  };
}

/**
 * `run.record_bag`: records OUT/bag/ (a rosbag2 MCAP, src/bags/BagRecorder) while `strider run`
 * drives the robot: the state messages as the link delivered them (tapState: wraps the handlers
 * the link feeds), the safety gate's commands (tapCommands: wraps the link the gate sends to),
 * and the cmd_vel task input (cmdVel). On the caller's path each message costs one copy (a few
 * small objects; its number arrays go into pooled buffers, reused after `ring` messages of that
 * topic, by when the recorder has serialised them) and an O(1) BagRecorder.write; serialising
 * and disk run off the tick on the recorder's timer.
 *
 * Log time: a simulator in lockstep stamps with its simulated time, continued across episodes
 * with a jump of EPISODE_GAP_SEC (whole control periods) at each reset, so the state and command
 * of tick k share one stamp on the control grid and `strider replay` (replay.max_gap_s < the gap)
 * cuts the bag into the run's episodes without interpolating. Otherwise: the wall clock at
 * receipt, as `ros2 bag record` stamps.
 */
export class RunRecording {
  readonly dir: string;
  readonly topics: RunTopics;
  readonly #recorder: BagRecorder;
  readonly #stamp: () => bigint;
  readonly #pools: Map<string, { items: unknown[]; next: number }> = new Map();
  readonly #ring: number;
  readonly #logger: Logger;
  /** The expert label's message, reused (its values are copied again by #write). */
  #expertMsg: Float64MultiArray | null = null;

  private constructor(
    dir: string,
    topics: RunTopics,
    recorder: BagRecorder,
    stamp: () => bigint,
    ring: number,
    logger: Logger,
  ) {
    this.#logger = logger;
    this.dir = dir;
    this.topics = topics;
    this.#recorder = recorder;
    this.#stamp = stamp;
    this.#ring = ring;
  }

  /** Opens the bag in `dir` (which must not hold one). Call after the link's configure(). */
  static async open(o: {
    dir: string;
    config: StriderConfig;
    link: RobotLink;
    pacing: 'lockstep' | 'realtime';
    clock: Clock;
    logger: Logger;
  }): Promise<RunRecording> {
    const topics = runTopics(o.config);
    const list: RecordedTopic[] = [
      { name: topics.jointStates, type: MSG_TYPES.jointState },
      { name: topics.imu, type: MSG_TYPES.imu },
      { name: topics.odometry, type: MSG_TYPES.odometry },
      { name: topics.command, type: MSG_TYPES.float64MultiArray },
      { name: topics.cmdVel, type: 'geometry_msgs/msg/Twist' },
      { name: topics.expert, type: MSG_TYPES.float64MultiArray },
    ];
    const ring = 65536;
    const recorder = await BagRecorder.open(o.dir, list, {
      ringCapacity: ring,
      drainIntervalMs: 20,
      logger: o.logger,
    });
    const link = o.link;
    const stamp =
      o.pacing === 'lockstep' && isSteppable(link)
        ? simulatedStamp(() => link.simTimeSec, o.config.control.rate_hz)
        : wallStamp(o.clock);
    return new RunRecording(o.dir, topics, recorder, stamp, ring, o.logger);
  }

  /** The handlers to give the link: each message is recorded, then passed on to `downstream`. */
  tapState(downstream: StateHandlers): StateHandlers {
    const t = this.topics;
    return {
      jointState: (m) => {
        this.#write(t.jointStates, m, copyJointState);
        downstream.jointState(m);
      },
      imu: (m) => {
        this.#write(t.imu, m, copyImu);
        downstream.imu(m);
      },
      odometry: (m) => {
        this.#write(t.odometry, m, copyOdometry);
        downstream.odometry(m);
      },
    };
  }

  /** The link as the safety gate sees it: every command it sends is recorded, then sent. */
  tapCommands(link: RobotLink): RobotLink {
    return new CommandTap(link, (cmd) => {
      this.#write(this.topics.command, cmd, copyFloat64MultiArray);
    });
  }

  /** A cmd_vel task input (borrowed). */
  cmdVel(twist: Readonly<Twist>): void {
    this.#write(this.topics.cmdVel, twist, copyTwist);
  }

  /**
   * The expert's label of a recorded transition, when it has one (the MPC action for the
   * transition's state; absent where MPC could not finish in budget), as a Float64MultiArray in
   * action order. Stamped when the transition completes, one control period after its state.
   */
  expert(t: Readonly<Transition>): void {
    const label = t.expertAction;
    if (label === undefined || label === null) return;
    let msg = this.#expertMsg;
    if (msg?.data.length !== label.length) {
      const n = label.length;
      msg = {
        layout: { dim: [{ label: 'actions', size: n, stride: n }], data_offset: 0 },
        data: new Float64Array(n),
      };
      this.#expertMsg = msg;
    }
    const data = msg.data as Float64Array;
    for (let i = 0; i < label.length; i++) data[i] = label[i]!;
    this.#write(this.topics.expert, msg, copyFloat64MultiArray);
  }

  get stats(): RecorderStats {
    return this.#recorder.stats;
  }

  /** Drains the ring and finishes the file and metadata.yaml. */
  async close(): Promise<RecorderStats> {
    await this.#recorder.close();
    const stats = this.#recorder.stats;
    if (stats.dropped > 0) {
      this.#logger.warn(
        { bag: this.dir, ...stats },
        'bag recorder: its ring was full for some messages; they are not in the bag',
      );
    }
    return stats;
  }

  #write<T>(
    topic: string,
    msg: Readonly<T>,
    copy: (src: Readonly<T>, dst: T | undefined) => T,
  ): void {
    let pool = this.#pools.get(topic);
    if (pool === undefined) {
      pool = { items: [], next: 0 };
      this.#pools.set(topic, pool);
    }
    const k = pool.next;
    pool.next = (k + 1) % this.#ring;
    const owned = copy(msg, pool.items[k] as T | undefined);
    pool.items[k] = owned;
    this.#recorder.write(topic, this.#stamp(), owned);
  }
}

/** Simulated time since the last reset, continued across resets with a gap of whole periods. */
function simulatedStamp(simTimeSec: () => number, rateHz: number): () => bigint {
  const gapPeriods = Math.max(2, Math.ceil(EPISODE_GAP_SEC * rateHz));
  let basePeriods = 0;
  let lastSec = 0;
  return () => {
    const sec = simTimeSec();
    if (sec < lastSec) basePeriods += Math.ceil(lastSec * rateHz - 1e-6) + gapPeriods;
    lastSec = sec;
    return BigInt(Math.round((basePeriods / rateHz + sec) * 1e9));
  };
}

/** Nanoseconds since the epoch: the wall clock at start, advanced by the monotonic clock. */
function wallStamp(clock: Clock): () => bigint {
  const epochMs = Date.now() - clock.nowMs();
  return () => BigInt(Math.round((epochMs + clock.nowMs()) * 1e6));
}

/** A link whose sendCommand is observed first; everything else goes to the link itself. */
class CommandTap implements RobotLink {
  readonly #link: RobotLink;
  readonly #observe: (cmd: Readonly<Float64MultiArray>) => void;
  constructor(link: RobotLink, observe: (cmd: Readonly<Float64MultiArray>) => void) {
    this.#link = link;
    this.#observe = observe;
  }
  get capabilities(): LinkCapabilities {
    return linkCapabilities(this.#link);
  }
  /** What the safety gate reads to withhold commands from a replay link. */
  get actuation(): unknown {
    return (this.#link as { readonly actuation?: unknown }).actuation;
  }
  configure(): Promise<RobotDescription> {
    return this.#link.configure();
  }
  activate(handlers: StateHandlers): Promise<void> {
    return this.#link.activate(handlers);
  }
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    this.#observe(cmd);
    this.#link.sendCommand(cmd);
  }
  deactivate(): Promise<void> {
    return this.#link.deactivate();
  }
  close(): Promise<void> {
    return this.#link.close();
  }
}

function copyNumbers(src: ArrayLike<number>, dst: ArrayLike<number> | undefined): Float64Array {
  const out =
    dst instanceof Float64Array && dst.length === src.length ? dst : new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]!;
  return out;
}

function copyJointState(src: Readonly<JointState>, dst: JointState | undefined): JointState {
  const names =
    dst !== undefined && dst.name.length === src.name.length
      ? dst.name
      : new Array<string>(src.name.length);
  for (let i = 0; i < src.name.length; i++) names[i] = src.name[i]!;
  return {
    header: {
      stamp: { sec: src.header.stamp.sec, nanosec: src.header.stamp.nanosec },
      frame_id: src.header.frame_id,
    },
    name: names,
    position: copyNumbers(src.position, dst?.position),
    velocity: copyNumbers(src.velocity, dst?.velocity),
    effort: copyNumbers(src.effort, dst?.effort),
  };
}

function copyImu(src: Readonly<Imu>, dst: Imu | undefined): Imu {
  const o = src.orientation;
  const w = src.angular_velocity;
  const a = src.linear_acceleration;
  return {
    header: {
      stamp: { sec: src.header.stamp.sec, nanosec: src.header.stamp.nanosec },
      frame_id: src.header.frame_id,
    },
    orientation: { x: o.x, y: o.y, z: o.z, w: o.w },
    orientation_covariance: copyNumbers(src.orientation_covariance, dst?.orientation_covariance),
    angular_velocity: { x: w.x, y: w.y, z: w.z },
    angular_velocity_covariance: copyNumbers(
      src.angular_velocity_covariance,
      dst?.angular_velocity_covariance,
    ),
    linear_acceleration: { x: a.x, y: a.y, z: a.z },
    linear_acceleration_covariance: copyNumbers(
      src.linear_acceleration_covariance,
      dst?.linear_acceleration_covariance,
    ),
  };
}

function copyOdometry(src: Readonly<Odometry>, dst: Odometry | undefined): Odometry {
  const p = src.pose.pose.position;
  const q = src.pose.pose.orientation;
  const v = src.twist.twist.linear;
  const w = src.twist.twist.angular;
  return {
    header: {
      stamp: { sec: src.header.stamp.sec, nanosec: src.header.stamp.nanosec },
      frame_id: src.header.frame_id,
    },
    child_frame_id: src.child_frame_id,
    pose: {
      pose: {
        position: { x: p.x, y: p.y, z: p.z },
        orientation: { x: q.x, y: q.y, z: q.z, w: q.w },
      },
      covariance: copyNumbers(src.pose.covariance, dst?.pose.covariance),
    },
    twist: {
      twist: { linear: { x: v.x, y: v.y, z: v.z }, angular: { x: w.x, y: w.y, z: w.z } },
      covariance: copyNumbers(src.twist.covariance, dst?.twist.covariance),
    },
  };
}

function copyFloat64MultiArray(
  src: Readonly<Float64MultiArray>,
  dst: Float64MultiArray | undefined,
): Float64MultiArray {
  return {
    layout: {
      dim: src.layout.dim.map((d) => ({ label: d.label, size: d.size, stride: d.stride })),
      data_offset: src.layout.data_offset,
    },
    data: copyNumbers(src.data, dst?.data),
  };
}

function copyTwist(src: Readonly<Twist>): Twist {
  return {
    linear: { x: src.linear.x, y: src.linear.y, z: src.linear.z },
    angular: { x: src.angular.x, y: src.angular.y, z: src.angular.z },
  };
}
