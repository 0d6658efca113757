import { ManagedLifecycle, type Ros2NodeHost } from '../robot/ros2/index.js';
import type { SafetyGate } from '../safety/index.js';
import type { Logger } from '../util/logger.js';

/** What the run does on the managed node's transitions, beside the gate. */
export interface RunLifecycle {
  /** End the run (as SIGTERM does): shutdown. */
  readonly stop: () => void;
  /** Flush what is queued for the trainer (the transition outbox): cleanup and shutdown. */
  readonly flush: () => Promise<void>;
}

/**
 * The session's side of the ROS 2 managed lifecycle (robot.ros2.lifecycle: true), built by the
 * run and attached by RunSession with the node's other parts. The node starts unconfigured with
 * the gate inactive (nothing is sent); `configure` lets the run go on (runCommand waits for
 * configured() before the model, the broker and the ticks); `activate` activates the gate, which
 * arms as safety.arm says; `deactivate` sends the gate's final safe command and holds (ticks go
 * on, nothing is sent); `cleanup` holds and flushes the outbox; `shutdown` holds, flushes and
 * stops the run.
 */
export class SessionLifecycle {
  readonly managed: ManagedLifecycle;
  #gate: SafetyGate | null = null;

  constructor(run: RunLifecycle, logger?: Logger) {
    const hold = (): Promise<void> => {
      this.#gate?.deactivate();
      return Promise.resolve();
    };
    this.managed = new ManagedLifecycle(
      {
        onConfigure: () => Promise.resolve(),
        onActivate: () => {
          this.#gate?.activate();
          return Promise.resolve();
        },
        onDeactivate: hold,
        onCleanup: async () => {
          await hold();
          await run.flush();
        },
        onShutdown: async () => {
          await hold();
          run.stop();
          await run.flush();
        },
      },
      logger,
    );
  }

  /** With the session's parts: the gate goes inactive, the callbacks go on the node. */
  attach(node: Ros2NodeHost, gate: SafetyGate): void {
    gate.deactivate();
    this.#gate = gate;
    node.attach(this.managed);
  }

  /** See ManagedLifecycle.configured(). */
  configured(): Promise<boolean> {
    return this.managed.configured();
  }

  /** The run stops before configure: configured() resolves false. */
  abandon(): void {
    this.managed.abandon();
  }
}
