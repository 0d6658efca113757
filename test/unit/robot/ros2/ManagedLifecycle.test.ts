import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import sinon from 'sinon';
import {
  ManagedLifecycle,
  Ros2Link,
  ros2Schema,
  type LifecycleHooks,
} from '../../../../src/robot/ros2/index.js';
import { isStriderError } from '../../../../src/util/StriderError.js';
import { QUADRUPED_EFFORT_URDF } from '../../../helpers/quadruped.js';
import { fakeRclnodejs, type FakeRclnodejs } from './fakeRclnodejs.js';

interface LogLine {
  level: number;
  msg: string;
  transition?: unknown;
  state?: string;
}

function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  return { logger, lines };
}

async function managedLink(lifecycle: boolean): Promise<{ link: Ros2Link; rcl: FakeRclnodejs }> {
  const rcl = fakeRclnodejs();
  const link = new Ros2Link({
    config: ros2Schema.parse({ lifecycle }),
    modelPath: QUADRUPED_EFFORT_URDF,
    controlPeriodSec: 0.02,
    rclnodejs: rcl.api,
    argv: [],
  });
  await link.configure();
  return { link, rcl };
}

function hookSpies(): { hooks: LifecycleHooks; calls: string[] } {
  const calls: string[] = [];
  const hook = (name: string) => async (): Promise<void> => {
    calls.push(`${name} start`);
    await new Promise<void>((r) => setImmediate(r)); // async work: the next hook waits for it
    calls.push(`${name} end`);
  };
  return {
    calls,
    hooks: {
      onConfigure: hook('configure'),
      onActivate: hook('activate'),
      onDeactivate: hook('deactivate'),
      onCleanup: hook('cleanup'),
      onShutdown: hook('shutdown'),
    },
  };
}

const request = (label: string, id = 0) => ({ transition: { id, label } });

describe('robot/ros2/ManagedLifecycle: the managed node’s transitions onto the session’s hooks', () => {
  afterEach(() => {
    sinon.restore();
  });

  it('lifecycle: true makes the link’s node an rclnodejs LifecycleNode; false a plain node', async () => {
    const managed = await managedLink(true);
    assert.ok(managed.rcl.createLifecycleNode.calledOnceWith('strider', ''));
    assert.ok(managed.rcl.createNode.notCalled);
    assert.equal(managed.rcl.lifecycleNode().currentState.label, 'unconfigured');
    await managed.link.close();

    const plain = await managedLink(false);
    assert.ok(plain.rcl.createLifecycleNode.notCalled);
    assert.ok(plain.rcl.createNode.calledOnce);
    assert.throws(
      () => {
        plain.link.attach(new ManagedLifecycle(hookSpies().hooks));
      },
      (err: unknown) => isStriderError(err) && err.code === 'CONFIG_INVALID',
    );
    await plain.link.close();
  });

  it('configure, activate, deactivate, activate, cleanup, shutdown over ~/change_state run the hooks in order, one at a time', async () => {
    const { link, rcl } = await managedLink(true);
    const { hooks, calls } = hookSpies();
    const lifecycle = new ManagedLifecycle(hooks);
    link.attach(lifecycle);
    const node = rcl.lifecycleNode();
    let configured: boolean | null = null;
    void lifecycle.configured().then((ok) => (configured = ok));

    for (const t of ['configure', 'activate', 'deactivate', 'activate', 'deactivate', 'cleanup']) {
      assert.deepEqual(await node.changeStateService(request(t)), { success: true }, t);
    }
    assert.equal(lifecycle.state, 'unconfigured');
    await lifecycle.settled();
    assert.equal(configured, true);
    assert.deepEqual(await node.changeStateService(request('shutdown')), { success: true });
    await lifecycle.settled();
    assert.equal(lifecycle.state, 'finalized');
    const order = ['configure', 'activate', 'deactivate', 'activate', 'deactivate', 'cleanup'];
    assert.deepEqual(
      calls,
      [...order, 'shutdown'].flatMap((t) => [`${t} start`, `${t} end`]),
    );
    await link.close();
  });

  it('refuses an invalid transition with a warning naming it and the state; a hook that fails is logged and the next transitions go on', async () => {
    const { link, rcl } = await managedLink(true);
    const { logger, lines } = memoryLogger();
    const { hooks, calls } = hookSpies();
    const failing: LifecycleHooks = {
      ...hooks,
      onActivate: () => Promise.reject(new Error('gate refused')),
    };
    const lifecycle = new ManagedLifecycle(failing, logger);
    link.attach(lifecycle);
    const node = rcl.lifecycleNode();

    assert.equal(lifecycle.trigger('activate'), null, 'activate from unconfigured');
    assert.equal(lifecycle.trigger(42), null, 'a transition id that does not exist');
    const warnings = lines.filter((l) => l.level === 40);
    assert.match(warnings[0]!.msg, /lifecycle transition activate refused in state unconfigured/);
    assert.deepEqual([warnings[0]!.transition, warnings[0]!.state], ['activate', 'unconfigured']);
    assert.match(warnings[1]!.msg, /lifecycle transition 42 refused in state unconfigured/);
    assert.equal(lifecycle.state, 'unconfigured');

    // the same over ~/change_state: rclnodejs refuses it itself, the node stays where it was
    assert.equal(await node.changeStateService(request('', 3)), null);
    assert.match(rcl.rclLog.at(-1)!.message, /Transition is not registered/);

    assert.deepEqual(lifecycle.trigger(1), { id: 2, label: 'inactive' }, 'configure by id');
    assert.equal(lifecycle.trigger(5), null, 'shutdown from unconfigured, not from inactive');
    assert.match(lines.at(-1)!.msg, /transition 5 refused in state inactive/);
    assert.deepEqual(lifecycle.trigger('activate'), { id: 3, label: 'active' });
    await lifecycle.settled();
    const failed = lines.find((l) => l.level === 50);
    assert.match(failed!.msg, /lifecycle activate hook failed/);
    assert.deepEqual(lifecycle.trigger('deactivate'), { id: 2, label: 'inactive' });
    await lifecycle.settled();
    assert.deepEqual(calls, [
      'configure start',
      'configure end',
      'deactivate start',
      'deactivate end',
    ]);
    await link.close();
  });

  it('configured() resolves false when the run stops or the node shuts down before configure', async () => {
    const { link, rcl } = await managedLink(true);
    const lifecycle = new ManagedLifecycle(hookSpies().hooks);
    link.attach(lifecycle);
    assert.deepEqual(rcl.lifecycleNode().shutdown(), { id: 4, label: 'finalized' });
    assert.equal(await lifecycle.configured(), false);

    const other = new ManagedLifecycle(hookSpies().hooks);
    other.abandon();
    assert.equal(await other.configured(), false);
    await link.close();
  });
});
