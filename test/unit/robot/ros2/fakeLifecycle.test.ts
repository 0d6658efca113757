import assert from 'node:assert/strict';
import { fakeRclnodejs, type FakeLifecycleNode } from './fakeRclnodejs.js';

/**
 * The fake's LifecycleNode is as strict as rclnodejs 2.2 and rcl_lifecycle (sources cited in
 * test/helpers/ros2/rclLifecycle.ts): the default state machine, synchronous callbacks whose
 * number decides the outcome, throws and service answers where the real ones give them.
 */
async function lifecycleNode(): Promise<{
  node: FakeLifecycleNode;
  rcl: ReturnType<typeof fakeRclnodejs>;
}> {
  const rcl = fakeRclnodejs();
  await rcl.api.init(undefined, []);
  rcl.api.createLifecycleNode('probe');
  const node = rcl.lifecycleNode();
  return { node, rcl };
}

describe('robot/ros2/fakeRclnodejs LifecycleNode: strict where rclnodejs 2.2 and rcl are', () => {
  it('walks rcl’s default state machine, running the callback of each transition state with the state before', async () => {
    const { node, rcl } = await lifecycleNode();
    const ok = rcl.api.lifecycle.CallbackReturnCode.SUCCESS;
    assert.equal(ok, 97);
    const seen: string[] = [];
    node.registerOnConfigure((prev) => {
      seen.push(`configure from ${prev.label}`);
      return ok;
    });
    node.registerOnActivate((prev) => {
      seen.push(`activate from ${prev.label}`);
      return ok;
    });
    assert.deepEqual(node.currentState, { id: 1, label: 'unconfigured' });
    assert.deepEqual(node.configure(), { id: 2, label: 'inactive' });
    assert.deepEqual(node.activate(), { id: 3, label: 'active' });
    assert.deepEqual(node.deactivate(), { id: 2, label: 'inactive' });
    assert.deepEqual(node.cleanup(), { id: 1, label: 'unconfigured' });
    assert.deepEqual(node.shutdown(), { id: 4, label: 'finalized' });
    assert.deepEqual(seen, ['configure from unconfigured', 'activate from inactive']);
    assert.deepEqual(node.machine.visited, [
      'configuring',
      'inactive',
      'activating',
      'active',
      'deactivating',
      'inactive',
      'cleaningup',
      'unconfigured',
      'shuttingdown',
      'finalized',
    ]);
  });

  it('throws as the binding does on a transition not available from the state, and rcl logs which', async () => {
    const { node, rcl } = await lifecycleNode();
    assert.throws(() => node.activate(), /^Error: Transition is not registered\.$/);
    assert.equal(node.currentState.label, 'unconfigured');
    assert.deepEqual(rcl.rclLog.at(-1), {
      level: 'warn',
      name: 'rcl_lifecycle',
      message: 'No transition matching activate found for current state unconfigured',
    });
  });

  it('FAILURE goes back, a throw counts as ERROR (error callback decides), and a Promise is no number', async () => {
    const { node, rcl } = await lifecycleNode();
    const codes = rcl.api.lifecycle.CallbackReturnCode;
    node.registerOnConfigure(() => codes.FAILURE);
    assert.equal(node.configure().label, 'unconfigured');
    node.registerOnConfigure(() => {
      throw new Error('boom');
    });
    assert.equal(node.configure().label, 'unconfigured', 'ERROR, then error processing succeeds');
    node.registerOnError(() => codes.FAILURE);
    assert.equal(node.configure().label, 'finalized', 'error processing failed');

    const second = await lifecycleNode();
    second.node.registerOnConfigure(() => Promise.resolve(97));
    assert.throws(() => second.node.configure(), /A number was expected/);
    assert.equal(second.node.currentState.label, 'configuring', 'stuck in the transition state');
  });

  it('~/change_state: an unavailable label answers success false; an unavailable id gets no answer and rclnodejs logs the error', async () => {
    const { node, rcl } = await lifecycleNode();
    node.spin();
    assert.deepEqual(await node.changeStateService({ transition: { id: 0, label: 'activate' } }), {
      success: false,
    });
    assert.equal(
      await node.changeStateService({ transition: { id: 3, label: '' } }),
      null,
      'no response',
    );
    assert.equal(
      rcl.rclLog.at(-1)?.message,
      'Error processing /probe/change_state request: Error: Transition is not registered.',
    );
    assert.equal(
      await node.changeStateService({ transition: { id: 42, label: '' } }),
      null,
      'an id that does not exist',
    );
    assert.deepEqual(await node.changeStateService({ transition: { id: 1, label: '' } }), {
      success: true,
    });
    assert.deepEqual((await node.getStateService()).current_state, { id: 2, label: 'inactive' });
  });
});
