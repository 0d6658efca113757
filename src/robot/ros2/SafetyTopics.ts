import { silentLogger, type Logger } from '../../util/logger.js';
import type { Ros2NodeAdapter, Ros2NodeContext } from './Ros2NodeAdapter.js';
import { ROS2_TYPES } from './ros2Msgs.js';

/** What the stop and re-arm topics act on (the SafetyGate). */
export interface SafetyControls {
  stop(): void;
  release(): void;
  rearm(): boolean;
}

/**
 * The safety inputs on the link's node, forwarded to the gate the wiring gives: std_msgs/Bool on
 * topics.stop (true: stop, which sends the safe command inside the callback; false: release) and
 * std_msgs/Empty on topics.rearm. A stop message without a boolean is ignored and counted.
 */
export class SafetyTopics implements Ros2NodeAdapter {
  readonly #gate: SafetyControls;
  #log: Logger = silentLogger();
  #rejected = 0;

  constructor(gate: SafetyControls) {
    this.#gate = gate;
  }

  /** Stop messages ignored (no boolean `data`). */
  get rejectedMessages(): number {
    return this.#rejected;
  }

  attach({ node, config, qos, logger }: Ros2NodeContext): void {
    this.#log = logger;
    const options = qos(config.qos.task);
    node.createSubscription(ROS2_TYPES.bool, config.topics.stop, options, (m) => {
      this.#onStop(m);
    });
    node.createSubscription(ROS2_TYPES.empty, config.topics.rearm, options, () => {
      this.#onRearm();
    });
  }

  close(): void {
    // subscriptions only: the node's destruction frees them
  }

  #onStop(m: unknown): void {
    const data = (m as { data?: unknown } | null)?.data;
    if (typeof data !== 'boolean') {
      this.#rejected++;
      return;
    }
    if (data) {
      this.#gate.stop();
      this.#log.warn('software stop requested (latched until released and re-armed)');
    } else {
      this.#gate.release();
      this.#log.info('software stop released; motion resumes only after a re-arm');
    }
  }

  #onRearm(): void {
    if (this.#gate.rearm()) this.#log.info('re-armed');
    else this.#log.warn('re-arm refused (stop still requested, or inactive)');
  }
}
