import type { Ros2NodeAdapter, Ros2NodeContext } from './Ros2NodeAdapter.js';
import { ROS2_TYPES, type Path, type Twist, type Waypoint } from './ros2Msgs.js';

/** Where task inputs go (the task layer: TaskTargets); called from ROS callbacks. */
export interface TaskHandlers {
  /** A new geometry_msgs/Twist on cmd_vel (borrowed: copy what you keep). */
  readonly cmdVel?: (twist: Readonly<Twist>) => void;
  /** A new nav_msgs/Path, as waypoints in `frameId`. */
  readonly path?: (waypoints: readonly Waypoint[], frameId: string) => void;
}

function isFiniteVec(v: unknown): boolean {
  const o = v as { x?: unknown; y?: unknown; z?: unknown } | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.x === 'number' &&
    typeof o.y === 'number' &&
    typeof o.z === 'number' &&
    Number.isFinite(o.x + o.y + o.z)
  );
}

/**
 * The task inputs on the link's node: geometry_msgs/Twist on topics.cmd_vel and nav_msgs/Path on
 * topics.path (each where configured, with the task QoS). Keeps the latest of each (getters) and
 * forwards them to the handlers; messages with non-finite values are ignored and counted.
 */
export class TaskInputs implements Ros2NodeAdapter {
  readonly #handlers: TaskHandlers;
  readonly #twist: Twist = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
  #haveTwist = false;
  #waypoints: readonly Waypoint[] = [];
  #pathFrame = '';
  #rejected = 0;

  constructor(handlers: TaskHandlers = {}) {
    this.#handlers = handlers;
  }

  /** Latest cmd_vel, or null before the first (borrowed). */
  get cmdVel(): Readonly<Twist> | null {
    return this.#haveTwist ? this.#twist : null;
  }

  /** Latest path's waypoints (m, in `pathFrameId`); empty before the first. */
  get waypoints(): readonly Waypoint[] {
    return this.#waypoints;
  }

  get pathFrameId(): string {
    return this.#pathFrame;
  }

  /** Messages ignored for non-finite values. */
  get rejectedMessages(): number {
    return this.#rejected;
  }

  attach({ node, config, qos }: Ros2NodeContext): void {
    const t = config.topics;
    const options = qos(config.qos.task);
    if (t.cmd_vel !== null) {
      node.createSubscription(ROS2_TYPES.twist, t.cmd_vel, options, (m) => {
        this.#onTwist(m);
      });
    }
    if (t.path !== null) {
      node.createSubscription(ROS2_TYPES.path, t.path, options, (m) => {
        this.#onPath(m);
      });
    }
  }

  close(): void {
    // subscriptions only: the node's destruction frees them
  }

  #onTwist(m: unknown): void {
    const msg = m as Partial<Twist> | null;
    if (msg === null || !isFiniteVec(msg.linear) || !isFiniteVec(msg.angular)) {
      this.#rejected++;
      return;
    }
    const tw = this.#twist;
    tw.linear.x = msg.linear!.x;
    tw.linear.y = msg.linear!.y;
    tw.linear.z = msg.linear!.z;
    tw.angular.x = msg.angular!.x;
    tw.angular.y = msg.angular!.y;
    tw.angular.z = msg.angular!.z;
    this.#haveTwist = true;
    this.#handlers.cmdVel?.(tw);
  }

  #onPath(m: unknown): void {
    const msg = m as Partial<Path> | null;
    const poses = msg?.poses;
    if (
      msg === null ||
      !Array.isArray(poses) ||
      !poses.every((p) => isFiniteVec(p.pose.position))
    ) {
      this.#rejected++;
      return;
    }
    this.#waypoints = Object.freeze(
      poses.map((p) =>
        Object.freeze({ x: p.pose.position.x, y: p.pose.position.y, z: p.pose.position.z }),
      ),
    );
    this.#pathFrame = msg.header?.frame_id ?? '';
    this.#handlers.path?.(this.#waypoints, this.#pathFrame);
  }
}
