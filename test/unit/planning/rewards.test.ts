import * as assert from 'node:assert/strict';
import { configSchema, type TaskConfig } from '../../../src/config/schema.js';
import { CmdVelReward } from '../../../src/planning/rewards.js';
import type { ActuatorInfo } from '../../../src/robot/types.js';
import type { StateLayout } from '../../../src/state/types.js';

const ACTUATORS: readonly ActuatorInfo[] = [
  { name: 'm', joint: 'j', interface: 'effort', commandLimits: [-1, 1] },
];

const WITH_QUAT: StateLayout = {
  dim: 10,
  names: [
    'base.quat.w',
    'base.quat.x',
    'base.quat.y',
    'base.quat.z',
    'base.linvel.x',
    'base.linvel.y',
    'base.linvel.z',
    'base.angvel.x',
    'base.angvel.y',
    'base.angvel.z',
  ],
};

const WITHOUT_QUAT: StateLayout = { dim: 6, names: WITH_QUAT.names.slice(4) };

function task(cmdVel: { linear_x: number; linear_y?: number; angular_z?: number }): TaskConfig {
  return configSchema.shape.task.parse({ reward: 'cmd_vel', ctrl_cost_weight: 0, cmd_vel: cmdVel });
}

/** One next-state row: yaw about world z (rad), world-frame velocity (m/s), yaw rate (rad/s). */
function row(
  yaw: number,
  vx: number,
  vy: number,
  wz = 0,
  layout: StateLayout = WITH_QUAT,
): Float32Array {
  const quat = [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
  const rest = [vx, vy, 0, 0, 0, wz];
  return Float32Array.from(layout === WITH_QUAT ? [...quat, ...rest] : rest);
}

/** The reward of a single transition into `next` (zero action). */
function rewardOf(reward: CmdVelReward, next: Float32Array): number {
  const out = new Float32Array(1);
  reward.evaluate(new Float32Array(next.length), new Float32Array(1), next, 1, out);
  return out[0]!;
}

const FULL = 1.5; // linear term 1 + yaw-rate term 0.5, zero control cost

describe('planning/CmdVelReward', () => {
  it('starts from task.cmd_vel', () => {
    const reward = new CmdVelReward(
      WITH_QUAT,
      ACTUATORS,
      task({ linear_x: 0.3, linear_y: -0.1, angular_z: 0.2 }),
    );
    assert.deepEqual(reward.target, { linearX: 0.3, linearY: -0.1, angularZ: 0.2 });
  });

  it('compares the target with the heading-frame velocity: facing +y, moving +y is forward', () => {
    const reward = new CmdVelReward(WITH_QUAT, ACTUATORS, task({ linear_x: 0.5 }));
    assert.ok(Math.abs(rewardOf(reward, row(Math.PI / 2, 0, 0.5)) - FULL) < 1e-5);
    // The same world velocity facing +x is sideways: the linear term is exp(-(0.25 + 0.25) / 0.25).
    const sideways = rewardOf(reward, row(0, 0, 0.5));
    assert.ok(Math.abs(sideways - (Math.exp(-2) + 0.5)) < 1e-5, `got ${String(sideways)}`);
  });

  it('turns by -yaw, not +yaw: facing +y, world -x is heading-frame +y (left)', () => {
    const reward = new CmdVelReward(WITH_QUAT, ACTUATORS, task({ linear_x: 0, linear_y: 0.5 }));
    assert.ok(Math.abs(rewardOf(reward, row(Math.PI / 2, -0.5, 0)) - FULL) < 1e-5);
    // The wrong rotation would see world +x as left.
    assert.ok(rewardOf(reward, row(Math.PI / 2, 0.5, 0)) < 0.6);
  });

  it('handles any heading and a quaternion that is not quite unit length', () => {
    const reward = new CmdVelReward(WITH_QUAT, ACTUATORS, task({ linear_x: 0.4, linear_y: 0.2 }));
    const yaw = -2.5;
    // Heading frame (0.4, 0.2) turned by +yaw into the world frame.
    const vx = Math.cos(yaw) * 0.4 - Math.sin(yaw) * 0.2;
    const vy = Math.sin(yaw) * 0.4 + Math.cos(yaw) * 0.2;
    const next = row(yaw, vx, vy);
    for (let i = 0; i < 4; i++) next[i] = next[i]! * 1.1;
    assert.ok(Math.abs(rewardOf(reward, next) - FULL) < 1e-5);
  });

  it('compares in the world frame without a quaternion in the state', () => {
    const reward = new CmdVelReward(WITHOUT_QUAT, ACTUATORS, task({ linear_x: 0.5 }));
    assert.ok(Math.abs(rewardOf(reward, row(0, 0.5, 0, 0, WITHOUT_QUAT)) - FULL) < 1e-5);
    assert.ok(rewardOf(reward, row(0, 0, 0.5, 0, WITHOUT_QUAT)) < 0.7);
  });

  it('falls back to the world frame for a heading-less (pitched straight up) or zero quaternion', () => {
    const reward = new CmdVelReward(WITH_QUAT, ACTUATORS, task({ linear_x: 0.5 }));
    const next = row(0, 0.5, 0);
    next.set([Math.SQRT1_2, 0, Math.SQRT1_2, 0], 0); // 90 degrees pitch: no yaw
    assert.ok(Math.abs(rewardOf(reward, next) - FULL) < 1e-5);
    next.set([0, 0, 0, 0], 0);
    assert.ok(Math.abs(rewardOf(reward, next) - FULL) < 1e-5);
  });

  it('reads the target in place on every evaluate, row by row, and tracks the yaw rate', () => {
    const reward = new CmdVelReward(WITH_QUAT, ACTUATORS, task({ linear_x: 0.5 }));
    const next = new Float32Array(20);
    next.set(row(Math.PI / 2, 0, 0.5, 0.3), 0);
    next.set(row(Math.PI, -0.5, 0, 0.3), 10);
    const out = new Float32Array(2);
    reward.evaluate(new Float32Array(20), new Float32Array(2), next, 2, out);
    const yawTerm = 0.5 * Math.exp(-(0.3 * 0.3) / 0.25);
    assert.ok(Math.abs(out[0]! - (1 + yawTerm)) < 1e-5);
    assert.ok(Math.abs(out[1]! - (1 + yawTerm)) < 1e-5);
    reward.target.angularZ = 0.3;
    reward.evaluate(new Float32Array(20), new Float32Array(2), next, 2, out);
    assert.ok(Math.abs(out[0]! - FULL) < 1e-5);
    assert.ok(Math.abs(out[1]! - FULL) < 1e-5);
  });

  it('subtracts the control cost of the normalised action', () => {
    const cfg = configSchema.shape.task.parse({
      reward: 'cmd_vel',
      ctrl_cost_weight: 0.2,
      cmd_vel: { linear_x: 0.5 },
    });
    const reward = new CmdVelReward(WITH_QUAT, [{ ...ACTUATORS[0]!, commandLimits: [-2, 2] }], cfg);
    const out = new Float32Array(1);
    reward.evaluate(new Float32Array(10), Float32Array.of(1), row(0, 0.5, 0), 1, out);
    assert.ok(Math.abs(out[0]! - (FULL - 0.2 * 0.25)) < 1e-5);
  });
});
