import * as assert from 'node:assert/strict';
import { ForwardSpeedReward } from '../../../src/planning/rewards.js';
import { planningReward, TiltCost } from '../../../src/planning/TiltCost.js';
import type { BatchReward } from '../../../src/planning/types.js';
import type { ActuatorInfo } from '../../../src/robot/types.js';
import type { StateLayout } from '../../../src/state/types.js';
import { StriderError } from '../../../src/util/StriderError.js';

const ACTUATORS: readonly ActuatorInfo[] = [
  { name: 'm', joint: 'j', interface: 'effort', commandLimits: [-1, 1] },
];

/** The planar runner's base quantities after one joint: q, qd, z, quat (w x y z), v_x. */
const LAYOUT: StateLayout = {
  dim: 8,
  names: [
    'j.pos',
    'j.vel',
    'base.pos.z',
    'base.quat.w',
    'base.quat.x',
    'base.quat.y',
    'base.quat.z',
    'base.linvel.x',
  ],
};

/** A next state pitched by `pitch` rad about world y, moving forward at `vx`. */
function pitched(pitch: number, vx: number): number[] {
  return [0, 0, 0.7, Math.cos(pitch / 2), 0, Math.sin(pitch / 2), 0, vx];
}

/** Scores of rows of next states (zero actions) under `reward`. */
function scores(reward: BatchReward, rows: number[][]): number[] {
  const next = Float32Array.from(rows.flat());
  const out = new Float32Array(rows.length);
  reward.evaluate(
    new Float32Array(next.length),
    new Float32Array(rows.length),
    next,
    rows.length,
    out,
  );
  return Array.from(out);
}

describe('TiltCost (planner.tilt_cost)', () => {
  const task = new ForwardSpeedReward(LAYOUT, ACTUATORS, 0.1);

  it('subtracts the cost from rows tipped past the limit, and from no others', () => {
    const cost = new TiltCost(task, LAYOUT, 5, 0.8);
    const rows = [
      pitched(0, 1),
      pitched(0.7, 1),
      pitched(0.9, 1),
      pitched(Math.PI, 2),
      pitched(-1.2, 0),
    ];
    const plain = scores(task, rows);
    const withCost = scores(cost, rows);
    assert.deepEqual(
      withCost.map((s, i) => Math.round((plain[i]! - s) * 1e5) / 1e5),
      [0, 0, 5, 5, 5],
    );
    // the task's own terms stay: the upright rows score their forward speed
    assert.ok(Math.abs(withCost[0]! - 1) < 1e-6);
  });

  it('judges a predicted quaternion that is not a unit one by its direction, and a NaN one as tipped', () => {
    const cost = new TiltCost(task, LAYOUT, 5, 0.8);
    const scaled = (pitch: number, k: number): number[] => {
      const row = pitched(pitch, 1);
      for (const i of [3, 4, 5, 6]) row[i]! *= k;
      return row;
    };
    const nan = pitched(0, 1);
    nan[5] = Number.NaN;
    const plain = scores(task, [scaled(0.5, 0.6), scaled(0.9, 1.4), nan]);
    const withCost = scores(cost, [scaled(0.5, 0.6), scaled(0.9, 1.4), nan]);
    assert.equal(plain[0]! - withCost[0]!, 0, 'upright at 0.5 rad, |q| = 0.6');
    assert.ok(Math.abs(plain[1]! - withCost[1]! - 5) < 1e-5, 'tipped at 0.9 rad, |q| = 1.4');
    assert.ok(Math.abs(plain[2]! - withCost[2]! - 5) < 1e-5, 'a NaN quaternion counts as tipped');
  });

  it('is the task reward itself when the cost is 0 (off)', () => {
    assert.equal(planningReward(task, LAYOUT, 0, 0.8), task);
    assert.ok(planningReward(task, LAYOUT, 2, 0.8) instanceof TiltCost);
  });

  it('names planner.tilt_cost and the missing quaternion when the state has none', () => {
    const noQuat: StateLayout = { dim: 2, names: ['base.pos.z', 'base.linvel.x'] };
    const speed = new ForwardSpeedReward(noQuat, ACTUATORS, 0.1);
    assert.throws(
      () => new TiltCost(speed, noQuat, 5, 0.8),
      (err: unknown) =>
        err instanceof StriderError &&
        err.code === 'CONFIG_INVALID' &&
        /planner\.tilt_cost/.test(err.message) &&
        /base\.quat/.test(err.message),
    );
  });

  it('passes the previous actions through to a task reward that uses them', () => {
    let seen: Float32Array | undefined;
    const usesPrev: BatchReward = {
      usesPreviousActions: true,
      evaluate(_s, _a, _n, count, out, previousActions) {
        seen = previousActions;
        out.fill(0, 0, count);
      },
    };
    const cost = new TiltCost(usesPrev, LAYOUT, 1, 0.8);
    assert.equal(cost.usesPreviousActions, true);
    const prev = new Float32Array([0.5]);
    const out = new Float32Array(1);
    cost.evaluate(
      new Float32Array(8),
      new Float32Array(1),
      Float32Array.from(pitched(0, 0)),
      1,
      out,
      prev,
    );
    assert.equal(seen, prev);
    assert.equal(new TiltCost(task, LAYOUT, 1, 0.8).usesPreviousActions, undefined);
  });
});
