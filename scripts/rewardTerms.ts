/**
 * The legged reward of each stored episode split into its terms, per step: `npx tsx
 * scripts/rewardTerms.ts RUN_DIR CONFIG` for a `strider run` of a legged config with a child
 * trainer (episodes under RUN_DIR/trainer/<robot>/episodes, state names from RUN_DIR/report.json,
 * the task's weights from CONFIG, the run's config file).
 *
 * Columns (means per step over the episode, reward units, penalties negative): the exponential
 * linear and yaw tracking terms, the L1 tracking pull, upright, height, action rate; then the
 * stored reward per step (the terms' sum less the control cost) and the mean |v_xy error| and
 * |yaw-rate error|. Where a policy's return
 * falls short of the expert's, this says which term it loses in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/loadConfig.js';
import { toHeadingFrame } from '../src/dynamics/policy/headingFrame.js';
import { storedEpisodes } from './storedEpisodes.js';

function fail(message: string, code = 1): never {
  process.stderr.write(`rewardTerms: ${message}\n`);
  process.exit(code);
}

const [runDir, configFile] = process.argv.slice(2);
if (runDir === undefined || configFile === undefined) {
  fail('usage: npx tsx scripts/rewardTerms.ts RUN_DIR CONFIG', 2);
}
const { config } = loadConfig(configFile);

let names: string[];
try {
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as {
    state?: { names?: string[] };
  };
  names = report.state?.names ?? fail('report.json has no state.names');
} catch (e) {
  fail(`cannot read ${join(runDir, 'report.json')}: ${(e as Error).message}`);
}
const legged = config.task.legged;
const cmd = config.task.cmd_vel;
const at = (n: string): number => {
  const i = names.indexOf(n);
  if (i < 0) fail(`the state has no ${n}`);
  return i;
};
const [qw, z, vx, wz] = [
  at('base.quat.w'),
  at('base.pos.z'),
  at('base.linvel.x'),
  at('base.angvel.z'),
];
/** One next state's quaternion (0-3) and world velocity (4-6), turned into the heading frame. */
const turned = new Float32Array(7);
const targetZ = legged.base_height_m ?? fail(`${configFile} sets no task.legged.base_height_m`);
// the stored actions are commands (joint targets, rad, with action.space position): the action
// rate is per half-range, which for position targets home +- scale is the scale (one for every
// joint here; a per-joint scale is not read)
const scale = config.control.action.scale;
const half = config.control.action.space === 'position' && typeof scale === 'number' ? scale : 1;

const cols = ['exp_lin', 'exp_yaw', 'l1', 'upright', 'height', 'rate', 'reward', '|e_v|', '|e_w|'];
process.stdout.write(`${['episode', 'source', 'steps', ...cols].join('\t')}\n`);
for (const { batch: b } of storedEpisodes(runDir)) {
  const S = b.stateDim;
  const A = b.actionDim;
  const sum = new Float64Array(cols.length);
  for (let t = 0; t < b.count; t++) {
    const o = t * S;
    const n = b.nextStates;
    const [w, x, y, qz] = [n[o + qw]!, n[o + qw + 1]!, n[o + qw + 2]!, n[o + qw + 3]!];
    // the velocity along and across the heading, as CmdVelReward tracks it
    turned.set(n.subarray(o + vx, o + vx + 3), 4);
    turned.set(n.subarray(o + qw, o + qw + 4), 0);
    toHeadingFrame({ quatW: 0, linvelX: 4 }, turned);
    const e2 = (turned[4]! - cmd.linear_x) ** 2 + (turned[5]! - cmd.linear_y) ** 2;
    const ew = n[o + wz]! - cmd.angular_z;
    const n2 = w * w + x * x + y * y + qz * qz;
    const up = 1 - (2 * (x * x + y * y)) / n2;
    let rate = 0;
    if (t > 0) {
      for (let j = 0; j < A; j++) {
        rate += ((b.actions[t * A + j]! - b.actions[(t - 1) * A + j]!) / half) ** 2;
      }
    }
    const terms = [
      Math.exp(-e2 / 0.25),
      0.5 * Math.exp(-(ew * ew) / 0.25),
      -legged.tracking_l1 * (Math.sqrt(e2) + 0.5 * Math.abs(ew)),
      -legged.upright * (1 - up * up),
      -legged.height * (n[o + z]! - targetZ) ** 2,
      -legged.action_rate * rate,
      b.rewards[t]!,
      Math.sqrt(e2),
      Math.abs(ew),
    ];
    for (let k = 0; k < cols.length; k++) sum[k]! += terms[k]!;
  }
  const row = Array.from(sum, (v) => (v / b.count).toFixed(3));
  process.stdout.write(`${[b.episode, b.source, b.count, ...row].join('\t')}\n`);
}
