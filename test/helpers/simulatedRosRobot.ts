import { DeadlineScheduler } from '../../src/control/DeadlineScheduler.js';
import type {
  Float64MultiArray,
  Imu,
  JointState,
  Odometry,
  Quaternion,
  Vector3,
} from '../../src/msgs/types.js';
import { MujocoLink } from '../../src/robot/mujoco/index.js';
import { urdfDescription } from '../../src/robot/ros2/urdfDescription.js';
import { monotonicClock, nodeTimers } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import type { FakeNode, FakePublisher, FakeRclnodejs } from '../unit/robot/ros2/fakeRclnodejs.js';

export interface SimulatedRosRobotOptions {
  /** The URDF both the simulator and the controller's Ros2Link read. */
  readonly modelPath: string;
  /** Physics and state period, ms (the rate joint_state_broadcaster publishes at). */
  readonly periodMs: number;
  readonly topics: {
    readonly joint_states: string;
    readonly odometry: string | null;
    readonly imu: string | null;
    readonly command: string;
  };
  /**
   * The robot's own clock against ROS time (/clock): its stamps are simulated time plus
   * `offsetMs` plus a uniform jitter in [-jitterMs, +jitterMs] (seeded), as a robot whose clock
   * is not the controller's. Default 0 and 0.
   */
  readonly clock?: {
    readonly offsetMs?: number;
    readonly jitterMs?: number;
    readonly seed?: number;
  };
}

/** mulberry32: a small seeded generator, so a jittered run repeats. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vec = (v: Readonly<Vector3>) => ({ x: v.x, y: v.y, z: v.z });
const quat = (q: Readonly<Quaternion>) => ({ x: q.x, y: q.y, z: q.z, w: q.w });

/**
 * Gazebo's part in end-to-end tests of the ROS 2 path, played by MuJoCo behind the rclnodejs fake:
 * the robot in `modelPath` is simulated in real time; every period it takes the newest message
 * the controller published on the command topic as it came over the wire (a
 * forward_command_controller holds the last one), steps, and publishes JointState / Odometry /
 * Imu built as plain ROS messages (not MujocoLink's objects) through the fake's graph: checked,
 * serialised to CDR, QoS-matched (the broadcasters offer reliable, volatile) and delivered while
 * the controller's node spins. ROS time (/clock) is simulated time; the stamps are the robot's
 * own clock (`clock`: offset and jitter). Before the controller's node exists, or before it
 * subscribes, state is dropped, as on a real ROS graph.
 */
export class SimulatedRosRobot {
  readonly sim: MujocoLink;
  readonly #fake: FakeRclnodejs;
  readonly #o: SimulatedRosRobotOptions;
  readonly #scheduler: DeadlineScheduler;
  /** ROS command slot c (Ros2Link's default order: the URDF's ros2_control joints) -> MuJoCo actuator. */
  #toSim = new Int32Array(0);
  #cmd: Float64MultiArray = { layout: { dim: [], data_offset: 0 }, data: new Float64Array(0) };
  /** Commands applied to the simulator so far. */
  applied = 0;
  /** Every JointState delivered to the controller's node, in order (name and position). */
  readonly jointStates: Array<{ readonly name: string[]; readonly position: number[] }> = [];
  readonly #random: () => number;

  private constructor(fake: FakeRclnodejs, options: SimulatedRosRobotOptions) {
    this.#fake = fake;
    this.#o = options;
    this.#random = seeded(options.clock?.seed ?? 1);
    this.sim = new MujocoLink({
      modelPath: options.modelPath,
      controlPeriodSec: options.periodMs / 1000,
      resetNoiseScale: 0,
      logger: silentLogger(),
    });
    this.#scheduler = new DeadlineScheduler({
      periodMs: options.periodMs,
      clock: monotonicClock,
      timers: nodeTimers,
      onError: (err) => {
        throw err;
      },
    });
  }

  /** Load the robot, start simulated time and publishing. */
  static async start(
    fake: FakeRclnodejs,
    options: SimulatedRosRobotOptions,
  ): Promise<SimulatedRosRobot> {
    const robot = new SimulatedRosRobot(fake, options);
    const desc = await robot.sim.configure();
    const rosJoints = urdfDescription(options.modelPath, 'free').actuators.map((a) => a.joint);
    robot.#toSim = Int32Array.from(rosJoints, (j) => {
      const k = desc.actuators.findIndex((a) => a.joint === j);
      if (k < 0) throw new Error(`simulated robot: no MuJoCo actuator for ROS command joint ${j}`);
      return k;
    });
    robot.#cmd = {
      layout: { dim: [], data_offset: 0 },
      data: new Float64Array(desc.actuators.length),
    };
    robot.sim.reset(0);
    const t = options.topics;
    await robot.sim.activate({
      jointState: (m: Readonly<JointState>) => {
        const name = [...m.name];
        const position = Array.from(m.position);
        const delivered = robot.#publish(t.joint_states, m.header.stamp, (header) => ({
          header,
          name,
          position,
          velocity: Array.from(m.velocity),
          effort: Array.from(m.effort),
        }));
        if (delivered) robot.jointStates.push({ name, position });
      },
      odometry: (m: Readonly<Odometry>) => {
        if (t.odometry === null) return;
        robot.#publish(t.odometry, m.header.stamp, (header) => ({
          header: { ...header, frame_id: m.header.frame_id },
          child_frame_id: m.child_frame_id,
          pose: {
            pose: {
              position: vec(m.pose.pose.position),
              orientation: quat(m.pose.pose.orientation),
            },
            covariance: Array.from(m.pose.covariance),
          },
          twist: {
            twist: { linear: vec(m.twist.twist.linear), angular: vec(m.twist.twist.angular) },
            covariance: Array.from(m.twist.covariance),
          },
        }));
      },
      imu: (m: Readonly<Imu>) => {
        if (t.imu === null) return;
        robot.#publish(t.imu, m.header.stamp, (header) => ({
          header: { ...header, frame_id: m.header.frame_id },
          orientation: quat(m.orientation),
          orientation_covariance: Array.from(m.orientation_covariance),
          angular_velocity: vec(m.angular_velocity),
          angular_velocity_covariance: Array.from(m.angular_velocity_covariance),
          linear_acceleration: vec(m.linear_acceleration),
          linear_acceleration_covariance: Array.from(m.linear_acceleration_covariance),
        }));
      },
    });
    robot.#scheduler.start(() => {
      robot.#applyCommand();
      robot.sim.step();
    });
    return robot;
  }

  /** The controller's node, once it exists. */
  get node(): FakeNode | null {
    return this.#fake.nodes[0] ?? null;
  }

  /** The controller's command publisher, once it exists. */
  get commandPublisher(): FakePublisher | null {
    return this.node?.publishers.find((p) => p.topic === this.#o.topics.command) ?? null;
  }

  async stop(): Promise<void> {
    await this.#scheduler.stop();
    await this.sim.close();
  }

  /**
   * Set /clock to simulated time `sim`; publish `build(header)` stamped on the robot's clock.
   * False when there is no node yet to deliver to.
   */
  #publish(
    topic: string,
    sim: Readonly<{ sec: number; nanosec: number }>,
    build: (header: { stamp: { sec: number; nanosec: number }; frame_id: string }) => object,
  ): boolean {
    const node = this.node;
    if (node === null) return false;
    const simNs = BigInt(sim.sec) * 1_000_000_000n + BigInt(sim.nanosec);
    node.clockNs = simNs; // /clock
    const c = this.#o.clock;
    const skewMs = (c?.offsetMs ?? 0) + (c?.jitterMs ?? 0) * (2 * this.#random() - 1);
    const skewed = simNs + BigInt(Math.round(skewMs * 1e6));
    const ns = skewed < 0n ? 0n : skewed;
    const stamp = { sec: Number(ns / 1_000_000_000n), nanosec: Number(ns % 1_000_000_000n) };
    node.deliver(topic, build({ stamp, frame_id: '' }));
    return true;
  }

  #applyCommand(): void {
    // what came over the wire, not the object the controller reuses
    const last = this.commandPublisher?.decoded.at(-1) as Float64MultiArray | undefined;
    if (last === undefined) return;
    const out = this.#cmd.data as Float64Array;
    for (let c = 0; c < this.#toSim.length; c++) out[this.#toSim[c]!] = last.data[c]!;
    this.sim.sendCommand(this.#cmd);
    this.applied++;
  }
}
