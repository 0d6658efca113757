import { DeadlineScheduler } from '../../src/control/DeadlineScheduler.js';
import type { Float64MultiArray, Header, Imu, JointState, Odometry } from '../../src/msgs/types.js';
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
}

/**
 * Gazebo's part in end-to-end tests of the ROS 2 path, played by MuJoCo behind the rclnodejs fake:
 * the robot in `modelPath` is simulated in real time; every period it takes the newest message
 * the controller published on the command topic (a forward_command_controller holds the last
 * one), steps, and delivers JointState / Odometry / Imu to the node's subscriptions with ROS time
 * set to simulated time (use_sim_time with /clock). Before the controller's node exists, or before
 * it subscribes, state is dropped, as on a real ROS graph.
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

  private constructor(fake: FakeRclnodejs, options: SimulatedRosRobotOptions) {
    this.#fake = fake;
    this.#o = options;
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
  static async start(fake: FakeRclnodejs, options: SimulatedRosRobotOptions): Promise<SimulatedRosRobot> {
    const robot = new SimulatedRosRobot(fake, options);
    const desc = await robot.sim.configure();
    const rosJoints = urdfDescription(options.modelPath, 'free').actuators.map((a) => a.joint);
    robot.#toSim = Int32Array.from(rosJoints, (j) => {
      const k = desc.actuators.findIndex((a) => a.joint === j);
      if (k < 0) throw new Error(`simulated robot: no MuJoCo actuator for ROS command joint ${j}`);
      return k;
    });
    robot.#cmd = { layout: { dim: [], data_offset: 0 }, data: new Float64Array(desc.actuators.length) };
    robot.sim.reset(0);
    const t = options.topics;
    await robot.sim.activate({
      jointState: (m: Readonly<JointState>) => {
        robot.#publish(t.joint_states, m.header, m);
      },
      odometry: (m: Readonly<Odometry>) => {
        if (t.odometry !== null) robot.#publish(t.odometry, m.header, m);
      },
      imu: (m: Readonly<Imu>) => {
        if (t.imu !== null) robot.#publish(t.imu, m.header, m);
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

  #publish(topic: string, header: Readonly<Header>, msg: unknown): void {
    const node = this.node;
    if (node === null) return;
    node.clockNs = BigInt(header.stamp.sec) * 1_000_000_000n + BigInt(header.stamp.nanosec); // /clock
    node.deliver(topic, msg);
  }

  #applyCommand(): void {
    const last = this.commandPublisher?.messages.at(-1) as Float64MultiArray | undefined;
    if (last === undefined) return;
    const out = this.#cmd.data as Float64Array;
    for (let c = 0; c < this.#toSim.length; c++) out[this.#toSim[c]!] = last.data[c]!;
    this.sim.sendCommand(this.#cmd);
    this.applied++;
  }
}
