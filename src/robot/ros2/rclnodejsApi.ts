/**
 * The part of the rclnodejs API that strider uses, typed here because rclnodejs cannot be
 * installed without a sourced ROS 2 (its own .d.ts files also need generated ROS interfaces).
 *
 * Names and call shapes follow rclnodejs 2.x (checked against the RobotWebTools/rclnodejs
 * sources: index.js, lib/time_source.js and types/{index,node,qos,parameter,publisher,clock,
 * time}.d.ts of the 2.x line, npm rclnodejs 2.2.0). Only what Ros2Link calls is declared, so a
 * sinon fake of exactly this surface drives it in tests (test/unit/robot/ros2/fakeRclnodejs.ts).
 *
 * Notes on the real API:
 * - `createNode(name, namespace?, context?, options?)` and the top-level `spin(node)` are kept in
 *   2.x but marked deprecated since 0.18 in favour of `new Node(...)` and `node.spin()`; we use
 *   createNode (one factory to fake) and `node.spin()`.
 * - `init()` rejects when the default context is already initialised; `shutdown()` destroys every
 *   node of the context (a destroyed node's publishers throw, its getClock() is null).
 * - Importing rclnodejs installs a SIGINT handler that shuts every context down
 *   (`removeSignalHandlers()` takes it away).
 * - A node declares `use_sim_time` itself (its TimeSource) and its clock follows /clock when the
 *   parameter is true.
 * - Subscriptions deliver plain objects; float64[] fields arrive as Float64Array
 *   (`enableTypedArray`, default true). publish() serialises synchronously, so a message object
 *   may be reused for the next publish.
 */

/** rclnodejs.QoS.HistoryPolicy (rmw values). */
export interface RclHistoryPolicy {
  readonly RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: number;
  readonly RMW_QOS_POLICY_HISTORY_KEEP_LAST: number;
  readonly RMW_QOS_POLICY_HISTORY_KEEP_ALL: number;
}

/** rclnodejs.QoS.ReliabilityPolicy */
export interface RclReliabilityPolicy {
  readonly RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: number;
  readonly RMW_QOS_POLICY_RELIABILITY_RELIABLE: number;
  readonly RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number;
}

/** rclnodejs.QoS.DurabilityPolicy */
export interface RclDurabilityPolicy {
  readonly RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: number;
  readonly RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number;
  readonly RMW_QOS_POLICY_DURABILITY_VOLATILE: number;
}

/** An rclnodejs.QoS instance (opaque to strider: built, then passed in Options.qos). */
export type RclQoS = object;

/** The rclnodejs.QoS class: `new QoS(history, depth, reliability, durability)`. */
export interface RclQoSClass {
  new (history?: number, depth?: number, reliability?: number, durability?: number): RclQoS;
  readonly HistoryPolicy: RclHistoryPolicy;
  readonly ReliabilityPolicy: RclReliabilityPolicy;
  readonly DurabilityPolicy: RclDurabilityPolicy;
}

/** Options of createPublisher / createSubscription (rclnodejs `Options`, lib/node.js _validateOptions). */
export interface RclOptions {
  qos?: RclQoS;
  enableTypedArray?: boolean;
  /** Publishers: check each message against its type before serialising (rclnodejs 2.2 lib/publisher.js:30). */
  validateMessages?: boolean;
}

/** rclnodejs.ParameterType values used here. */
export interface RclParameterTypes {
  readonly PARAMETER_NOT_SET: number;
  readonly PARAMETER_BOOL: number;
  readonly PARAMETER_INTEGER: number;
  readonly PARAMETER_DOUBLE: number;
  readonly PARAMETER_STRING: number;
}

/** An rclnodejs.Parameter. */
export interface RclParameter {
  readonly name: string;
  readonly type: number;
  value: unknown;
}

/** `new Parameter(name, type, value)` */
export type RclParameterClass = new (name: string, type: number, value?: unknown) => RclParameter;

/** An rclnodejs.ParameterDescriptor. */
export interface RclParameterDescriptor {
  readonly name: string;
  readonly type: number;
  readonly description: string;
  readonly readOnly: boolean;
}

/** `new ParameterDescriptor(name, type, description?, readOnly?)` */
export type RclParameterDescriptorClass = new (
  name: string,
  type: number,
  description?: string,
  readOnly?: boolean,
) => RclParameterDescriptor;

/** rcl_interfaces/msg/SetParametersResult */
export interface RclSetParametersResult {
  successful: boolean;
  reason: string;
}

/** An rclnodejs.Time: nanoseconds since the clock's epoch as a bigint. */
export interface RclTime {
  readonly nanoseconds: bigint;
}

/** The node's clock (a ROSClock: ROS time, simulated under use_sim_time). */
export interface RclClock {
  now(): RclTime;
}

export interface RclPublisher {
  readonly topic: string;
  publish(message: object): void;
}

export interface RclSubscription {
  readonly topic: string;
}

/** The rclnodejs.Node methods strider calls. */
export interface RclNode {
  createPublisher(typeClass: string, topic: string, options?: RclOptions): RclPublisher;
  createSubscription(
    typeClass: string,
    topic: string,
    options: RclOptions,
    callback: (message: unknown) => void,
  ): RclSubscription;
  destroyPublisher(publisher: RclPublisher): void;
  destroySubscription(subscription: RclSubscription): void;
  declareParameter(
    parameter: RclParameter,
    descriptor?: RclParameterDescriptor,
    ignoreOverride?: boolean,
  ): RclParameter;
  hasParameter(name: string): boolean;
  getParameter(name: string): RclParameter;
  setParameter(parameter: RclParameter): RclSetParametersResult;
  getClock(): RclClock;
  /** Process callbacks on the Node.js event loop (non-blocking in rclnodejs). */
  spin(timeoutMs?: number): void;
  /** Destroy the node and every entity it created. */
  destroy(): void;
}

/**
 * A lifecycle State or Transition (rclnodejs 2.2 lib/lifecycle.js:59-85): the ids and labels of
 * lifecycle_msgs/msg/State and Transition as rcl_lifecycle's default state machine has them
 * (primary states 1 unconfigured, 2 inactive, 3 active, 4 finalized; transitions 1 configure,
 * 2 cleanup, 3 activate, 4 deactivate, 5/6/7 shutdown).
 */
export interface RclLifecycleState {
  readonly id: number;
  readonly label: string;
}

/**
 * A transition callback (types/lifecycle.d.ts:144). rclnodejs calls it synchronously
 * (lib/lifecycle.js:757-771) and maps its number to the next transition: it must return a
 * CallbackReturnCode at once, never a Promise; a throw counts as ERROR.
 */
export type RclTransitionCallback = (previousState: RclLifecycleState) => number;

/** rclnodejs.lifecycle.CallbackReturnCode (lib/lifecycle.js:110-121: 97, 98, 99). */
export interface RclCallbackReturnCodes {
  readonly SUCCESS: number;
  readonly FAILURE: number;
  readonly ERROR: number;
}

/**
 * An rclnodejs.lifecycle.LifecycleNode (lib/lifecycle.js:266-782, types/lifecycle.d.ts:190-343):
 * a node with rcl's managed state machine and its standard services (~/change_state,
 * ~/get_state, ~/get_available_states, ~/get_available_transitions). Each transition method
 * returns the new primary state and throws (an Error from rcl: "Transition is not registered.")
 * when the transition is not available from the current state.
 */
export interface RclLifecycleNode extends RclNode {
  readonly currentState: RclLifecycleState;
  registerOnConfigure(cb: RclTransitionCallback): void;
  registerOnActivate(cb: RclTransitionCallback): void;
  registerOnDeactivate(cb: RclTransitionCallback): void;
  registerOnCleanup(cb: RclTransitionCallback): void;
  registerOnShutdown(cb: RclTransitionCallback): void;
  registerOnError(cb: RclTransitionCallback): void;
  configure(): RclLifecycleState;
  activate(): RclLifecycleState;
  deactivate(): RclLifecycleState;
  cleanup(): RclLifecycleState;
  shutdown(): RclLifecycleState;
}

/** The rclnodejs module (default export of `import('rclnodejs')`). */
export interface RclnodejsApi {
  init(context?: unknown, argv?: string[]): Promise<void>;
  createNode(nodeName: string, namespace?: string, context?: unknown, options?: unknown): RclNode;
  /**
   * A managed node (index.js:373-387, deprecated since 0.18 like createNode but kept in 2.x):
   * `createLifecycleNode(name, namespace?, context?, options?, enableCommunicationInterface = true)`.
   */
  createLifecycleNode(
    nodeName: string,
    namespace?: string,
    context?: unknown,
    options?: unknown,
    enableCommunicationInterface?: boolean,
  ): RclLifecycleNode;
  /** rclnodejs.lifecycle (index.js:781). */
  readonly lifecycle: { readonly CallbackReturnCode: RclCallbackReturnCodes };
  shutdown(context?: unknown): void;
  isShutdown(): boolean;
  /**
   * Remove the SIGINT handler rclnodejs installs when it is imported (it shuts every context
   * down). An application with its own shutdown logic calls this; strider's must send the safety
   * gate's final command over the node before ROS goes down.
   */
  removeSignalHandlers(): void;
  readonly QoS: RclQoSClass;
  readonly Parameter: RclParameterClass;
  readonly ParameterDescriptor: RclParameterDescriptorClass;
  readonly ParameterType: RclParameterTypes;
}
