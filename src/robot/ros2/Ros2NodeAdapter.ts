import type { Timers } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Ros2LinkState } from './Ros2Link.js';
import type {
  RclCallbackReturnCodes,
  RclLifecycleNode,
  RclNode,
  RclOptions,
} from './rclnodejsApi.js';
import type { QosConfig, Ros2Config } from './ros2Config.js';

/** What the link reports about itself on /diagnostics. */
export interface Ros2LinkStatus {
  readonly state: Ros2LinkState;
  /** Whether the node's clock is ROS time from /clock. */
  readonly useSimTime: boolean;
  readonly publishedCommands: number;
  readonly droppedCommands: number;
}

/** What an adapter is given when it is attached to the link's node. */
export interface Ros2NodeContext {
  readonly node: RclNode;
  /** The `robot.ros2` config slice (topic names, QoS profiles, rates). */
  readonly config: Ros2Config;
  /** rclnodejs options (a QoS object) for one of the config's QoS profiles. */
  readonly qos: (profile: QosConfig) => RclOptions;
  /** Timers for periodic publishing (the link's: sinon fakes in tests). */
  readonly timers: Timers;
  /** The robot's name (the URDF's <robot name=...>). */
  readonly robotName: string;
  readonly link: Ros2LinkStatus;
  readonly logger: Logger;
  /** With `lifecycle: true`: the node as a managed node and rclnodejs's callback codes; else null. */
  readonly managed: {
    readonly node: RclLifecycleNode;
    readonly codes: RclCallbackReturnCodes;
  } | null;
}

/**
 * A part that lives on the link's ROS 2 node beside the state subscriptions and the command
 * publisher: task inputs, safety topics, /diagnostics. attach() creates its subscriptions and
 * publishers on the node; close() stops its timers (the node's destruction frees its entities).
 * The link closes every attached adapter when it closes.
 */
export interface Ros2NodeAdapter {
  attach(context: Ros2NodeContext): void;
  close(): void;
}

/** Where adapters attach: the link that owns the node (a LinkCapabilities entry). */
export interface Ros2NodeHost {
  /**
   * Attach `adapter` to the node (after configure(), before or after activate()).
   * @throws StriderError LOOP_STATE before configure() or after close()
   */
  attach(adapter: Ros2NodeAdapter): void;
}
