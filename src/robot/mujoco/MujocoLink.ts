import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Imu, JointState, Odometry, Float64MultiArray } from '../../msgs/types.js';
import { timeFromSec } from '../../msgs/types.js';
import { Rng } from '../../util/rng.js';
import { StriderError } from '../../util/StriderError.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type {
  ActuatorInfo,
  BaseKind,
  CommandInterface,
  JointInfo,
  LinkCapabilities,
  RobotDescription,
  StateHandlers,
  SteppableLink,
} from '../types.js';
import { loadMujoco, setMujocoPrintListener, type MujocoPrintListener } from './loadMujoco.js';
import { mujocoErrorText } from './mujocoError.js';
import {
  MJ_BIAS,
  MJ_GEOM_PLANE,
  MJ_JNT,
  MJ_OBJ,
  MJ_TRN,
  MJ_WARN_BAD_STATE,
  type MjDataHandle,
  type MjModelHandle,
  type MujocoModule,
} from './mujocoTypes.js';
import {
  augmentMjcf,
  readUrdfInfo,
  urdfForMujoco,
  xmlRootElement,
  type ActuatorToAdd,
  type UrdfInfo,
} from './urdfToMjcf.js';

/** How a URDF is turned into a drivable MuJoCo model (see urdfToMjcf.ts). */
export interface UrdfImportOptions {
  /** Add a free joint to the root link (default true). False keeps MuJoCo's welded base. */
  readonly floatingBase?: boolean;
  /**
   * World z of the root link origin at reset, in m. Default: with a floating base, high enough
   * that the lowest collision bounding sphere clears the floor by 5 mm; fixed base: the URDF's.
   */
  readonly baseHeightM?: number;
  /** kp (N m/rad) of position actuators whose ros2_control joint has no `<param name="kp">`. Default 50. */
  readonly defaultKp?: number;
  /** kv (N m s/rad) of velocity actuators without `<param name="kv">`. Default 5. */
  readonly defaultKv?: number;
}

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
}

/** What the link is doing: see {@link MujocoLink}. */
export type MujocoLinkState = 'unconfigured' | 'configured' | 'active' | 'closed';

/** Host files copied into the WASM file system at most, and their total size. */
const MOUNT_MAX_FILES = 4000;
const MOUNT_MAX_BYTES = 256 * 1024 * 1024;
const MOUNT_MAX_DEPTH = 8;
/** |ctrl| above this is treated by MuJoCo as bad (mjMAXVAL) and zeroed with a warning. */
const MJ_MAX_VAL = 1e10;
/** Tolerance on controlPeriodSec / timestep being an integer, relative. */
const FRAME_SKIP_TOL = 1e-6;
const DEFAULT_KP = 50;
const DEFAULT_KV = 5;
/** Clearance of the lowest bounding sphere above the floor when placing a floating URDF base, m. */
const BASE_CLEARANCE_M = 0.005;

let mountCounter = 0;

/** Cached typed views into WASM memory; rebuilt when WASM memory grows (views detach). */
interface Views {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly qacc: Float64Array;
  readonly ctrl: Float64Array;
  readonly qfrcActuator: Float64Array;
  readonly xpos: Float64Array;
  readonly xquat: Float64Array;
  readonly xmat: Float64Array;
  readonly subtreeCom: Float64Array;
  readonly cvel: Float64Array;
  readonly cacc: Float64Array;
}

function views(d: MjDataHandle): Views {
  return {
    qpos: d.qpos,
    qvel: d.qvel,
    qacc: d.qacc,
    ctrl: d.ctrl,
    qfrcActuator: d.qfrc_actuator,
    xpos: d.xpos,
    xquat: d.xquat,
    xmat: d.xmat,
    subtreeCom: d.subtree_com,
    cvel: d.cvel,
    cacc: d.cacc,
  };
}

function vec3(): { x: number; y: number; z: number } {
  return { x: 0, y: 0, z: 0 };
}

function at(a: ArrayLike<number>, i: number): number {
  return a[i] ?? 0;
}

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
  #v: Views | null = null;
  #mountDir: string | null = null;
  #handlers: StateHandlers | null = null;
  #frameSkip = 1;
  #lastSimTimeSec = 0;
  #unstable: string | null = null;
  /** Counts of MJ_WARN_BAD_STATE warnings seen so far (mjData's counters only grow until reset). */
  readonly #warnCounts = new Float64Array(MJ_WARN_BAD_STATE.length);
  readonly #onMujocoLine: MujocoPrintListener = (line) => {
    this.#log.warn({ mujoco: line }, 'mujoco warning');
  };

  // Model layout, fixed at configure.
  #rootBody = 0;
  /** body_rootid of the base body: the subtree whose com cvel/cacc are expressed at. */
  #subtreeRootId = 0;
  #nq = 0;
  #nv = 0;
  #nu = 0;
  #jointQposAdr = new Int32Array(0);
  #jointDofAdr = new Int32Array(0);
  /** qpos addresses of quaternions (free and ball joints) to renormalise after reset noise. */
  #quatAdr = new Int32Array(0);
  #cmd = new Float64Array(0);
  #cmdLo = new Float64Array(0);
  #cmdHi = new Float64Array(0);
  #actuatorInterface: CommandInterface[] = [];
  /** For each actuator, the qpos address of its joint (position commands at reset). */
  #actuatorQposAdr = new Int32Array(0);

  // Borrowed messages, allocated at configure.
  #jointState: JointState;
  #imu: Imu;
  #odom: Odometry;
  #jsPos = new Float64Array(0);
  #jsVel = new Float64Array(0);
  #jsEff = new Float64Array(0);

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
    const stamp = (): { sec: number; nanosec: number } => ({ sec: 0, nanosec: 0 });
    this.#jointState = {
      header: { stamp: stamp(), frame_id: '' },
      name: [],
      position: this.#jsPos,
      velocity: this.#jsVel,
      effort: this.#jsEff,
    };
    this.#imu = {
      header: { stamp: stamp(), frame_id: '' },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: new Float64Array(9),
      angular_velocity: vec3(),
      angular_velocity_covariance: new Float64Array(9),
      linear_acceleration: vec3(),
      linear_acceleration_covariance: new Float64Array(9),
    };
    this.#odom = {
      header: { stamp: stamp(), frame_id: 'odom' },
      child_frame_id: '',
      pose: {
        pose: { position: vec3(), orientation: { x: 0, y: 0, z: 0, w: 1 } },
        covariance: new Float64Array(36),
      },
      twist: { twist: { linear: vec3(), angular: vec3() }, covariance: new Float64Array(36) },
    };
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
    this.#data?.delete();
    this.#data = null;
    this.#model?.delete();
    this.#model = null;
    this.#unmount();
    return Promise.resolve();
  }

  /**
   * Push the robot: apply `force` (N) and `torque` (N m), world frame, at the centre of mass of
   * body `bodyName` on every physics step until cleared with a zero wrench or reset() (MuJoCo's
   * xfrc_applied). For disturbance and fault-injection tests (a shove, a kick). Throws
   * StriderError MODEL_MAPPING for a body the model does not have.
   */
  setExternalWrench(bodyName: string, force: readonly [number, number, number], torque: readonly [number, number, number] = [0, 0, 0]): void {
    const { mujoco, model, data } = this.#assertConfigured('setExternalWrench');
    const id = mujoco.mj_name2id(model, MJ_OBJ.body, bodyName);
    if (id < 0) {
      throw new StriderError('MODEL_MAPPING', `setExternalWrench: no body "${bodyName}" in ${this.#opts.modelPath}`);
    }
    const w = [...force, ...torque];
    if (!w.every((x) => Number.isFinite(x))) {
      throw new StriderError('COMMAND_INVALID', `setExternalWrench: non-finite wrench ${w.join(', ')}`);
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
    const offset = cmd.layout.data_offset;
    const n = cmd.data.length - offset;
    if (n !== this.#nu) {
      const names = this.#desc?.actuators.map((a) => a.name).join(', ') ?? '';
      throw new StriderError(
        'COMMAND_INVALID',
        `command has ${n} values, robot "${this.#desc?.name ?? ''}" has ${this.#nu} actuators (${names})`,
        { context: { expected: this.#nu, got: n } },
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
      const lo = at(this.#cmdLo, i);
      const hi = at(this.#cmdHi, i);
      this.#cmd[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }

  /**
   * Reset to the model's initial state (keyframe 0 when the model has keyframes, else qpos0 and
   * zero velocity), then add noise drawn from `seed`: qpos += U(-s, s), qvel += s N(0, 1), with
   * s = resetNoiseScale; quaternions are renormalised. The held command becomes zero effort /
   * zero velocity / the reset joint position. Delivers the new state at once when active.
   * Deterministic: the same seed gives the same state.
   */
  reset(seed: number): void {
    const { mujoco, model, data } = this.#assertConfigured('reset');
    if (model.nkey > 0) mujoco.mj_resetDataKeyframe(model, data, 0);
    else mujoco.mj_resetData(model, data);
    const v = this.#views();
    const s = this.#opts.resetNoiseScale;
    if (s > 0) {
      const rng = new Rng(seed);
      for (let i = 0; i < this.#nq; i++) v.qpos[i] = at(v.qpos, i) + rng.uniform(-s, s);
      for (let i = 0; i < this.#nv; i++) v.qvel[i] = at(v.qvel, i) + s * rng.normal();
      for (const adr of this.#quatAdr) normaliseQuat(v.qpos, adr);
    }
    for (let i = 0; i < this.#nu; i++) {
      let c = 0;
      if (this.#actuatorInterface[i] === 'position') c = at(v.qpos, at(this.#actuatorQposAdr, i));
      const lo = at(this.#cmdLo, i);
      const hi = at(this.#cmdHi, i);
      this.#cmd[i] = c < lo ? lo : c > hi ? hi : c;
    }
    v.ctrl.set(this.#cmd);
    this.#unstable = null;
    mujoco.mj_forward(model, data);
    mujoco.mj_rnePostConstraint(model, data);
    this.#badStateWarning(mujoco);
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
    const problem = this.#badStateWarning(mujoco) ?? this.#nonFinite(v);
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
    const modelPath = path.resolve(this.#opts.modelPath);
    let text: string;
    try {
      if (!statSync(modelPath).isFile()) throw new Error('not a regular file');
      text = readFileSync(modelPath, 'utf8');
    } catch (err) {
      throw new StriderError(
        'MODEL_NOT_FOUND',
        `robot model file "${modelPath}" does not exist or is not a readable file`,
        {
          cause: err,
          context: { modelPath },
        },
      );
    }
    let rootName = '';
    let rootAttrs: Readonly<Record<string, string>> = {};
    try {
      const root = xmlRootElement(text);
      rootName = root.name;
      rootAttrs = root.attrs;
    } catch (err) {
      // Not parseable here: let MuJoCo's parser report it in its own words.
      this.#log.debug({ err }, 'model root element not readable; deferring to MuJoCo');
    }
    const isUrdf =
      rootName === 'robot' || (rootName === '' && modelPath.toLowerCase().endsWith('.urdf'));
    this.#mount(mujoco, path.dirname(modelPath));
    try {
      let name: string;
      let urdf: UrdfInfo | null = null;
      if (isUrdf) {
        urdf = readUrdfInfo(text, modelPath);
        name = urdf.robotName;
        this.#model = this.#loadUrdf(mujoco, modelPath, text, urdf);
      } else {
        name = rootAttrs['model'] ?? path.basename(modelPath, path.extname(modelPath));
        this.#model = this.#compile(mujoco, this.#vfsPath(path.basename(modelPath)), modelPath);
      }
      this.#frameSkip = frameSkipOf(
        this.#opts.controlPeriodSec,
        this.#model.opt.timestep,
        modelPath,
      );
      this.#data = new mujoco.MjData(this.#model);
      const desc = this.#describe(mujoco, this.#model, name, modelPath, urdf);
      this.#desc = desc;
      mujoco.mj_forward(this.#model, this.#data);
      mujoco.mj_rnePostConstraint(this.#model, this.#data);
      this.#state = 'configured';
      this.#log.info(
        {
          model: desc.name,
          modelPath,
          joints: desc.joints.length,
          actuators: desc.actuators.length,
          base: desc.base,
          timestepSec: this.#model.opt.timestep,
          frameSkip: this.#frameSkip,
          mujoco: mujoco.mj_versionString(),
        },
        'mujoco model loaded',
      );
      return desc;
    } catch (err) {
      this.#data?.delete();
      this.#data = null;
      this.#model?.delete();
      this.#model = null;
      this.#unmount();
      throw err;
    }
  }

  /** Copy the model's directory (recursively, bounded) into a fresh MEMFS mount. */
  #mount(mujoco: MujocoModule, hostDir: string): void {
    const fs = mujoco.FS;
    if (!fs.analyzePath('/strider').exists) fs.mkdir('/strider');
    mountCounter += 1;
    const dir = `/strider/model${mountCounter}`;
    fs.mkdir(dir);
    fs.mount(mujoco.MEMFS, {}, dir);
    this.#mountDir = dir;
    const tally = { files: 0, bytes: 0, truncated: false };
    const copy = (host: string, vfs: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(host, { withFileTypes: true });
      } catch (err) {
        this.#log.warn({ err, dir: host }, 'cannot list model directory; skipped');
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const h = path.join(host, e.name);
        const v = `${vfs}/${e.name}`;
        if (e.isDirectory()) {
          if (depth >= MOUNT_MAX_DEPTH) {
            tally.truncated = true;
            continue;
          }
          fs.mkdir(v);
          copy(h, v, depth + 1);
        } else if (e.isFile()) {
          let size: number;
          try {
            size = statSync(h).size;
          } catch (err) {
            this.#log.debug({ err, file: h }, 'cannot stat model file; skipped');
            continue;
          }
          if (tally.files >= MOUNT_MAX_FILES || tally.bytes + size > MOUNT_MAX_BYTES) {
            tally.truncated = true;
            continue;
          }
          try {
            fs.writeFile(v, readFileSync(h));
          } catch (err) {
            this.#log.debug({ err, file: h }, 'cannot read model file; skipped');
            continue;
          }
          tally.files += 1;
          tally.bytes += size;
        }
      }
    };
    copy(hostDir, dir, 0);
    if (tally.truncated) {
      this.#log.warn(
        { dir: hostDir, files: tally.files, bytes: tally.bytes },
        'model directory is large: only part of it was made visible to MuJoCo',
      );
    }
  }

  #unmount(): void {
    const dir = this.#mountDir;
    const mujoco = this.#mujoco;
    this.#mountDir = null;
    if (dir === null || mujoco === null) return;
    try {
      mujoco.FS.unmount(dir);
      mujoco.FS.rmdir(dir);
    } catch (err) {
      this.#log.warn({ err, dir }, 'cannot unmount model files');
    }
  }

  #vfsPath(relative: string): string {
    return `${this.#mountDir ?? ''}/${relative}`;
  }

  /** Compile an XML file in the mounted directory, turning MuJoCo's exceptions into MODEL_LOAD. */
  #compile(mujoco: MujocoModule, vfsFile: string, hostFile: string): MjModelHandle {
    const printed: string[] = [];
    const previous = setMujocoPrintListener((line) => printed.push(line));
    let model: MjModelHandle | null | undefined;
    try {
      model = mujoco.MjModel.loadFromXML(vfsFile);
    } catch (err) {
      // A compiler error escapes MuJoCo's C++ as an exception before the compiler restores the
      // warning callback it installed, which would swallow every later warning (and with them
      // SIM_UNSTABLE detection) in this process. Measured with mujoco-js 0.0.7; reset them.
      mujoco.mj_resetCallbacks();
      throw new StriderError(
        'MODEL_LOAD',
        `MuJoCo cannot load "${hostFile}": ${this.#hostPaths(mujocoErrorText(mujoco, err), hostFile)}`,
        { cause: err, context: { modelPath: hostFile } },
      );
    } finally {
      setMujocoPrintListener(previous);
    }
    if (model === null || model === undefined) {
      throw new StriderError(
        'MODEL_LOAD',
        `MuJoCo cannot load "${hostFile}": ${this.#hostPaths(printed.join(' ').trim() || 'no model returned', hostFile)}`,
        { context: { modelPath: hostFile } },
      );
    }
    for (const line of printed)
      this.#log.warn({ mujoco: line, modelPath: hostFile }, 'mujoco output while loading');
    return model;
  }

  /** Replace the WASM mount directory in MuJoCo's text by the host directory. */
  #hostPaths(text: string, hostFile: string): string {
    const dir = this.#mountDir;
    return dir === null ? text : text.split(dir).join(path.dirname(hostFile));
  }

  #loadUrdf(mujoco: MujocoModule, modelPath: string, text: string, info: UrdfInfo): MjModelHandle {
    const opts = this.#opts.urdf ?? {};
    const floatingBase = opts.floatingBase ?? true;
    const stem = path.basename(modelPath, path.extname(modelPath));
    const preparedFile = this.#vfsPath(`.strider_${stem}.urdf`);
    const translatedFile = this.#vfsPath(`.strider_${stem}.mjcf.xml`);
    const finalFile = this.#vfsPath(`.strider_${stem}.xml`);
    mujoco.FS.writeFile(preparedFile, urdfForMujoco(text));
    const fixed = this.#compile(mujoco, preparedFile, modelPath);
    const ranges = new Map<string, readonly [number, number]>();
    let baseHeightM = opts.baseHeightM;
    try {
      const jntRange = fixed.jnt_range;
      const jntLimited = fixed.jnt_limited;
      for (let j = 0; j < fixed.njnt; j++) {
        if (at(jntLimited, j) !== 0) {
          ranges.set(nameOf(mujoco, fixed, MJ_OBJ.joint, j, ''), [
            at(jntRange, 2 * j),
            at(jntRange, 2 * j + 1),
          ]);
        }
      }
      if (baseHeightM === undefined && floatingBase) {
        baseHeightM = clearFloorHeight(mujoco, fixed, info.rootLink);
      }
      if (mujoco.mj_saveLastXML(translatedFile, fixed) !== 1) {
        throw new StriderError(
          'MODEL_LOAD',
          `MuJoCo could not translate URDF "${modelPath}" to MJCF`,
        );
      }
    } finally {
      fixed.delete();
    }
    const actuators: ActuatorToAdd[] = [];
    for (const rc of info.ros2Control) {
      const jtype = info.jointTypes.get(rc.joint);
      if (jtype === undefined) {
        throw new StriderError(
          'MODEL_LOAD',
          `<ros2_control> in "${modelPath}" names joint "${rc.joint}", which the URDF does not define`,
        );
      }
      if (jtype === 'fixed') continue;
      const kp = Number(rc.params['kp'] ?? rc.params['p'] ?? NaN);
      const kv = Number(rc.params['kv'] ?? rc.params['d'] ?? NaN);
      actuators.push({
        joint: rc.joint,
        commandInterface: rc.commandInterface,
        effortLimit: info.limits.get(rc.joint)?.effort ?? null,
        kp: Number.isFinite(kp) && kp > 0 ? kp : (opts.defaultKp ?? DEFAULT_KP),
        kv: Number.isFinite(kv) && kv > 0 ? kv : (opts.defaultKv ?? DEFAULT_KV),
      });
    }
    const mjcf = mujoco.FS.readFile(translatedFile, { encoding: 'utf8' });
    const edited = augmentMjcf(
      mjcf,
      {
        rootBody: info.rootLink,
        floatingBase,
        ...(baseHeightM === undefined ? {} : { baseHeightM }),
        actuators,
        addFloor: true,
      },
      ranges,
      modelPath,
    );
    mujoco.FS.writeFile(finalFile, edited);
    return this.#compile(mujoco, finalFile, modelPath);
  }

  #describe(
    mujoco: MujocoModule,
    model: MjModelHandle,
    name: string,
    modelPath: string,
    urdf: UrdfInfo | null,
  ): RobotDescription {
    const parent = model.body_parentid;
    const jntnum = model.body_jntnum;
    const jntadr = model.body_jntadr;
    const jtype = model.jnt_type;
    const jaxis = model.jnt_axis;
    if (model.nbody < 2) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `robot model "${modelPath}" has no bodies besides the world`,
      );
    }
    // The base: first child of the world that has joints, else the first child of the world.
    let root = -1;
    for (let b = 1; b < model.nbody && root < 0; b++) {
      if (at(parent, b) === 0 && at(jntnum, b) > 0) root = b;
    }
    if (root < 0) {
      for (let b = 1; b < model.nbody && root < 0; b++) if (at(parent, b) === 0) root = b;
    }
    this.#rootBody = root;
    this.#subtreeRootId = at(model.body_rootid, root);
    const baseJoints = new Set<number>();
    let kind: BaseKind = 'fixed';
    const first = at(jntadr, root);
    const count = at(jntnum, root);
    for (let j = first; j < first + count; j++) {
      if (at(jtype, j) === MJ_JNT.free) {
        kind = 'free';
        baseJoints.add(j);
      }
    }
    if (kind === 'fixed') {
      const axisIs = (j: number, k: number): boolean => Math.abs(at(jaxis, 3 * j + k)) > 0.999;
      let sx = -1;
      let sz = -1;
      let hy = -1;
      for (let j = first; j < first + count; j++) {
        const t = at(jtype, j);
        if (t === MJ_JNT.slide && axisIs(j, 0) && sx < 0) sx = j;
        else if (t === MJ_JNT.slide && axisIs(j, 2) && sz < 0) sz = j;
        else if (t === MJ_JNT.hinge && axisIs(j, 1) && hy < 0) hy = j;
      }
      if (sx >= 0 && sz >= 0 && hy >= 0) {
        kind = 'planar';
        baseJoints.add(sx).add(sz).add(hy);
      }
    }
    const jointName = (j: number): string => nameOf(mujoco, model, MJ_OBJ.joint, j, `joint${j}`);
    const limited = model.jnt_limited;
    const range = model.jnt_range;
    const actLimited = model.jnt_actfrclimited;
    const actRange = model.jnt_actfrcrange;
    const qposadr = model.jnt_qposadr;
    const dofadr = model.jnt_dofadr;
    const jointIndex = new Map<number, number>();
    const quat: number[] = [];
    const jointIds: number[] = [];
    for (let j = 0; j < model.njnt; j++) {
      const t = at(jtype, j);
      if (t === MJ_JNT.free) quat.push(at(qposadr, j) + 3);
      else if (t === MJ_JNT.ball) quat.push(at(qposadr, j));
      if (baseJoints.has(j)) continue;
      if (t !== MJ_JNT.hinge && t !== MJ_JNT.slide) {
        this.#log.warn(
          { joint: jointName(j) },
          'joint is neither hinge nor slide: not reported in JointState',
        );
        continue;
      }
      jointIndex.set(j, jointIds.length);
      jointIds.push(j);
    }
    this.#quatAdr = Int32Array.from(quat);
    // Actuators.
    const nu = model.nu;
    if (nu === 0) {
      throw new StriderError(
        'MODEL_UNSUPPORTED',
        `robot model "${modelPath}" has no actuators${urdf !== null ? ' (add a <ros2_control> block with command interfaces)' : ''}`,
      );
    }
    const trntype = model.actuator_trntype;
    const trnid = model.actuator_trnid;
    const biastype = model.actuator_biastype;
    const biasprm = model.actuator_biasprm;
    const ctrlLimited = model.actuator_ctrllimited;
    const ctrlRange = model.actuator_ctrlrange;
    const forceLimited = model.actuator_forcelimited;
    const forceRange = model.actuator_forcerange;
    const gear = model.actuator_gear;
    const mjcfEffort = new Map<number, number>();
    const actuators: ActuatorInfo[] = [];
    this.#cmdLo = new Float64Array(nu);
    this.#cmdHi = new Float64Array(nu);
    this.#actuatorQposAdr = new Int32Array(nu);
    this.#actuatorInterface = [];
    for (let a = 0; a < nu; a++) {
      const aname = nameOf(mujoco, model, MJ_OBJ.actuator, a, `actuator${a}`);
      const tt = at(trntype, a);
      const j = at(trnid, 2 * a);
      if ((tt !== MJ_TRN.joint && tt !== MJ_TRN.jointInParent) || !jointIndex.has(j)) {
        throw new StriderError(
          'MODEL_UNSUPPORTED',
          `actuator "${aname}" of "${modelPath}" does not drive a hinge or slide joint outside the base; the link drives joint actuators only`,
        );
      }
      // A servo's bias is -kp * q - kv * qdot (MuJoCo <position>/<velocity> shortcuts).
      let iface: CommandInterface = 'effort';
      if (at(biastype, a) === MJ_BIAS.affine) {
        if (at(biasprm, 10 * a + 1) !== 0) iface = 'position';
        else if (at(biasprm, 10 * a + 2) !== 0) iface = 'velocity';
      }
      let lo = -Infinity;
      let hi = Infinity;
      if (at(ctrlLimited, a) !== 0) {
        lo = at(ctrlRange, 2 * a);
        hi = at(ctrlRange, 2 * a + 1);
      } else if (iface === 'position' && at(limited, j) !== 0) {
        lo = at(range, 2 * j);
        hi = at(range, 2 * j + 1);
      }
      const g = Math.abs(at(gear, 6 * a));
      let effort: number | null = null;
      if (at(forceLimited, a) !== 0) {
        effort = Math.max(Math.abs(at(forceRange, 2 * a)), Math.abs(at(forceRange, 2 * a + 1)));
      } else if (iface === 'effort' && Number.isFinite(lo) && Number.isFinite(hi)) {
        effort = Math.max(Math.abs(lo), Math.abs(hi)) * g;
      }
      if (effort !== null) mjcfEffort.set(j, Math.max(effort, mjcfEffort.get(j) ?? 0));
      this.#cmdLo[a] = lo;
      this.#cmdHi[a] = hi;
      this.#actuatorQposAdr[a] = at(qposadr, j);
      this.#actuatorInterface.push(iface);
      actuators.push({
        name: aname,
        joint: jointName(j),
        interface: iface,
        commandLimits: [lo, hi],
      });
    }
    const joints: JointInfo[] = jointIds.map((j) => {
      const jname = jointName(j);
      const urdfLimits = urdf?.limits.get(jname);
      let effortLimit: number | null = urdfLimits?.effort ?? null;
      if (effortLimit === null && at(actLimited, j) !== 0) {
        effortLimit = Math.max(Math.abs(at(actRange, 2 * j)), Math.abs(at(actRange, 2 * j + 1)));
      }
      effortLimit ??= mjcfEffort.get(j) ?? null;
      return {
        name: jname,
        type: at(jtype, j) === MJ_JNT.hinge ? 'hinge' : 'slide',
        positionLimits: at(limited, j) !== 0 ? [at(range, 2 * j), at(range, 2 * j + 1)] : null,
        velocityLimit: urdfLimits?.velocity ?? null,
        effortLimit,
      };
    });
    this.#nq = model.nq;
    this.#nv = model.nv;
    this.#nu = nu;
    this.#jointQposAdr = Int32Array.from(jointIds, (j) => at(qposadr, j));
    this.#jointDofAdr = Int32Array.from(jointIds, (j) => at(dofadr, j));
    this.#cmd = new Float64Array(nu);
    for (let a = 0; a < nu; a++) {
      const lo = at(this.#cmdLo, a);
      const hi = at(this.#cmdHi, a);
      this.#cmd[a] = 0 < lo ? lo : 0 > hi ? hi : 0;
    }
    const nj = jointIds.length;
    this.#jsPos = new Float64Array(nj);
    this.#jsVel = new Float64Array(nj);
    this.#jsEff = new Float64Array(nj);
    this.#jointState.name = joints.map((j) => j.name);
    this.#jointState.position = this.#jsPos;
    this.#jointState.velocity = this.#jsVel;
    this.#jointState.effort = this.#jsEff;
    const bodyName = nameOf(mujoco, model, MJ_OBJ.body, root, `body${root}`);
    this.#imu.header.frame_id = bodyName;
    this.#odom.child_frame_id = bodyName;
    return Object.freeze({
      name,
      modelPath,
      joints: Object.freeze(joints),
      actuators: Object.freeze(actuators),
      base: Object.freeze({ body: bodyName, kind }),
    });
  }

  // ---- per step --------------------------------------------------------------------------

  #views(): Views {
    let v = this.#v;
    if (v === null || v.qpos.length !== this.#nq) {
      if (this.#data === null) throw this.#closedError('step');
      v = views(this.#data);
      this.#v = v;
    }
    return v;
  }

  /**
   * MuJoCo's text for a bad-state warning raised since the last call, or null. Reads mjData's
   * warning counters (four short-lived embind handles, deleted at once): MuJoCo's printed
   * warnings are not reliable, as after a model compile error in the same process this build
   * stops printing them.
   */
  #badStateWarning(mujoco: MujocoModule): string | null {
    const data = this.#data;
    if (data === null) return null;
    // mjData.warning hands out a snapshot: read it fresh each time.
    const w = data.warning;
    let problem: string | null = null;
    for (let k = 0; k < MJ_WARN_BAD_STATE.length; k++) {
      const kind = MJ_WARN_BAD_STATE[k] ?? 0;
      const stat = w.get(kind);
      const count = stat.number;
      const info = stat.lastinfo;
      stat.delete();
      if (count !== this.#warnCounts[k]) {
        if (count > at(this.#warnCounts, k) && problem === null) {
          problem = `MuJoCo warning: ${mujoco.mju_warningText(kind, info)}`;
        }
        this.#warnCounts[k] = count;
      }
    }
    w.delete();
    return problem;
  }

  #nonFinite(v: Views): string | null {
    for (let i = 0; i < this.#nq; i++)
      if (!Number.isFinite(at(v.qpos, i))) return `qpos[${i}] is not finite`;
    for (let i = 0; i < this.#nv; i++) {
      if (!Number.isFinite(at(v.qvel, i))) return `qvel[${i}] is not finite`;
      if (!Number.isFinite(at(v.qacc, i))) return `qacc[${i}] is not finite`;
    }
    return null;
  }

  #deliver(): void {
    const h = this.#handlers;
    const data = this.#data;
    if (h === null || data === null || this.#state !== 'active') return;
    const v = this.#views();
    const t = data.time;
    // JointState
    const js = this.#jointState;
    timeFromSec(t, js.header.stamp);
    for (let i = 0; i < this.#jsPos.length; i++) {
      this.#jsPos[i] = at(v.qpos, at(this.#jointQposAdr, i));
      const dof = at(this.#jointDofAdr, i);
      this.#jsVel[i] = at(v.qvel, dof);
      this.#jsEff[i] = at(v.qfrcActuator, dof);
    }
    // Root body kinematics (world frame), after mj_forward + mj_rnePostConstraint.
    const b = this.#rootBody;
    const px = at(v.xpos, 3 * b);
    const py = at(v.xpos, 3 * b + 1);
    const pz = at(v.xpos, 3 * b + 2);
    // Offset from the subtree com (where cvel/cacc are expressed) to the body origin.
    const rootId = this.#subtreeRootId;
    const ox = px - at(v.subtreeCom, 3 * rootId);
    const oy = py - at(v.subtreeCom, 3 * rootId + 1);
    const oz = pz - at(v.subtreeCom, 3 * rootId + 2);
    const wx = at(v.cvel, 6 * b);
    const wy = at(v.cvel, 6 * b + 1);
    const wz = at(v.cvel, 6 * b + 2);
    // v_origin = v_com + w x (p - c)
    const vx = at(v.cvel, 6 * b + 3) + wy * oz - wz * oy;
    const vy = at(v.cvel, 6 * b + 4) + wz * ox - wx * oz;
    const vz = at(v.cvel, 6 * b + 5) + wx * oy - wy * ox;
    const awx = at(v.cacc, 6 * b);
    const awy = at(v.cacc, 6 * b + 1);
    const awz = at(v.cacc, 6 * b + 2);
    // a_origin = a_com + alpha x (p - c) + w x v_origin (spatial to classical acceleration);
    // cacc includes -gravity at the world, so this is the proper acceleration an IMU measures.
    const ax = at(v.cacc, 6 * b + 3) + awy * oz - awz * oy + (wy * vz - wz * vy);
    const ay = at(v.cacc, 6 * b + 4) + awz * ox - awx * oz + (wz * vx - wx * vz);
    const az = at(v.cacc, 6 * b + 5) + awx * oy - awy * ox + (wx * vy - wy * vx);
    // Body frame = R^T * world, R = xmat row-major (world from body).
    const m = 9 * b;
    const r0 = at(v.xmat, m);
    const r1 = at(v.xmat, m + 1);
    const r2 = at(v.xmat, m + 2);
    const r3 = at(v.xmat, m + 3);
    const r4 = at(v.xmat, m + 4);
    const r5 = at(v.xmat, m + 5);
    const r6 = at(v.xmat, m + 6);
    const r7 = at(v.xmat, m + 7);
    const r8 = at(v.xmat, m + 8);
    const qw = at(v.xquat, 4 * b);
    const qx = at(v.xquat, 4 * b + 1);
    const qy = at(v.xquat, 4 * b + 2);
    const qz = at(v.xquat, 4 * b + 3);
    const bwx = r0 * wx + r3 * wy + r6 * wz;
    const bwy = r1 * wx + r4 * wy + r7 * wz;
    const bwz = r2 * wx + r5 * wy + r8 * wz;
    // Imu
    const imu = this.#imu;
    timeFromSec(t, imu.header.stamp);
    imu.orientation.w = qw;
    imu.orientation.x = qx;
    imu.orientation.y = qy;
    imu.orientation.z = qz;
    imu.angular_velocity.x = bwx;
    imu.angular_velocity.y = bwy;
    imu.angular_velocity.z = bwz;
    imu.linear_acceleration.x = r0 * ax + r3 * ay + r6 * az;
    imu.linear_acceleration.y = r1 * ax + r4 * ay + r7 * az;
    imu.linear_acceleration.z = r2 * ax + r5 * ay + r8 * az;
    // Odometry
    const od = this.#odom;
    timeFromSec(t, od.header.stamp);
    const pose = od.pose.pose;
    pose.position.x = px;
    pose.position.y = py;
    pose.position.z = pz;
    pose.orientation.w = qw;
    pose.orientation.x = qx;
    pose.orientation.y = qy;
    pose.orientation.z = qz;
    const tw = od.twist.twist;
    tw.linear.x = r0 * vx + r3 * vy + r6 * vz;
    tw.linear.y = r1 * vx + r4 * vy + r7 * vz;
    tw.linear.z = r2 * vx + r5 * vy + r8 * vz;
    tw.angular.x = bwx;
    tw.angular.y = bwy;
    tw.angular.z = bwz;
    h.jointState(js);
    h.imu(imu);
    h.odometry(od);
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

/**
 * The name of object `id`, or `fallback` when it has none. This build's mj_id2name turns the NULL
 * it returns for unnamed objects into whatever string lies at address 0, so check the round trip.
 */
function nameOf(
  mujoco: MujocoModule,
  model: MjModelHandle,
  type: number,
  id: number,
  fallback: string,
): string {
  const name = mujoco.mj_id2name(model, type, id);
  return name.length > 0 && mujoco.mj_name2id(model, type, name) === id ? name : fallback;
}

function normaliseQuat(q: Float64Array, adr: number): void {
  const w = at(q, adr);
  const x = at(q, adr + 1);
  const y = at(q, adr + 2);
  const z = at(q, adr + 3);
  const n = Math.sqrt(w * w + x * x + y * y + z * z);
  if (n > 0) {
    q[adr] = w / n;
    q[adr + 1] = x / n;
    q[adr + 2] = y / n;
    q[adr + 3] = z / n;
  } else {
    q[adr] = 1;
    q[adr + 1] = 0;
    q[adr + 2] = 0;
    q[adr + 3] = 0;
  }
}

/**
 * Physics steps per control period. Throws StriderError CONFIG_INVALID naming both numbers when
 * the period is not an integer multiple (>= 1) of the timestep.
 */
export function frameSkipOf(
  controlPeriodSec: number,
  timestepSec: number,
  modelPath: string,
): number {
  const ratio = controlPeriodSec / timestepSec;
  const n = Math.round(ratio);
  if (!(timestepSec > 0) || n < 1 || Math.abs(ratio - n) > FRAME_SKIP_TOL * Math.max(1, n)) {
    throw new StriderError(
      'CONFIG_INVALID',
      `control period ${controlPeriodSec} s is not an integer multiple (>= 1) of the timestep ${timestepSec} s of "${modelPath}" (ratio ${ratio})`,
      { context: { controlPeriodSec, timestepSec, modelPath } },
    );
  }
  return n;
}

/** Root-body z that lifts the lowest non-plane geom bounding sphere BASE_CLEARANCE_M above z = 0. */
function clearFloorHeight(
  mujoco: MujocoModule,
  model: MjModelHandle,
  rootBodyName: string,
): number | undefined {
  let root = -1;
  for (let b = 1; b < model.nbody; b++) {
    if (nameOf(mujoco, model, MJ_OBJ.body, b, '') === rootBodyName) {
      root = b;
      break;
    }
  }
  if (root < 0) return undefined;
  const data = new mujoco.MjData(model);
  try {
    mujoco.mj_forward(model, data);
    const gtype = model.geom_type;
    const rbound = model.geom_rbound;
    const gpos = data.geom_xpos;
    let minZ = Infinity;
    for (let g = 0; g < model.ngeom; g++) {
      if (at(gtype, g) === MJ_GEOM_PLANE) continue;
      minZ = Math.min(minZ, at(gpos, 3 * g + 2) - at(rbound, g));
    }
    if (!Number.isFinite(minZ)) return undefined;
    return at(data.xpos, 3 * root + 2) - minZ + BASE_CLEARANCE_M;
  } finally {
    data.delete();
  }
}
