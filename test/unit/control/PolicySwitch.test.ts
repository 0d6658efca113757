import assert from 'node:assert/strict';
import { PolicySwitch } from '../../../src/control/PolicySwitch.js';
import type { ActionPolicy, ActionSource } from '../../../src/control/types.js';

/** A policy writing a constant, or failing on demand. */
function constant(
  value: number,
  source: ActionSource = 'mpc',
): ActionPolicy & { calls: number; resets: number; fail: 'no' | 'throw' | 'nan' } {
  const p = {
    source,
    calls: 0,
    resets: 0,
    fail: 'no' as 'no' | 'throw' | 'nan',
    act(_s: Float32Array, _d: number, out: Float32Array) {
      p.calls++;
      if (p.fail === 'throw') throw new Error('broken model');
      out.fill(p.fail === 'nan' ? Number.NaN : value);
    },
    reset() {
      p.resets++;
    },
  };
  return p;
}

const state = new Float32Array(2);

describe('control/PolicySwitch', () => {
  it('applies a staged policy at the next act() (a tick boundary), not before', async () => {
    const a = constant(1, 'random');
    const b = constant(2);
    const sw = new PolicySwitch(a);
    const out = new Float32Array(1);
    await sw.act(state, 0, out);
    sw.stage(b, { canaryTicks: 0 });
    assert.equal(sw.source, 'random', 'nothing changes until the next tick');
    assert.ok(sw.pending);
    await sw.act(state, 0, out);
    assert.equal(out[0], 2);
    assert.equal(sw.current, b);
    assert.equal(sw.previous, a);
    assert.equal(b.resets, 1, 'the new policy starts its episode memory fresh');
  });

  it('rolls back to the previous policy when the new one throws during the canary, and reports why', async () => {
    const a = constant(1);
    const b = constant(2);
    const sw = new PolicySwitch(a);
    const reasons: string[] = [];
    sw.stage(b, { canaryTicks: 3, onRollback: (r) => reasons.push(r) });
    const out = new Float32Array(1);
    await sw.act(state, 0, out);
    b.fail = 'throw';
    await assert.rejects(async () => sw.act(state, 0, out), /broken model/); // this tick: the loop sends the safe command
    assert.equal(sw.current, a, 'the next tick runs the previous model');
    await sw.act(state, 0, out);
    assert.equal(out[0], 1);
    assert.equal(sw.rollbacks, 1);
    assert.match(reasons[0] ?? '', /canary: the new policy threw: broken model/);
  });

  it('rolls back on a non-finite action inside the canary window, and not after it', async () => {
    const a = constant(1);
    const b = constant(2);
    const sw = new PolicySwitch(a);
    sw.stage(b, { canaryTicks: 2 });
    const out = new Float32Array(3);
    await sw.act(state, 0, out); // canary tick 1
    await sw.act(state, 0, out); // canary tick 2
    b.fail = 'nan';
    await sw.act(state, 0, out); // past the canary: the control loop's gate handles it
    assert.equal(sw.current, b);
    const c = constant(3);
    sw.stage(c, { canaryTicks: 5 });
    c.fail = 'nan';
    await sw.act(state, 0, out);
    assert.ok(Number.isNaN(out[0]!), 'the faulty output still reaches the gate this tick');
    assert.equal(sw.current, b, 'rolled back to the version before');
  });

  it('use() switches at once and cancels a staged swap', () => {
    const a = constant(1);
    const b = constant(2);
    const c = constant(3, 'random');
    const sw = new PolicySwitch(a);
    sw.stage(b, { canaryTicks: 0 });
    assert.equal(sw.use(c), a);
    assert.ok(!sw.pending);
    assert.equal(sw.source, 'random');
  });

  it('reports every change of the current policy (use, staged swap, rollback) and its model version', async () => {
    const random = constant(0, 'random');
    const v1 = Object.assign(constant(1), { modelVersion: 1 });
    const v2 = Object.assign(constant(2), { modelVersion: 2 });
    const seen: (number | null)[] = [];
    const sw = new PolicySwitch(random, (p) => seen.push(p.modelVersion ?? null));
    assert.equal(sw.modelVersion, undefined, 'random actions have no model');
    sw.use(v1);
    assert.equal(sw.modelVersion, 1);
    sw.stage(v2, { canaryTicks: 2 });
    assert.deepEqual(seen, [1], 'a staged policy is not current until the next tick');
    const out = new Float32Array(1);
    v2.fail = 'nan';
    await sw.act(state, 0, out);
    assert.deepEqual(seen, [1, 2, 1], 'the swap and then the rollback');
    assert.equal(sw.modelVersion, 1);
    sw.use(v1);
    assert.deepEqual(seen, [1, 2, 1], 'use() of the current policy is no change');
  });
});
