import { silentLogger, type Logger } from '../../util/logger.js';
import { StriderError } from '../../util/StriderError.js';
import type { RclLifecycleNode, RclLifecycleState } from './rclnodejsApi.js';
import type { Ros2NodeAdapter, Ros2NodeContext } from './Ros2NodeAdapter.js';

/** The transitions a managed node is asked for (lifecycle_msgs/msg/Transition labels). */
export type LifecycleTransition = 'configure' | 'activate' | 'deactivate' | 'cleanup' | 'shutdown';

/**
 * What the session does on each transition (async; run one at a time, in the order the
 * transitions came). A hook that rejects is logged; the node keeps the state rclnodejs gave it.
 */
export interface LifecycleHooks {
  readonly onConfigure: () => Promise<void>;
  readonly onActivate: () => Promise<void>;
  readonly onDeactivate: () => Promise<void>;
  readonly onCleanup: () => Promise<void>;
  readonly onShutdown: () => Promise<void>;
}

/** lifecycle_msgs/msg/Transition ids of the transitions a client may request. */
const TRANSITION_IDS: Readonly<Record<number, LifecycleTransition>> = {
  1: 'configure',
  2: 'cleanup',
  3: 'activate',
  4: 'deactivate',
  5: 'shutdown', // from unconfigured
  6: 'shutdown', // from inactive
  7: 'shutdown', // from active
};

const SHUTDOWN_FROM: Readonly<Record<number, string>> = {
  5: 'unconfigured',
  6: 'inactive',
  7: 'active',
};

/**
 * The ROS 2 managed lifecycle (robot.ros2.lifecycle: true) on the link's rclnodejs LifecycleNode,
 * mapped onto hooks the session supplies: configure, activate, deactivate, cleanup, shutdown.
 * rclnodejs 2.2 runs its transition callbacks synchronously and reads a CallbackReturnCode from
 * them (lib/lifecycle.js:696-771), so each callback queues its hook and returns SUCCESS at once:
 * the node reports the goal state while the hook still runs; configured() and settled() say when
 * the hooks are done.
 *
 * A transition that is not available from the current state, or an id that does not exist, is
 * refused: requests over ~/change_state by rclnodejs and rcl themselves (the state stays, rcl
 * logs "No transition matching ... found for current state ..."); strider's own requests
 * (trigger()) with a warning naming the transition and the state. Nothing stops the ticks.
 */
export class ManagedLifecycle implements Ros2NodeAdapter {
  readonly #hooks: LifecycleHooks;
  #log: Logger;
  #node: RclLifecycleNode | null = null;
  #chain: Promise<void> = Promise.resolve();
  #configured: ((ok: boolean) => void) | null = null;
  readonly #whenConfigured: Promise<boolean>;

  constructor(hooks: LifecycleHooks, logger?: Logger) {
    this.#hooks = hooks;
    this.#log = (logger ?? silentLogger()).child({ component: 'ManagedLifecycle' });
    this.#whenConfigured = new Promise((resolve) => {
      this.#configured = resolve;
    });
  }

  /**
   * Register the transition callbacks on the link's LifecycleNode.
   * @throws StriderError CONFIG_INVALID when the node is not a managed one (lifecycle: false)
   */
  attach(context: Ros2NodeContext): void {
    const managed = context.managed;
    if (managed === null) {
      throw new StriderError(
        'CONFIG_INVALID',
        'ManagedLifecycle needs a managed node: set robot.ros2.lifecycle: true',
      );
    }
    const node = managed.node;
    const ok = managed.codes.SUCCESS;
    this.#node = node;
    const on = (t: LifecycleTransition, hook: () => Promise<void>) => (prev: RclLifecycleState) => {
      this.#queue(t, prev, hook);
      return ok;
    };
    const h = this.#hooks;
    node.registerOnConfigure(on('configure', h.onConfigure));
    node.registerOnActivate(on('activate', h.onActivate));
    node.registerOnDeactivate(on('deactivate', h.onDeactivate));
    node.registerOnCleanup(on('cleanup', h.onCleanup));
    node.registerOnShutdown(on('shutdown', h.onShutdown));
    this.#log.info(
      { state: node.currentState.label },
      'managed node: waiting for configure (ros2 lifecycle set <node> configure)',
    );
  }

  /** The node's primary state label (unconfigured, inactive, active, finalized); 'detached' before attach or after close. */
  get state(): string {
    return this.#node?.currentState.label ?? 'detached';
  }

  /**
   * Resolves true once a configure's hook has completed, false when the lifecycle ends first
   * (shutdown before configure, close(), abandon()).
   */
  configured(): Promise<boolean> {
    return this.#whenConfigured;
  }

  /** Resolves when every hook queued so far has completed. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Stop waiting for configure (the run is stopping): configured() resolves false. */
  abandon(): void {
    this.#configured?.(false);
    this.#configured = null;
  }

  /**
   * Ask the node for a transition by label or lifecycle_msgs id, as strider's own request.
   * Returns the new state, or null when refused: an unknown transition, or one not available from
   * the current state (rclnodejs throws; logged as a warning naming transition and state).
   */
  trigger(transition: LifecycleTransition | number): RclLifecycleState | null {
    const node = this.#node;
    const state = this.state;
    const name = typeof transition === 'number' ? TRANSITION_IDS[transition] : transition;
    if (node === null || name === undefined || !isTransition(name)) {
      this.#log.warn(
        { transition, state, known: [...new Set(Object.values(TRANSITION_IDS))] },
        `lifecycle transition ${String(transition)} refused in state ${state}: no such transition`,
      );
      return null;
    }
    // the three shutdown ids are one per state (rcl's default state machine)
    const from = typeof transition === 'number' ? SHUTDOWN_FROM[transition] : undefined;
    if (from !== undefined && from !== state) {
      this.#log.warn(
        { transition, state },
        `lifecycle transition ${transition} refused in state ${state}: it is shutdown from ${from}`,
      );
      return null;
    }
    try {
      return node[name]();
    } catch (err) {
      this.#log.warn(
        { err, transition, state },
        `lifecycle transition ${name} refused in state ${state}: not available from it`,
      );
      return null;
    }
  }

  /** The node goes with the link: nothing waits for configure any more. */
  close(): void {
    this.abandon();
    this.#node = null;
  }

  #queue(t: LifecycleTransition, prev: RclLifecycleState, hook: () => Promise<void>): void {
    this.#log.info({ transition: t, from: prev.label }, `lifecycle ${t}`);
    this.#chain = this.#chain.then(hook).then(
      () => {
        if (t === 'configure') this.#configured?.(true);
        else if (t === 'shutdown') this.abandon();
      },
      (err: unknown) => {
        this.#log.error({ err, transition: t }, `lifecycle ${t} hook failed`);
      },
    );
  }
}

function isTransition(name: string): name is LifecycleTransition {
  return Object.values(TRANSITION_IDS).includes(name as LifecycleTransition);
}
