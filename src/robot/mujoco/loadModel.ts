/**
 * The MuJoCo link's model loader: reads an MJCF or URDF file, copies its directory into the WASM
 * file system ({@link ModelMount}) and compiles it, turning a URDF into a drivable model on the
 * way (floating base, ros2_control actuators, floor; see urdfToMjcf.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { StriderError } from '../../util/StriderError.js';
import type { Logger } from '../../util/logger.js';
import {
  commandedRos2ControlJoints,
  readUrdfInfo,
  xmlRootElement,
  type UrdfInfo,
} from '../urdf/index.js';
import { setMujocoPrintListener } from './loadMujoco.js';
import { at, nameOf } from './mjAccess.js';
import { ModelMount } from './ModelMount.js';
import { mujocoErrorText } from './mujocoError.js';
import { MJ_GEOM_PLANE, MJ_OBJ, type MjModelHandle, type MujocoModule } from './mujocoTypes.js';
import { augmentMjcf, urdfForMujoco, type ActuatorToAdd } from './urdfToMjcf.js';

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
  /**
   * Turn every effort ros2_control joint into a PD position servo with these gains (kp N m/rad,
   * kv N m s/rad; config control.action.pd). Default: effort joints stay motors.
   */
  readonly positionGains?: { readonly kp: number; readonly kv: number };
}

/** A compiled model and the mount its files live in; the caller owns both (delete, unmount). */
export interface LoadedModel {
  readonly model: MjModelHandle;
  readonly mount: ModelMount;
  /** The URDF's robot name, the MJCF's `model` attribute, else the file's stem. */
  readonly name: string;
  /** The model file, absolute. */
  readonly modelPath: string;
  /** What the URDF says beyond MuJoCo's import; null for an MJCF. */
  readonly urdf: UrdfInfo | null;
}

/** Tolerance on controlPeriodSec / timestep being an integer, relative. */
const FRAME_SKIP_TOL = 1e-6;
const DEFAULT_KP = 50;
const DEFAULT_KV = 5;
/** Clearance of the lowest bounding sphere above the floor when placing a floating URDF base, m. */
const BASE_CLEARANCE_M = 0.005;

/**
 * Load `modelPath` (made absolute against the cwd): a URDF when its root element is `<robot>` (or
 * it cannot be read and the name ends in .urdf), else MJCF. Synchronous once the WASM module is
 * loaded. Throws StriderError MODEL_NOT_FOUND (no such file), MODEL_LOAD (MuJoCo's parser or
 * compiler message with host paths, or a URDF problem); on failure nothing stays mounted.
 */
export function loadModel(
  mujoco: MujocoModule,
  modelPathIn: string,
  urdfOptions: UrdfImportOptions,
  log: Logger,
): LoadedModel {
  const modelPath = path.resolve(modelPathIn);
  let text: string;
  try {
    if (!statSync(modelPath).isFile()) throw new Error('not a regular file');
    text = readFileSync(modelPath, 'utf8');
  } catch (err) {
    throw new StriderError(
      'MODEL_NOT_FOUND',
      `robot model file "${modelPath}" does not exist or is not a readable file`,
      { cause: err, context: { modelPath } },
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
    log.debug({ err }, 'model root element not readable; deferring to MuJoCo');
  }
  const isUrdf =
    rootName === 'robot' || (rootName === '' && modelPath.toLowerCase().endsWith('.urdf'));
  const mount = new ModelMount(mujoco, path.dirname(modelPath), log);
  try {
    if (isUrdf) {
      const urdf = readUrdfInfo(text, modelPath);
      const model = loadUrdf(mujoco, mount, modelPath, text, urdf, urdfOptions, log);
      return { model, mount, name: urdf.robotName, modelPath, urdf };
    }
    const name = rootAttrs['model'] ?? path.basename(modelPath, path.extname(modelPath));
    const model = compile(mujoco, mount, mount.vfsPath(path.basename(modelPath)), modelPath, log);
    return { model, mount, name, modelPath, urdf: null };
  } catch (err) {
    mount.unmount();
    throw err;
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

/** Compile an XML file in the mount, turning MuJoCo's exceptions into MODEL_LOAD. */
function compile(
  mujoco: MujocoModule,
  mount: ModelMount,
  vfsFile: string,
  hostFile: string,
  log: Logger,
): MjModelHandle {
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
      `MuJoCo cannot load "${hostFile}": ${mount.hostPaths(mujocoErrorText(mujoco, err))}`,
      { cause: err, context: { modelPath: hostFile } },
    );
  } finally {
    setMujocoPrintListener(previous);
  }
  if (model === null || model === undefined) {
    throw new StriderError(
      'MODEL_LOAD',
      `MuJoCo cannot load "${hostFile}": ${mount.hostPaths(printed.join(' ').trim() || 'no model returned')}`,
      { context: { modelPath: hostFile } },
    );
  }
  for (const line of printed)
    log.warn({ mujoco: line, modelPath: hostFile }, 'mujoco output while loading');
  return model;
}

/**
 * The URDF import: MuJoCo compiles the URDF (root link kept as a body), saves its MJCF
 * translation, which gets a free joint, the base height, one actuator per commanded ros2_control
 * joint and a floor (augmentMjcf), and is compiled again.
 */
function loadUrdf(
  mujoco: MujocoModule,
  mount: ModelMount,
  modelPath: string,
  text: string,
  info: UrdfInfo,
  opts: UrdfImportOptions,
  log: Logger,
): MjModelHandle {
  const floatingBase = opts.floatingBase ?? true;
  const stem = path.basename(modelPath, path.extname(modelPath));
  const preparedFile = mount.vfsPath(`.strider_${stem}.urdf`);
  const translatedFile = mount.vfsPath(`.strider_${stem}.mjcf.xml`);
  const finalFile = mount.vfsPath(`.strider_${stem}.xml`);
  mujoco.FS.writeFile(preparedFile, urdfForMujoco(text));
  const fixed = compile(mujoco, mount, preparedFile, modelPath, log);
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
  const actuators: ActuatorToAdd[] = commandedRos2ControlJoints(info, modelPath).map((rc) => {
    const kp = Number(rc.params['kp'] ?? rc.params['p'] ?? NaN);
    const kv = Number(rc.params['kv'] ?? rc.params['d'] ?? NaN);
    const pd = rc.commandInterface === 'effort' ? opts.positionGains : undefined;
    if (pd !== undefined) {
      const effortLimit = info.limits.get(rc.joint)?.effort ?? null;
      return {
        joint: rc.joint,
        commandInterface: 'position',
        effortLimit,
        kp: pd.kp,
        kv: 0,
        positionKv: pd.kv,
      };
    }
    return {
      joint: rc.joint,
      commandInterface: rc.commandInterface,
      effortLimit: info.limits.get(rc.joint)?.effort ?? null,
      kp: Number.isFinite(kp) && kp > 0 ? kp : (opts.defaultKp ?? DEFAULT_KP),
      kv: Number.isFinite(kv) && kv > 0 ? kv : (opts.defaultKv ?? DEFAULT_KV),
    };
  });
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
  return compile(mujoco, mount, finalFile, modelPath, log);
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
