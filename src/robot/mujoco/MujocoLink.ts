import type { Float64MultiArray } from '../../msgs/types.js';
import { Rng } from '../../util/rng.js';
import { StriderError } from '../../util/StriderError.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { LinkCapabilities, RobotDescription, StateHandlers, SteppableLink } from '../types.js';
import { describeModel, EMPTY_LAYOUT, type ModelLayout } from './describeModel.js';
import { KinematicsWriter } from './KinematicsWriter.js';
import { loadMujoco, setMujocoPrintListener, type MujocoPrintListener } from './loadMujoco.js';
import { frameSkipOf, loadModel, type UrdfImportOptions } from './loadModel.js';
import { at, dataViews, normaliseQuat, type DataViews } from './mjAccess.js';
import type { ModelMount } from './ModelMount.js';
import { MJ_OBJ, type MjDataHandle, type MjModelHandle, type MujocoModule } from './mujocoTypes.js';
import { BadStateWarnings, nonFiniteState } from './simHealth.js';

import { resolveResetPose, type ResetPose } from './resetPose.js';
export { frameSkipOf } from './loadModel.js';
export type { ResetPose } from './resetPose.js';
export type { UrdfImportOptions } from './loadModel.js';

/** Options of {@link MujocoLink}. */
export interface MujocoLinkOptions {
  /** Path of an MJCF (`<mujoco>`) or URDF (`<robot>`) file; made absolute against the cwd. */
  readonly modelPath: string;
  /** Control period in s; must be an integer multiple (>= 1) of the model's timestep. */
  readonly controlPeriodSec: number;
  /** Reset noise scale s: qpos += U(-s, s), qvel += s N(0, 1) (gym style). >= 0. */
  readonly resetNoiseScale: number;
  readonly logger?: Logger;
  readonly urdf?: UrdfImportOptions;
  /** What reset() starts from (before noise). Default: the first keyframe, else qpos0. */
  readonly resetPose?: ResetPose;
}

/** What the link is doing: see {@link MujocoLink}. */
export type MujocoLinkState = 'unconfigured' | 'configured' | 'active' | 'closed';

/** |ctrl| above this is treated by MuJoCo as bad (mjMAXVAL) and zeroed with a warning. */
const MJ_MAX_VAL = 1e10;

/**
 * The embedded MuJoCo simulator as a robot link (mujoco-js, MuJoCo's official WASM build).
 *
 * Loads any MJCF or URDF (URDFs get a floating base, ros2_control actuators and a floor, see
 * urdfToMjcf.ts), steps it in lockstep with the controller and emits the messages a ROS 2 robot
 * would: sensor_msgs/JointState (non-base hinge/slide joints, model order; effort = actuator
 * force at the joint's dof, qfrc_actuator), nav_msgs/Odometry (root body pose in the world frame
 * `odom`, twist in the body frame per REP-105) and sensor_msgs/Imu (at the root body origin:
 * orientation, body-frame angular velocity, body-frame proper acceleration including the
 * gravity reaction, +9.81 m/s^2 up at rest, computed as MuJoCo's accelerometer does from cacc
 * after mj_rnePostConstraint). Stamps are simulation time. Covariances are zero (exact).
 *
 * Lifecycle: configure() loads the model (the WASM module is loaded once per process) and
 * returns the RobotDescription; reset()/step()/sendCommand() need a configured link; activate()
 * starts delivery to the handlers and delivers the current state at once; deactivate() stops
 * delivery (stepping still works); close() frees MjModel/MjData, unmounts the model's files and
 * makes every later call throw StriderError LOOP_STATE (close() itself is idempotent).
 *
 * step() holds the latest command for frame_skip = controlPeriodSec / timestep mj_step calls,
 * then runs mj_forward and mj_rnePostConstraint once so positions, velocities and accelerations
 * of the messages all belong to the same instant (the trajectory is unchanged by this), then
 * delivers JointState, Imu, Odometry synchronously, in that order. If MuJoCo raised a bad-state
 * warning (NaN, Inf or huge qpos/qvel/qacc, read from mjData's warning counters; MuJoCo then
 * silently resets its data) or the state is non-finite, step()
 * throws StriderError SIM_UNSTABLE with MuJoCo's warning text and delivers nothing; every later
 * step() throws the same until reset(seed). The controller's tick turns that into a status.
 *
 * Messages and their arrays are borrowed: the same objects and Float64Array buffers are
 * rewritten on every step and reset; copy what you keep. step() allocates no arrays or messages;
 * reading MuJoCo's warning counters costs four small embind handles per step (deleted at once).
 */
export class MujocoLink implements SteppableLink {
  readonly #opts: MujocoLinkOptions;
  readonly #log: Logger;
  #state: MujocoLinkState = 'unconfigured';
  #configuring: Promise<RobotDescription> | null = null;
  #desc: RobotDescription | null = null;
  #mujoco: MujocoModule | null = null;
  #model: MjModelHandle | null = null;
  #data: MjDataHandle | null = null;
  #v: DataViews | null = null;
  #mount: ModelMount | null = null;
  #handlers: StateHandlers | null = null;
  #frameSkip = 1;
  #lastSimTimeSec = 0;
  #unstable: string | null = null;
  readonly #badState = new BadStateWarnings();
  readonly #onMujocoLine: MujocoPrintListener = (line) => {
    this.#log.warn({ mujoco: line }, 'mujoco warning');
  };
  /** Model layout, fixed at configure. */
  #layout: ModelLayout = EMPTY_LAYOUT;
  /** The latched command, one value per actuator. */
  #cmd = new Float64Array(0);
  /** reset(): the keyframe to start from (-1: none), or the stance's qpos (nq). */
  #resetKey = -1;
  #resetQpos: Float64Array | null = null;
  /** Writes the borrowed messages; made at configure. */
  #writer: KinematicsWriter | null = null;

  constructor(options: MujocoLinkOptions) {
    if (!(options.controlPeriodSec > 0) || !Number.isFinite(options.controlPeriodSec)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `controlPeriodSec must be a finite number > 0, got ${options.controlPeriodSec}`,
      );
    }
    if (!(options.resetNoiseScale >= 0) || !Number.isFinite(options.resetNoiseScale)) {
      throw new StriderError(
        'CONFIG_INVALID',
        `resetNoiseScale must be a finite number >= 0, got ${options.resetNoiseScale}`,
      );
    }
    this.#opts = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'MujocoLink' });
  }

  /** A simulator whose stamps are on its own time (src/robot/types.ts LinkCapabilities). */
  readonly capabilities: LinkCapabilities = {
    simulated: true,
    stampClock: { nowSec: () => this.simTimeSec },
    ros2Node: null,
  };

  /** Lifecycle state. */
  get state(): MujocoLinkState {
    return this.#state;
  }

  /** Simulated time in s since the last reset (the last known value after close). */
  get simTimeSec(): number {
    if (this.#data !== null) this.#lastSimTimeSec = this.#data.time;
    return this.#lastSimTimeSec;
  }

  /** Physics steps per control period (controlPeriodSec / model timestep). 1 before configure. */
  get frameSkip(): number {
    return this.#frameSkip;
  }

  /** The model's physics timestep in s (after configure). */
  get timestepSec(): number {
    return this.#model?.opt.timestep ?? 0;
  }

  /** True after a step reported SIM_UNSTABLE, until the next reset(). */
  get unstable(): boolean {
    return this.#unstable !== null;
  }

  /**
   * Load the model (and, on first use in the process, the WASM module) and describe it.
   * Idempotent: later calls return the same description. Rejects with StriderError
   * MODEL_NOT_FOUND (no such file), MODEL_LOAD (MuJoCo's parser/compiler message and the file),
   * CONFIG_INVALID (control period not a multiple of the timestep), MODEL_UNSUPPORTED (no
   * actuators, or an actuator that does not drive a joint), LOOP_STATE (closed).
   */
  configure(): Promise<RobotDescription> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError('configure'));
    if (this.#desc !== null) return Promise.resolve(this.#desc);
    this.#configuring ??= this.#doConfigure().finally(() => {
      this.#configuring = null;
    });
    return this.#configuring;
  }

  activate(handlers: StateHandlers): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError('activate'));
    if (this.#state === 'unconfigured') {
      return Promise.reject(
        new StriderError('LOOP_STATE', 'MujocoLink.activate() called before configure()'),
      );
    }
    this.#handlers = handlers;
    this.#state = 'active';
    this.#deliver();
    return Promise.resolve();
  }

  deactivate(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError('deactivate'));
    if (this.#state === 'active') this.#state = 'configured';
    this.#handlers = null;
    return Promise.resolve();
  }

  /** Free the WASM model and data and unmount the model's files. Idempotent. */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    if (this.#data !== null) this.#lastSimTimeSec = this.#data.time;
    this.#state = 'closed';
    this.#handlers = null;
    this.#v = null;
    this.#freeModel();
    return Promise.resolve();
  }

  /**
   * Push the robot: apply `force` (N) and `torque` (N m), world frame, at the centre of mass of
   * body `bodyName` on every physics step until cleared with a zero wrench or reset() (MuJoCo's
   * xfrc_applied). For disturbance and fault-injection tests (a shove, a kick). Throws
   * StriderError MODEL_MAPPING for a body the model does not have.
   */
  setExternalWrench(
    bodyName: string,
    force: readonly [number, number, number],
    torque: readonly [number, number, number] = [0, 0, 0],
  ): void {
    const { mujoco, model, data } = this.#assertConfigured('setExternalWrench');
    const id = mujoco.mj_name2id(model, MJ_OBJ.body, bodyName);
    if (id < 0) {
      throw new StriderError(
        'MODEL_MAPPING',
        `setExternalWrench: no body "${bodyName}" in ${this.#opts.modelPath}`,
      );
    }
    const w = [...force, ...torque];
    if (!w.every((x) => Number.isFinite(x))) {
      throw new StriderError(
        'COMMAND_INVALID',
        `setExternalWrench: non-finite wrench ${w.join(', ')}`,
      );
    }
    data.xfrc_applied.set(w, id * 6);
  }

  /**
   * Validate and latch a command: `cmd.data` (from `layout.data_offset`) holds one value per
   * actuator in description order; effort in N m / N, position in rad / m, velocity in rad/s.
   * Values are clamped to the actuator's commandLimits. Throws StriderError COMMAND_INVALID for
   * a wrong length or a non-finite (or |v| > 1e10) value, leaving the previous command in force.
   */
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    this.#assertConfigured('sendCommand');
    const { nu, cmdLo, cmdHi } = this.#layout;
    const offset = cmd.layout.data_offset;
    const n = cmd.data.length - offset;
    if (n !== nu) {
      const names = this.#desc?.actuators.map((a) => a.name).join(', ') ?? '';
      throw new StriderError(
        'COMMAND_INVALID',
        `command has ${n} values, robot "${this.#desc?.name ?? ''}" has ${nu} actuators (${names})`,
        { context: { expected: nu, got: n } },
      );
    }
    for (let i = 0; i < n; i++) {
      const v = at(cmd.data, offset + i);
      if (!Number.isFinite(v) || Math.abs(v) > MJ_MAX_VAL) {
        const name = this.#desc?.actuators[i]?.name ?? '';
        throw new StriderError(
          'COMMAND_INVALID',
          `command[${i}] (actuator "${name}") is ${v}; expected a finite value with |v| <= 1e10`,
          { context: { index: i, actuator: name } },
        );
      }
    }
    for (let i = 0; i < n; i++) {
      const v = at(cmd.data, offset + i);
      const lo = at(cmdLo, i);
      const hi = at(cmdHi, i);
      this.#cmd[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }

  /**
   * Reset to the initial state (options.resetPose: a keyframe by name or a stance of joint
   * positions standing on the floor; default keyframe 0 when the model has keyframes, else qpos0;
   * zero velocity), then add noise drawn from `seed`: qpos += U(-s, s), qvel += s N(0, 1), with
   * s = resetNoiseScale; quaternions are renormalised. The held command becomes zero effort /
   * zero velocity / the reset joint position. Delivers the new state at once when active.
   * Deterministic: the same seed gives the same state.
   */
  reset(seed: number): void {
    const { mujoco, model, data } = this.#assertConfigured('reset');
    if (this.#resetKey >= 0) mujoco.mj_resetDataKeyframe(model, data, this.#resetKey);
    else mujoco.mj_resetData(model, data);
    const v = this.#views();
    if (this.#resetQpos !== null) v.qpos.set(this.#resetQpos);
    const layout = this.#layout;
    const s = this.#opts.resetNoiseScale;
    if (s > 0) {
      const rng = new Rng(seed);
      for (let i = 0; i < layout.nq; i++) v.qpos[i] = at(v.qpos, i) + rng.uniform(-s, s);
      for (let i = 0; i < layout.nv; i++) v.qvel[i] = at(v.qvel, i) + s * rng.normal();
      for (const adr of layout.quatAdr) normaliseQuat(v.qpos, adr);
    }
    for (let i = 0; i < layout.nu; i++) {
      let c = 0;
      if (layout.actuatorInterface[i] === 'position') c = at(v.qpos, at(layout.actuatorQposAdr, i));
      const lo = at(layout.cmdLo, i);
      const hi = at(layout.cmdHi, i);
      this.#cmd[i] = c < lo ? lo : c > hi ? hi : c;
    }
    v.ctrl.set(this.#cmd);
    this.#unstable = null;
    mujoco.mj_forward(model, data);
    mujoco.mj_rnePostConstraint(model, data);
    this.#badState.read(mujoco, data);
    this.#lastSimTimeSec = data.time;
    this.#deliver();
  }

  /**
   * Advance one control period: frameSkip mj_step calls with the latched command, then deliver
   * JointState, Imu, Odometry (when active). Throws StriderError SIM_UNSTABLE (see class doc) and
   * LOOP_STATE (not configured, closed). Allocation-free.
   */
  step(): void {
    const { mujoco, model, data } = this.#assertConfigured('step');
    if (this.#unstable !== null) {
      throw new StriderError(
        'SIM_UNSTABLE',
        `simulation of "${this.#desc?.name ?? ''}" is unstable (${this.#unstable}); call reset() first`,
      );
    }
    const v = this.#views();
    v.ctrl.set(this.#cmd);
    const previous = setMujocoPrintListener(this.#onMujocoLine);
    try {
      for (let i = 0; i < this.#frameSkip; i++) mujoco.mj_step(model, data);
      mujoco.mj_forward(model, data);
      mujoco.mj_rnePostConstraint(model, data);
    } finally {
      setMujocoPrintListener(previous);
    }
    this.#lastSimTimeSec = data.time;
    const problem =
      this.#badState.read(mujoco, data) ?? nonFiniteState(v, this.#layout.nq, this.#layout.nv);
    if (problem !== null) {
      this.#unstable = problem;
      throw new StriderError(
        'SIM_UNSTABLE',
        `simulation of "${this.#desc?.name ?? ''}" became unstable at t=${data.time} s: ${problem}`,
        { context: { simTimeSec: data.time } },
      );
    }
    this.#deliver();
  }

  // ---- configure -------------------------------------------------------------------------

  async #doConfigure(): Promise<RobotDescription> {
    const mujoco = await loadMujoco(this.#log);
    if (this.#state === 'closed') throw this.#closedError('configure');
    this.#mujoco = mujoco;
    const loaded = loadModel(mujoco, this.#opts.modelPath, this.#opts.urdf ?? {}, this.#log);
    const { model, modelPath } = loaded;
    this.#model = model;
    this.#mount = loaded.mount;
    try {
      this.#frameSkip = frameSkipOf(this.#opts.controlPeriodSec, model.opt.timestep, modelPath);
      this.#data = new mujoco.MjData(model);
      const { description: desc, layout, unreportedJoints } = describeModel(mujoco, loaded);
      for (const joint of unreportedJoints) {
        this.#log.warn({ joint }, 'joint is neither hinge nor slide: not reported in JointState');
      }
      this.#layout = layout;
      this.#cmd = new Float64Array(layout.nu);
      for (let a = 0; a < layout.nu; a++) {
        const lo = at(layout.cmdLo, a);
        const hi = at(layout.cmdHi, a);
        this.#cmd[a] = 0 < lo ? lo : 0 > hi ? hi : 0;
      }
      this.#writer = new KinematicsWriter(
        layout,
        desc.joints.map((j) => j.name),
        desc.base.body,
      );
      this.#desc = desc;
      const reset = resolveResetPose(
        mujoco,
        model,
        this.#data,
        layout,
        desc.joints.map((j) => j.name),
        this.#opts.resetPose,
        desc.keyframes,
      );
      this.#resetKey = reset.keyIndex;
      this.#resetQpos = reset.qpos;
      mujoco.mj_forward(model, this.#data);
      mujoco.mj_rnePostConstraint(model, this.#data);
      this.#state = 'configured';
      this.#log.info(
        {
          model: desc.name,
          modelPath,
          joints: desc.joints.length,
          actuators: desc.actuators.length,
          base: desc.base,
          timestepSec: model.opt.timestep,
          frameSkip: this.#frameSkip,
          mujoco: mujoco.mj_versionString(),
        },
        'mujoco model loaded',
      );
      return desc;
    } catch (err) {
      this.#freeModel();
      throw err;
    }
  }

  /** Delete MjData and MjModel and unmount the model's files (each once). */
  #freeModel(): void {
    this.#data?.delete();
    this.#data = null;
    this.#model?.delete();
    this.#model = null;
    this.#mount?.unmount();
    this.#mount = null;
  }

  // ---- per step --------------------------------------------------------------------------

  #views(): DataViews {
    let v = this.#v;
    if (v === null || v.qpos.length !== this.#layout.nq) {
      if (this.#data === null) throw this.#closedError('step');
      v = dataViews(this.#data);
      this.#v = v;
    }
    return v;
  }

  #deliver(): void {
    const h = this.#handlers;
    const data = this.#data;
    const w = this.#writer;
    if (h === null || data === null || w === null || this.#state !== 'active') return;
    w.write(this.#views(), data.time);
    h.jointState(w.jointState);
    h.imu(w.imu);
    h.odometry(w.odometry);
  }

  #assertConfigured(method: string): {
    mujoco: MujocoModule;
    model: MjModelHandle;
    data: MjDataHandle;
  } {
    if (this.#state === 'closed') throw this.#closedError(method);
    const mujoco = this.#mujoco;
    const model = this.#model;
    const data = this.#data;
    if (this.#state === 'unconfigured' || mujoco === null || model === null || data === null) {
      throw new StriderError(
        'LOOP_STATE',
        `MujocoLink.${method}() called before configure() completed`,
      );
    }
    return { mujoco, model, data };
  }

  #closedError(method: string): StriderError {
    return new StriderError('LOOP_STATE', `MujocoLink.${method}() called after close()`);
  }
}
