import type { Float64MultiArray, Imu, JointState, Odometry } from '../msgs/types.js';
import type { Ros2NodeHost } from './ros2/Ros2NodeAdapter.js';

/** How an actuator is commanded, as ros2_control names its command interfaces. */
export type CommandInterface = 'effort' | 'position' | 'velocity';

/** One controllable (non-base) joint, in the robot model's order. Limits are null where absent. */
export interface JointInfo {
  readonly name: string;
  readonly type: 'hinge' | 'slide';
  /** [lower, upper] in rad (hinge) or m (slide); null when the joint is unlimited. */
  readonly positionLimits: readonly [number, number] | null;
  /** |velocity| limit in rad/s or m/s; null when the model gives none. */
  readonly velocityLimit: number | null;
  /** |effort| limit in N m or N; null when the model gives none. */
  readonly effortLimit: number | null;
}

/** One actuator, in the robot model's order. */
export interface ActuatorInfo {
  readonly name: string;
  /** The joint this actuator drives. */
  readonly joint: string;
  readonly interface: CommandInterface;
  /** [lower, upper] of the command value (N m for effort, rad for position, rad/s for velocity). */
  readonly commandLimits: readonly [number, number];
}

/**
 * How the robot's base moves in the world:
 * - free: 6-DoF floating base (quadrupeds, humanoids);
 * - planar: x-slide, z-slide and pitch hinge on the root body (half-cheetah class runners);
 * - fixed: the base is welded to the world (arms).
 */
export type BaseKind = 'free' | 'planar' | 'fixed';

/**
 * What the controller needs to know about a robot, read from its model file (MJCF or URDF), never
 * from YAML: joint order, limits, actuators. Produced by a robot link at configure time.
 */
export interface RobotDescription {
  /** The model's name (MJCF <mujoco model=...> or URDF <robot name=...>). */
  readonly name: string;
  /** Absolute path of the model file. */
  readonly modelPath: string;
  /** Non-base joints in model order (what JointState reports). */
  readonly joints: readonly JointInfo[];
  /** Actuators in model order (what Float64MultiArray commands carry, by default). */
  readonly actuators: readonly ActuatorInfo[];
  readonly base: { readonly body: string; readonly kind: BaseKind };
  /** Named poses the model defines (MJCF `<key>`), in model order; absent or empty: none. */
  readonly keyframes?: readonly RobotKeyframe[];
}

/** A named pose of the model (MJCF `<key name=... qpos=...>`; Menagerie's "home" stance). */
export interface RobotKeyframe {
  /** The key's name; `key<index>` for an unnamed one. */
  readonly name: string;
  /** Position of every reported joint (name -> rad or m). */
  readonly jointPositions: Readonly<Record<string, number>>;
  /** World z of the base body origin in this pose, m; null with a fixed or planar base. */
  readonly baseHeightM: number | null;
}

/** Callbacks a robot link delivers state messages to. Messages are borrowed: copy what you keep. */
export interface StateHandlers {
  jointState(msg: Readonly<JointState>): void;
  imu(msg: Readonly<Imu>): void;
  odometry(msg: Readonly<Odometry>): void;
}

/**
 * The clock a link's header stamps are on: ROS time (simulated under use_sim_time, else the
 * robot's wall clock) or a simulator's own time. NaN while unknown (stamp age is then not judged).
 */
export interface StampClock {
  /** Current time on the stamps' clock, s. Called once per tick; must not allocate much. */
  nowSec(): number;
}

/**
 * What a link offers beyond the RobotLink contract, declared by the link so the wiring (src/cli)
 * builds the controller from these facts, never from the link's class.
 */
export interface LinkCapabilities {
  /**
   * true: a simulator (MuJoCo): its time restarts each episode, so an episode start may clear
   * latched faults, and random actions may move it before any model exists. false: a robot.
   */
  readonly simulated: boolean;
  /** The clock the state messages' header stamps are on (the StateWatchdog judges their age). */
  readonly stampClock: StampClock;
  /**
   * The ROS 2 node the link owns, where the wiring attaches task inputs (cmd_vel, nav_msgs/Path),
   * the safety topics and /diagnostics (src/robot/ros2/); null for a link without one.
   */
  readonly ros2Node: Ros2NodeHost | null;
}

/** A robot on its own clock with nothing beyond the RobotLink contract. */
export const NO_CAPABILITIES: LinkCapabilities = Object.freeze({
  simulated: false,
  stampClock: Object.freeze({ nowSec: (): number => Number.NaN }),
  ros2Node: null,
});

/** The link's declared capabilities; NO_CAPABILITIES for a link that declares none. */
export function linkCapabilities(link: RobotLink): LinkCapabilities {
  return link.capabilities ?? NO_CAPABILITIES;
}

/**
 * The boundary between strider and a robot (the MuJoCo simulator, a ROS 2 robot, a bag).
 * Lifecycle: configure() reads the model and returns its description; activate() starts
 * delivering state; deactivate() stops; close() frees everything the link owns (WASM objects,
 * ROS nodes, files). Only the safety gate calls sendCommand().
 */
export interface RobotLink {
  /** What the link offers the wiring; absent: NO_CAPABILITIES (see linkCapabilities). */
  readonly capabilities?: LinkCapabilities;
  configure(): Promise<RobotDescription>;
  /** Start delivering state messages to `handlers`. */
  activate(handlers: StateHandlers): Promise<void>;
  /**
   * Send one command (length = number of commanded actuators, in description order). Never
   * blocks; the link applies it at its next physics step or publishes it.
   */
  sendCommand(cmd: Readonly<Float64MultiArray>): void;
  deactivate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A link whose world can be reset and stepped by the controller (the simulator in lockstep
 * pacing). Physical robots and ROS 2 links are not steppable.
 */
export interface SteppableLink extends RobotLink {
  /** Reset to the initial state plus noise drawn from `seed`; delivers the new state at once. */
  reset(seed: number): void;
  /**
   * Advance one control period (frame_skip physics steps with the latest command held), then
   * deliver the resulting state messages synchronously.
   */
  step(): void;
  /** Simulated time in seconds since the last reset. */
  readonly simTimeSec: number;
}

export function isSteppable(link: RobotLink): link is SteppableLink {
  return typeof (link as Partial<SteppableLink>).step === 'function';
}
