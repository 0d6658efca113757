/**
 * Does a quadruped stand on its position servos? A measurement for docs/robots.md.
 *
 *   npx tsx scripts/standQuadruped.ts [model] [--kp 30] [--damping 1] [--seconds 10] [--seed 1]
 *       [--noise 0.02] [--height 0.328]
 *   npx tsx scripts/standQuadruped.ts urdf/quadruped_b.xml --sweep
 *
 * Through MujocoLink's public API at 50 Hz: reset (the model's first keyframe, plus reset noise),
 * then every tick command the stance and hold it for `--seconds` of simulated time, and report the
 * base height (min, max, end) against the stance height, the largest tilt, the horizontal drift,
 * the largest joint error and the largest joint effort. A model without a keyframe (the URDF:
 * MuJoCo resets it to legs straight) first stands up: the command moves linearly from the reset
 * pose to the stance over 1 s and is held 1 s more, and the measured window starts after that.
 *
 * The stance is the MJCF `<key>`'s ctrl, or the URDF's ros2_control `<state_interface
 * name="position"><param name="initial_value">` per joint. `--kp` and `--damping` replace every
 * position servo's kp (MJCF `kp="..."`, URDF `<param name="kp">`) and every joint damping
 * (`damping="..."`) in a temporary copy of the model; `--sweep` runs a table of them. Passing:
 * height within 10 % of the stance height and tilt below 0.1 rad over the whole window.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MujocoLink } from '../src/robot/mujoco/MujocoLink.js';
import type { JointState, Odometry } from '../src/msgs/types.js';

const RATE_HZ = 50;
const STAND_UP_S = 1;
const SETTLE_S = 1;

interface Result {
  kp: number | null;
  damping: number | null;
  stanceHeight: number;
  minZ: number;
  maxZ: number;
  endZ: number;
  maxTilt: number;
  drift: number;
  maxJointErr: number;
  maxEffort: number;
  stands: boolean;
}

/** The stance per joint: the MJCF keyframe's ctrl by actuator order, or the URDF's initial values. */
function readStance(text: string, actuatorJoints: readonly string[]): number[] {
  const key = /<key\b[^>]*\bctrl="([^"]*)"/.exec(text);
  if (key?.[1] !== undefined) return key[1].trim().split(/\s+/).map(Number);
  return actuatorJoints.map((joint) => {
    const block = new RegExp(`<joint name="${joint}">([\\s\\S]*?)</joint>`).exec(
      text.slice(text.indexOf('<ros2_control')),
    );
    const init = /<state_interface name="position">\s*<param name="initial_value">([^<]+)</.exec(
      block?.[1] ?? '',
    );
    if (init?.[1] === undefined) throw new Error(`no initial_value for joint ${joint}`);
    return Number(init[1]);
  });
}

/** The keyframe's base height (qpos[2]), if the model has a keyframe. */
function keyHeight(text: string): number | null {
  const key = /<key\b[^>]*\bqpos="([^"]*)"/.exec(text);
  const z = key?.[1]?.trim().split(/\s+/)[2];
  return z === undefined ? null : Number(z);
}

/** The model text with every servo kp and joint damping replaced (null keeps the file's). */
function withGains(text: string, kp: number | null, damping: number | null): string {
  let t = text;
  if (kp !== null) {
    t = t.replace(/(<position\b[^>]*\bkp=")[^"]*"/g, `$1${kp}"`);
    t = t.replace(/<param name="kp">[^<]*</g, `<param name="kp">${kp}<`);
  }
  if (damping !== null) t = t.replace(/\bdamping="[^"]*"/g, `damping="${damping}"`);
  return t;
}

function tiltOf(o: Readonly<Odometry>): number {
  const q = o.pose.pose.orientation;
  // angle between the body z axis and the world z axis
  const c = 1 - 2 * (q.x * q.x + q.y * q.y);
  return Math.acos(Math.max(-1, Math.min(1, c)));
}

async function stand(
  modelFile: string,
  opts: {
    kp: number | null;
    damping: number | null;
    seconds: number;
    seed: number;
    noise: number;
    height: number | null;
  },
): Promise<Result> {
  const text = readFileSync(modelFile, 'utf8');
  const dir = mkdtempSync(path.join(tmpdir(), 'strider-stand-'));
  const file = path.join(dir, path.basename(modelFile));
  writeFileSync(file, withGains(text, opts.kp, opts.damping));
  const link = new MujocoLink({
    modelPath: file,
    controlPeriodSec: 1 / RATE_HZ,
    resetNoiseScale: opts.noise,
  });
  try {
    const desc = await link.configure();
    const jointIndex = new Map(desc.joints.map((j, i) => [j.name, i]));
    const stance = readStance(
      text,
      desc.actuators.map((a) => a.joint),
    );
    const stanceHeight = opts.height ?? keyHeight(text);
    if (stanceHeight === null) throw new Error(`${modelFile} has no keyframe: pass --height`);
    let js: Readonly<JointState> | null = null;
    let odom: Readonly<Odometry> | null = null;
    await link.activate({
      jointState: (m) => (js = m),
      odometry: (m) => (odom = m),
      imu: () => undefined,
    });
    link.reset(opts.seed);
    const cmd = new Float64Array(stance.length);
    const send = (): void => {
      link.sendCommand({ layout: { dim: [], data_offset: 0 }, data: cmd });
    };
    const positionOf = (joint: string): number => js?.position[jointIndex.get(joint) ?? -1] ?? 0;

    if (keyHeight(text) === null) {
      const start = desc.actuators.map((a) => positionOf(a.joint));
      const up = STAND_UP_S * RATE_HZ;
      for (let t = 1; t <= up + SETTLE_S * RATE_HZ; t++) {
        const s = Math.min(1, t / up);
        for (let i = 0; i < cmd.length; i++) {
          cmd[i] = (start[i] ?? 0) + s * ((stance[i] ?? 0) - (start[i] ?? 0));
        }
        send();
        link.step();
      }
    }
    cmd.set(stance);
    const o0 = odom as Odometry | null;
    const x0 = o0?.pose.pose.position.x ?? 0;
    const y0 = o0?.pose.pose.position.y ?? 0;
    const r: Result = {
      kp: opts.kp,
      damping: opts.damping,
      stanceHeight,
      minZ: Infinity,
      maxZ: -Infinity,
      endZ: NaN,
      maxTilt: 0,
      drift: 0,
      maxJointErr: 0,
      maxEffort: 0,
      stands: false,
    };
    for (let t = 0; t < opts.seconds * RATE_HZ; t++) {
      send();
      link.step();
      const o = odom as Odometry | null;
      const j = js as JointState | null;
      if (o === null || j === null) throw new Error('no state delivered');
      const p = o.pose.pose.position;
      r.minZ = Math.min(r.minZ, p.z);
      r.maxZ = Math.max(r.maxZ, p.z);
      r.endZ = p.z;
      r.maxTilt = Math.max(r.maxTilt, tiltOf(o));
      r.drift = Math.max(r.drift, Math.hypot(p.x - x0, p.y - y0));
      desc.actuators.forEach((a, i) => {
        r.maxJointErr = Math.max(r.maxJointErr, Math.abs(positionOf(a.joint) - (stance[i] ?? 0)));
      });
      for (const e of Array.from(j.effort)) r.maxEffort = Math.max(r.maxEffort, Math.abs(e));
    }
    r.stands = r.minZ >= 0.9 * stanceHeight && r.maxZ <= 1.1 * stanceHeight && r.maxTilt < 0.1;
    return r;
  } finally {
    await link.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(r: Result): string {
  const f = (v: number, d = 3): string => v.toFixed(d);
  return (
    `| ${r.kp ?? 'file'} | ${r.damping ?? 'file'} | ${f(r.stanceHeight)} | ${f(r.minZ)} | ` +
    `${f(r.maxZ)} | ${f(r.endZ)} | ${f(r.maxTilt)} | ${f(r.drift)} | ${f(r.maxJointErr)} | ` +
    `${f(r.maxEffort, 1)} | ${r.stands ? 'yes' : 'no'} |`
  );
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kp: { type: 'string' },
      damping: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      noise: { type: 'string', default: '0.02' },
      height: { type: 'string' },
      sweep: { type: 'boolean', default: false },
    },
  });
  const model = path.resolve(positionals[0] ?? 'urdf/quadruped_b.xml');
  const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));
  const base = {
    seconds: Number(values.seconds),
    seed: Number(values.seed),
    noise: Number(values.noise),
    height: num(values.height),
  };
  const gains: [number | null, number | null][] = values.sweep
    ? [
        [10, 1],
        [20, 0.5],
        [30, 1],
        [50, 0.5],
        [50, 1],
        [80, 2],
        [100, 2],
      ]
    : [[num(values.kp), num(values.damping)]];
  out(
    `${path.relative(process.cwd(), model)}: ${base.seconds} s at ${RATE_HZ} Hz, seed ${base.seed}, reset noise ${base.noise}`,
  );
  out(
    '| kp (N m/rad) | damping (N m s/rad) | stance z (m) | min z | max z | end z | max tilt (rad) | drift (m) | max joint err (rad) | max |effort| (N m) | stands |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [kp, damping] of gains) out(row(await stand(model, { ...base, kp, damping })));
}

await main();
