import * as assert from 'node:assert/strict';
import { loadConfig } from '../../../../src/config/loadConfig.js';
import type { BaseQuantity } from '../../../../src/config/schema.js';
import {
  headingFrameFromBase,
  headingFrameOf,
  toHeadingFrame,
  type HeadingFrame,
} from '../../../../src/dynamics/policy/headingFrame.js';
import { OnnxPolicyNet } from '../../../../src/dynamics/policy/OnnxPolicyNet.js';
import { PolicyGate } from '../../../../src/learning/PolicyGate.js';
import type { RobotDescription } from '../../../../src/robot/types.js';
import { StateAssembler } from '../../../../src/state/StateAssembler.js';
import { PolicyTrainer } from '../../../../src/trainer/PolicyTrainer.js';
import { encodeManifestPayload, splitManifestPayload } from '../../../../src/transport/binary.js';
import {
  decodePolicyArtifact,
  encodePolicyArtifact,
} from '../../../../src/transport/PolicyArtifactCodec.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { Rng } from '../../../../src/util/rng.js';

/** (w, x, y, z) of the ZYX rotation yaw, pitch, roll. */
function quat(yaw: number, pitch: number, roll: number): number[] {
  const [cy, sy] = [Math.cos(yaw / 2), Math.sin(yaw / 2)];
  const [cp, sp] = [Math.cos(pitch / 2), Math.sin(pitch / 2)];
  const [cr, sr] = [Math.cos(roll / 2), Math.sin(roll / 2)];
  return [
    cr * cp * cy + sr * sp * sy,
    sr * cp * cy - cr * sp * sy,
    cr * sp * cy + sr * cp * sy,
    cr * cp * sy - sr * sp * cy,
  ];
}

/**
 * A 2-joint robot's state (pos, pos, vel, vel, pos_z, quat, linvel, angvel) facing `yaw`, moving
 * at (u, v) along and across its heading; everything but the yaw is the same for every yaw.
 */
const FRAME: HeadingFrame = { quatW: 5, linvelX: 9 };
function state(yaw: number, u = 0.4, v = -0.1): Float32Array {
  const [c, s] = [Math.cos(yaw), Math.sin(yaw)];
  return Float32Array.of(
    0.3,
    -0.7,
    1.5,
    -2,
    0.31,
    ...quat(yaw, 0.12, -0.07),
    c * u - s * v,
    s * u + c * v,
    0.02,
    0.1,
    -0.2,
    0.3,
  );
}

function description(joints: number): RobotDescription {
  return {
    name: 'test',
    modelPath: '/dev/null',
    joints: Array.from({ length: joints }, (_, i) => ({
      name: `j${i}`,
      type: 'hinge' as const,
      positionLimits: null,
      velocityLimit: null,
      effortLimit: null,
    })),
    actuators: [],
    base: { body: 'base', kind: 'free' },
  };
}

/** A policy fitted on the states of `yaws` (labels that depend on the heading-free state). */
async function fitted(frame: HeadingFrame | null, yaws: number[]): Promise<OnnxPolicyNet> {
  const t = new PolicyTrainer({
    stateDim: 15,
    actionLow: Float32Array.of(-1, -1),
    actionHigh: Float32Array.of(1, 1),
    hiddenSizes: [16, 16],
    headingFrame: frame,
    fit: { learningRate: 5e-3, epochs: 20, batchSize: 32, seed: 3 },
    maxLabels: 1000,
  });
  const rng = new Rng(5);
  for (let i = 0; i < 300; i++) {
    const u = 0.8 * rng.next() - 0.4;
    const s = state(yaws[i % yaws.length]!, u, 0.1);
    t.add(s, Float32Array.of(u, -u), 'expert');
  }
  const snap = (await t.train(1))!;
  await t.close();
  return OnnxPolicyNet.create(snap, { maxBatch: 8 });
}

describe('the policy in the heading frame (policy.frame heading)', () => {
  it('turns a state facing any yaw into the same row: yaw-free quaternion (w >= 0), velocity along the heading', () => {
    const reference = state(0);
    for (const yaw of [0.4, -1.3, 2.9, -3.1]) {
      for (const sign of [1, -1]) {
        const row = state(yaw);
        // q and -q are one rotation
        for (let k = 5; k < 9; k++) row[k] = sign * row[k]!;
        toHeadingFrame(FRAME, row);
        for (let k = 0; k < row.length; k++) {
          assert.ok(
            Math.abs(row[k]! - reference[k]!) < 1e-5,
            `yaw ${yaw}, sign ${sign}: [${k}] ${row[k]} vs ${reference[k]}`,
          );
        }
      }
    }
    const row = state(0, 0.4, -0.1);
    toHeadingFrame(FRAME, row);
    assert.ok(Math.abs(row[9]! - 0.4) < 1e-6 && Math.abs(row[10]! + 0.1) < 1e-6);
    assert.ok(row[5]! > 0);
  });

  it('is idempotent, leaves the velocity alone without linvel, and works at an offset', () => {
    const once = state(1.1);
    toHeadingFrame(FRAME, once);
    const twice = once.slice();
    toHeadingFrame(FRAME, twice);
    for (let k = 0; k < once.length; k++) assert.ok(Math.abs(once[k]! - twice[k]!) < 1e-6);

    const noVel = state(1.1);
    toHeadingFrame({ quatW: 5, linvelX: null }, noVel);
    assert.deepEqual(Array.from(noVel.subarray(9)), Array.from(state(1.1).subarray(9)));

    const two = new Float32Array(30);
    two.set(state(0.2), 0);
    two.set(state(-2), 15);
    toHeadingFrame(FRAME, two, 15);
    assert.deepEqual(Array.from(two.subarray(0, 15)), Array.from(state(0.2)));
    for (let k = 0; k < 15; k++) assert.ok(Math.abs(two[15 + k]! - once[k]!) < 1e-5);
  });

  it("finds the quaternion and velocity in the assembler's layout, and the trainer process's guess from state.base agrees", () => {
    const cases: BaseQuantity[][] = [
      ['pos_z', 'quat', 'linvel', 'angvel'],
      ['quat', 'pos_z', 'angvel', 'linvel'],
      ['pos_x', 'pos_y', 'pos_z', 'linvel', 'quat', 'quat'],
      ['quat', 'angvel'],
      ['pos_z', 'linvel'],
    ];
    for (const base of cases) {
      const layout = new StateAssembler(description(3), { base }).layout;
      const fromLayout = headingFrameOf(layout);
      assert.deepEqual(headingFrameFromBase(layout.dim, base), fromLayout, base.join(','));
      if (fromLayout !== null) {
        assert.equal(layout.names[fromLayout.quatW], 'base.quat.w');
        if (fromLayout.linvelX !== null)
          assert.equal(layout.names[fromLayout.linvelX], 'base.linvel.x');
      }
    }
    assert.equal(headingFrameFromBase(5, ['quat', 'linvel', 'angvel']), null);
  });

  it('a policy fitted facing one way acts the same facing any way, on every path; one fitted in the world frame does not', async () => {
    const turned = await fitted(FRAME, [0]);
    const world = await fitted(null, [0]);
    // the same policy through the native session (the quadruped's 2 x 256 path)
    const native = await OnnxPolicyNet.create(turned.snapshot, { maxBatch: 8, act: 'native' });
    assert.equal(native.actPath, 'native');
    for (const net of [turned, native, world]) {
      const ahead = new Float32Array(2);
      const aside = new Float32Array(2);
      assert.ok(net.actNow(state(0), ahead));
      assert.ok(net.actNow(state(1.6), aside));
      const batch = new Float32Array(4);
      const both = new Float32Array(30);
      both.set(state(0), 0);
      both.set(state(1.6), 15);
      await net.actBatch(both, 2, batch);
      const gap = Math.hypot(ahead[0]! - aside[0]!, ahead[1]! - aside[1]!);
      if (net !== world) {
        assert.ok(gap < 1e-5, `heading frame: ${gap}`);
        for (let k = 0; k < 2; k++) {
          assert.ok(Math.abs(batch[k]! - ahead[k]!) < 1e-5);
          assert.ok(Math.abs(batch[2 + k]! - ahead[k]!) < 1e-5);
        }
      } else assert.ok(gap > 1e-3, `world frame, turned 1.6 rad: ${gap}`);
      await net.close();
    }
  });

  it('the manifest carries the frame; a malformed, out-of-range or foreign frame is rejected with its reason', async () => {
    const net = await fitted(FRAME, [0, 1]);
    const payload = encodePolicyArtifact(net.snapshot);
    const decoded = decodePolicyArtifact(payload, {
      stateDim: 15,
      actionDim: 2,
      headingFrame: FRAME,
    });
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value.architecture.headingFrame, FRAME);

    const parts = splitManifestPayload(payload, 'policy');
    assert.ok(parts.ok);
    const manifest = JSON.parse(parts.value.manifestJson) as {
      architecture: { input_layout: Record<string, unknown> };
    };
    assert.deepEqual(manifest.architecture.input_layout['heading_frame'], {
      quat_w: 5,
      linvel_x: 9,
    });
    const withFrame = (frame: unknown): Uint8Array => {
      manifest.architecture.input_layout['heading_frame'] = frame;
      return encodeManifestPayload('policy', JSON.stringify(manifest), parts.value.weights);
    };
    const bad = decodePolicyArtifact(withFrame({ quat_w: 'five', linvel_x: 9 }));
    assert.ok(!bad.ok && bad.code === 'ARTIFACT_INVALID');
    assert.match(bad.reason, /input_layout\.heading_frame: expected/);
    const outside = decodePolicyArtifact(withFrame({ quat_w: 12, linvel_x: 9 }));
    assert.ok(!outside.ok && outside.code === 'ARTIFACT_INVALID');
    assert.match(outside.reason, /quat at 12 \(4 values\).*within the 15 state inputs/);

    const gate = new PolicyGate({
      stateDim: 15,
      actionDim: 2,
      headingFrame: { quatW: 4, linvelX: 8 },
      margin: 0.1,
      capacity: 4,
    });
    const foreign = await gate.consider(payload);
    assert.ok(!foreign.accepted);
    assert.equal(foreign.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(
      foreign.reason,
      /heading_frame: quat at 5, linvel at 9; this robot's state has them at 4 and 8/,
    );
    const noQuat = decodePolicyArtifact(payload, {
      stateDim: 15,
      actionDim: 2,
      headingFrame: null,
    });
    assert.ok(!noQuat.ok && /no base\.quat/.test(noQuat.reason));
    await net.close();
  });

  it('the trainer keeps its labels in the heading frame, and refuses a return term with it', () => {
    const t = new PolicyTrainer({
      stateDim: 15,
      actionLow: Float32Array.of(-1, -1),
      actionHigh: Float32Array.of(1, 1),
      hiddenSizes: [4],
      headingFrame: FRAME,
      fit: { learningRate: 1e-3, epochs: 1, batchSize: 4, seed: 1 },
      maxLabels: 4,
    });
    t.add(state(2.2), Float32Array.of(0, 0), 'expert');
    const held = t.recent(1).states;
    const reference = state(0);
    for (let k = 0; k < 15; k++) assert.ok(Math.abs(held[k]! - reference[k]!) < 1e-5);
    assert.throws(
      () =>
        new PolicyTrainer({
          stateDim: 15,
          actionLow: Float32Array.of(-1),
          actionHigh: Float32Array.of(1),
          hiddenSizes: [4],
          headingFrame: FRAME,
          fit: { learningRate: 1e-3, epochs: 1, batchSize: 4, seed: 1 },
          maxLabels: 4,
          returnTerm: {
            weight: 1,
            horizon: 1,
            steps: 1,
            starts: 1,
            model: () => null,
            reward: {} as never,
          },
        }),
      (e: unknown) =>
        isStriderError(e) && e.code === 'CONFIG_INVALID' && /policy\.frame/.test(e.message),
    );
  });

  it('the config refuses policy.frame heading with a return term on a state with base.quat, naming the key', () => {
    assert.throws(
      () =>
        loadConfig('config/quadruped.yaml', {
          overrides: ['control.policy=dagger', 'trainer.mode=in_process', 'policy.return_weight=1'],
        }),
      (e: unknown) =>
        isStriderError(e) &&
        /policy\.frame/.test(e.message) &&
        /set policy\.frame: world/.test(e.message),
    );
    const ok = loadConfig('config/quadruped.yaml', {
      overrides: [
        'control.policy=dagger',
        'trainer.mode=in_process',
        'policy.return_weight=1',
        'policy.frame=world',
      ],
    });
    assert.equal(ok.config.policy.frame, 'world');
    // the default is world: the planar runner's return term (docs/learning.md) loads as before
    assert.equal(
      loadConfig('config/planar_runner.yaml', {
        overrides: ['control.policy=dagger', 'trainer.mode=in_process', 'policy.return_weight=1'],
      }).config.policy.frame,
      'world',
    );
  });
});
