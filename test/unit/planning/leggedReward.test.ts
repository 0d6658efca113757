import * as assert from 'node:assert/strict';
import { configSchema, type TaskConfig } from '../../../src/config/schema.js';
import { createReward } from '../../../src/planning/createReward.js';
import { LeggedReward } from '../../../src/planning/leggedReward.js';
import { CmdVelReward } from '../../../src/planning/rewards.js';
import type { ActuatorInfo } from '../../../src/robot/types.js';
import type { StateLayout } from '../../../src/state/types.js';

const ACTUATORS: readonly ActuatorInfo[] = [
  { name: 'm', joint: 'j', interface: 'position', commandLimits: [-1, 1] },
];
const LAYOUT: StateLayout = {
  dim: 8,
  names: [
    'base.pos.z',
    'base.quat.w',
    'base.quat.x',
    'base.quat.y',
    'base.quat.z',
    'base.linvel.x',
    'base.linvel.y',
    'base.angvel.z',
  ],
};
const CONTEXT = { maxTiltRad: 0.8, minHeightFraction: 0.5, stanceBaseHeightM: 0.3 };

function task(legged: Record<string, number> = {}): TaskConfig {
  return configSchema.shape.task.parse({
    reward: 'legged',
    ctrl_cost_weight: 0,
    cmd_vel: { linear_x: 0 },
    legged,
  });
}

/** A standing-still state at height z, pitched by `pitch` rad. */
function state(z: number, pitch = 0): number[] {
  return [z, Math.cos(pitch / 2), 0, Math.sin(pitch / 2), 0, 0, 0, 0];
}

/** Rewards of rows `next` (1 action each), with optional previous actions. */
function rewards(r: LeggedReward, next: number[][], actions: number[], prev?: number[]): number[] {
  const out = new Float32Array(next.length);
  r.evaluate(
    new Float32Array(next.length * 8),
    Float32Array.from(actions),
    Float32Array.from(next.flat()),
    next.length,
    out,
    prev === undefined ? undefined : Float32Array.from(prev),
  );
  return Array.from(out);
}

describe('planning/LeggedReward', () => {
  it('is cmd_vel tracking (1.5 standing still on a zero command) at the stance height, upright', () => {
    const r = new LeggedReward(LAYOUT, ACTUATORS, task(), CONTEXT);
    assert.ok(r instanceof CmdVelReward, 'cmd_vel targets (ROS 2 TaskTargets) reach it');
    const [v] = rewards(r, [state(0.3)], [0]);
    assert.ok(Math.abs(v! - 1.5) < 1e-6, String(v));
  });

  it('penalises tilt (sin^2) and height error ((z - z*)^2), with their weights', () => {
    const r = new LeggedReward(
      LAYOUT,
      ACTUATORS,
      task({ upright: 2, height: 10, fall: 0 }),
      CONTEXT,
    );
    const [tilted, low] = rewards(r, [state(0.3, 0.3), state(0.25)], [0, 0]);
    assert.ok(Math.abs(1.5 - tilted! - 2 * Math.sin(0.3) ** 2) < 1e-4, String(tilted));
    assert.ok(Math.abs(1.5 - low! - 10 * 0.05 ** 2) < 1e-4, String(low));
  });

  it('penalises a predicted fall: tilt past the limit or below the height fraction', () => {
    const r = new LeggedReward(
      LAYOUT,
      ACTUATORS,
      task({ upright: 0, height: 0, fall: 5 }),
      CONTEXT,
    );
    const [ok, tipped, sunk] = rewards(
      r,
      [state(0.3, 0.7), state(0.3, 0.9), state(0.14)],
      [0, 0, 0],
    );
    assert.ok(Math.abs(ok! - 1.5) < 1e-6);
    assert.ok(Math.abs(tipped! - (1.5 - 5)) < 1e-6);
    assert.ok(Math.abs(sunk! - (1.5 - 5)) < 1e-6);
  });

  it('penalises the action rate, normalised by the half-width, only where previous actions are given', () => {
    const r = new LeggedReward(LAYOUT, ACTUATORS, task({ action_rate: 0.5 }), CONTEXT);
    assert.equal(r.usesPreviousActions, true);
    const [withPrev] = rewards(r, [state(0.3)], [0.4], [-0.6]);
    assert.ok(Math.abs(withPrev! - (1.5 - 0.5 * 1)) < 1e-5, String(withPrev));
    const [without] = rewards(r, [state(0.3)], [0.4]);
    assert.ok(Math.abs(without! - 1.5) < 1e-6);
  });

  it('tracking_l1 penalises the tracking error linearly, where the exponentials are flat', () => {
    const flat = new LeggedReward(LAYOUT, ACTUATORS, task({ fall: 0 }), CONTEXT);
    const l1 = new LeggedReward(LAYOUT, ACTUATORS, task({ tracking_l1: 2, fall: 0 }), CONTEXT);
    // creeping at 0.03 m/s sideways and turning at 0.04 rad/s on a zero command
    const creep = [0.3, 1, 0, 0, 0, 0, 0.03, 0.04];
    const [still0, creep0] = rewards(flat, [state(0.3), creep], [0, 0]);
    const [still1, creep1] = rewards(l1, [state(0.3), creep], [0, 0]);
    assert.ok(still0! - creep0! < 0.01, `without it creeping costs ${still0! - creep0!}`);
    assert.ok(Math.abs(still1! - still0!) < 1e-6, 'no penalty on target');
    const expected = creep0! - 2 * (0.03 + 0.5 * 0.04);
    assert.ok(Math.abs(creep1! - expected) < 1e-5, `${creep1} vs ${expected}`);
  });

  it('ang_vel_xy and lin_vel_z penalise roll/pitch rates and vertical velocity, from the state', () => {
    const full: StateLayout = {
      dim: 11,
      names: [
        ...LAYOUT.names.slice(0, 5),
        'base.linvel.x',
        'base.linvel.y',
        'base.linvel.z',
        'base.angvel.x',
        'base.angvel.y',
        'base.angvel.z',
      ],
    };
    const evaluate = (legged: Record<string, number>, layout: StateLayout, next: number[]) => {
      const r = new LeggedReward(layout, ACTUATORS, task({ fall: 0, ...legged }), CONTEXT);
      const out = new Float32Array(1);
      r.evaluate(
        new Float32Array(layout.dim),
        new Float32Array(1),
        Float32Array.from(next),
        1,
        out,
      );
      return out[0]!;
    };
    // standing at the stance height, rocking: vz 0.2 m/s, roll rate 1, pitch rate 2, yaw rate 0
    const rocking = [0.3, 1, 0, 0, 0, 0, 0, 0.2, 1, 2, 0];
    const base = evaluate({}, full, rocking);
    assert.ok(Math.abs(base - 1.5) < 1e-5, `off by default: ${base}`);
    const ang = evaluate({ ang_vel_xy: 0.1 }, full, rocking);
    assert.ok(Math.abs(ang - (1.5 - 0.1 * (1 + 4))) < 1e-5, String(ang));
    const vz = evaluate({ lin_vel_z: 2 }, full, rocking);
    assert.ok(Math.abs(vz - (1.5 - 2 * 0.04)) < 1e-5, String(vz));
    // the yaw rate is tracking's, not this term's
    const yawing = [...rocking.slice(0, 7), 0, 0, 0, 0.3];
    const yaw0 = evaluate({}, full, yawing);
    assert.equal(evaluate({ ang_vel_xy: 0.1 }, full, yawing), yaw0);
    // a state without angvel/linvel.z leaves the terms out
    assert.ok(Math.abs(evaluate({ ang_vel_xy: 1, lin_vel_z: 1 }, LAYOUT, state(0.3)) - 1.5) < 1e-6);
  });

  it('task.legged.base_height_m overrides the stance height; no height known leaves the term out', () => {
    const set = createReward(
      task({ base_height_m: 0.4, fall: 0 }),
      LAYOUT,
      ACTUATORS,
      undefined,
      CONTEXT,
    );
    const none = createReward(task({ fall: 0 }), LAYOUT, ACTUATORS, undefined, {
      ...CONTEXT,
      stanceBaseHeightM: null,
    });
    const out = new Float32Array(1);
    set.evaluate(new Float32Array(8), new Float32Array(1), Float32Array.from(state(0.3)), 1, out);
    assert.ok(Math.abs(out[0]! - (1.5 - 20 * 0.01)) < 1e-5, String(out[0]));
    none.evaluate(new Float32Array(8), new Float32Array(1), Float32Array.from(state(0.1)), 1, out);
    assert.ok(Math.abs(out[0]! - 1.5) < 1e-6);
  });
});

describe('planning/TsInfRollout: previous actions for action-rate rewards', () => {
  it('passes each step the actions of the step before (none at the first step)', async () => {
    const { TsInfRollout } = await import('../../../src/planning/TsInfRollout.js');
    const { LinearStepper } = await import('./fixtures.js');
    const seen: (number[] | null)[] = [];
    const reward = {
      usesPreviousActions: true,
      evaluate(
        _s: Float32Array,
        _a: Float32Array,
        _n: Float32Array,
        count: number,
        out: Float32Array,
        prev?: Float32Array,
      ) {
        seen.push(prev === undefined ? null : Array.from(prev));
        out.fill(0, 0, count);
      },
    };
    const stepper = new LinearStepper({ stateDim: 1, actionDim: 1, ensembleSize: 1 });
    const rollout = new TsInfRollout(stepper, reward, {
      horizon: 3,
      population: 2,
      particles: 1,
      discount: 1,
    });
    // K=2 sequences of H=3 actions: [1, 2, 3] and [10, 20, 30]
    await rollout.evaluate([0], Float32Array.of(1, 2, 3, 10, 20, 30), new Float64Array(2));
    assert.deepEqual(seen, [null, [1, 10], [2, 20]]);
  });
});
