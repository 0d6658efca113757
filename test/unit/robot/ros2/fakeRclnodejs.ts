import sinon from 'sinon';
import { rosMessageType, type RosMessageType } from '../../../helpers/ros2/rosMessages.js';
import {
  expandTopicName,
  parseRosArgs,
  qosCompatible,
  validateNamespace,
  validateNodeName,
  type EndpointQos,
  type RosParameterOverride,
} from '../../../helpers/ros2/rosGraph.js';
import {
  CALLBACK_RETURN,
  RclLifecycleMachine,
  STATES,
  type ChangeStateRequest,
  type LifecycleState,
  type RclLogLine,
  type TransitionCallback,
} from '../../../helpers/ros2/rclLifecycle.js';
import type {
  RclClock,
  RclLifecycleNode,
  RclnodejsApi,
  RclNode,
  RclOptions,
  RclParameter,
  RclParameterDescriptor,
  RclPublisher,
  RclSetParametersResult,
  RclSubscription,
} from '../../../../src/robot/ros2/rclnodejsApi.js';

/**
 * A sinon fake of the rclnodejs 2.2 surface strider uses (src/robot/ros2/rclnodejsApi.ts), strict
 * where rclnodejs and rcl are (checked against the npm rclnodejs 2.2.0 sources). It records what
 * the link creates and lets a test inject messages as another node on the graph would. Like the
 * real library:
 * - message types are the ROS 2 Jazzy definitions: an unknown type throws at createPublisher /
 *   createSubscription ("The message required does not exist"); every published message is
 *   checked as rclnodejs's publisher does with `validateMessages` (strict: unknown fields and
 *   wrong JS types throw) and every message, published or injected, is serialised to CDR and read
 *   back, so a subscriber gets a fresh plain object with float64[] as Float64Array
 *   (test/helpers/ros2/rosMessages.ts);
 * - node names, namespaces and topic names follow rcl's rules (a refused name throws), and topics
 *   are matched on their expanded names (relative names under the node's namespace);
 * - delivery is asynchronous and only while the node spins (node.spin()): messages wait in each
 *   subscription's history (keep_last depth) until then; `settle()` lets pending callbacks run;
 * - a publisher reaches a subscription only when their QoS match as DDS decides (reliable
 *   subscription vs best-effort publisher, transient_local vs volatile: nothing arrives);
 * - parameter overrides come from `--ros-args -p [node:]name:=value` in init's argv, typed as rcl
 *   parses them (true -> bool, 1 -> integer, 1.0 -> double), and replace the declared parameter
 *   (a type that differs from the declared one throws, as rclnodejs's declareParameter does);
 * - a new node declares use_sim_time (false unless overridden);
 * - a destroyed node's publishers throw and its getClock() is null;
 * - the module comes with a SIGINT handler that shuts every context down (`sigint()` plays the
 *   signal) until removeSignalHandlers() is called.
 * What it cannot show: DDS discovery and timing, rmw's own buffers, messages generated from a
 * sourced ROS install, and the native serialiser's handling of out-of-range numbers.
 */

export const ParameterType = {
  PARAMETER_NOT_SET: 0,
  PARAMETER_BOOL: 1,
  PARAMETER_INTEGER: 2,
  PARAMETER_DOUBLE: 3,
  PARAMETER_STRING: 4,
} as const;

export class FakeQoS {
  static readonly HistoryPolicy = {
    RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1,
    RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2,
  };
  static readonly ReliabilityPolicy = {
    RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1,
    RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2,
  };
  static readonly DurabilityPolicy = {
    RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1,
    RMW_QOS_POLICY_DURABILITY_VOLATILE: 2,
  };
  constructor(
    readonly history = 0,
    readonly depth = 0,
    readonly reliability = 0,
    readonly durability = 0,
  ) {}
}

/** rclnodejs lib/parameter.js validValue() for the scalar types strider uses. */
function validValue(value: unknown, type: number): boolean {
  if (value === null || value === undefined) return type === ParameterType.PARAMETER_NOT_SET;
  switch (type) {
    case ParameterType.PARAMETER_BOOL:
      return typeof value === 'boolean';
    case ParameterType.PARAMETER_STRING:
      return typeof value === 'string';
    case ParameterType.PARAMETER_DOUBLE:
      return typeof value === 'number';
    case ParameterType.PARAMETER_INTEGER:
      return typeof value === 'bigint';
    default:
      return false;
  }
}

/** Like rclnodejs's Parameter: INTEGER values become bigint, a value of another type throws. */
export class FakeParameter implements RclParameter {
  value: unknown;
  constructor(
    readonly name: string,
    readonly type: number,
    value?: unknown,
  ) {
    this.value =
      type === ParameterType.PARAMETER_INTEGER && typeof value === 'number' ? BigInt(value) : value;
    if (!validValue(this.value, type)) throw new TypeError('Incompatible value.');
  }
}

export class FakeParameterDescriptor implements RclParameterDescriptor {
  constructor(
    readonly name: string,
    readonly type: number,
    readonly description = '',
    readonly readOnly = false,
  ) {}
}

/** rclnodejs's QoS.profileDefault (rmw_qos_profile_default): reliable, volatile, keep last 10. */
const PROFILE_DEFAULT: EndpointQos = {
  reliability: 'reliable',
  durability: 'volatile',
  depth: 10,
  keepAll: false,
};

/** The policies a QoS option carries (system default: reliable, volatile, as rmw_fastrtps). */
function endpointQos(options: RclOptions | undefined): EndpointQos {
  const q = options?.qos;
  if (q === undefined) return PROFILE_DEFAULT;
  if (!(q instanceof FakeQoS)) throw new TypeError('options.qos must be a QoS instance');
  const R = FakeQoS.ReliabilityPolicy;
  const D = FakeQoS.DurabilityPolicy;
  return {
    reliability:
      q.reliability === R.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT ? 'best_effort' : 'reliable',
    durability:
      q.durability === D.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL ? 'transient_local' : 'volatile',
    depth: Math.max(1, q.depth),
    keepAll: q.history === FakeQoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL,
  };
}

export interface FakePublisher extends RclPublisher {
  readonly typeClass: string;
  readonly options: RclOptions | undefined;
  readonly qos: EndpointQos;
  /** The expanded topic name. */
  readonly fullTopic: string;
  /** The objects given to publish() (the link reuses one). */
  readonly messages: unknown[];
  /** What went over the wire: each message read back from its CDR bytes (typed arrays kept). */
  readonly decoded: unknown[];
  /** The decoded messages with typed arrays as plain arrays (for deepEqual). */
  readonly snapshots: unknown[];
}

export interface FakeSubscription extends RclSubscription {
  readonly typeClass: string;
  readonly options: RclOptions;
  readonly qos: EndpointQos;
  readonly fullTopic: string;
  readonly callback: (message: unknown) => void;
  /** Messages received and not yet handed to the callback (the reader's history). */
  readonly queue: unknown[];
  destroyed: boolean;
}

function plain(msg: unknown): unknown {
  if (ArrayBuffer.isView(msg)) return Array.from(msg as Float64Array);
  if (Array.isArray(msg)) return msg.map(plain);
  if (typeof msg === 'object' && msg !== null) {
    return Object.fromEntries(Object.entries(msg).map(([k, v]) => [k, plain(v)]));
  }
  return msg;
}

/** The ROS graph of one fake: every endpoint of every node, matched by topic, type and QoS. */
class FakeGraph {
  readonly nodes: FakeNode[] = [];

  /**
   * Hand `msg` (already checked) from a publisher with `qos` to each live, matching subscription:
   * serialised and read back once per subscription. Returns how many took it.
   */
  transmit(fullTopic: string, type: RosMessageType, qos: EndpointQos, msg: unknown): number {
    let n = 0;
    for (const node of this.nodes) {
      if (node.destroyed) continue;
      for (const s of node.subscriptions) {
        if (s.destroyed || s.fullTopic !== fullTopic) continue;
        if (s.typeClass !== type.name) continue; // DDS matches on the type too
        if (qosCompatible(qos, s.qos) !== null) continue;
        s.queue.push(type.roundTrip(msg));
        if (!s.qos.keepAll && s.queue.length > s.qos.depth) s.queue.shift();
        n++;
        node.wake();
      }
    }
    return n;
  }
}

export class FakeNode implements RclNode {
  readonly publishers: FakePublisher[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  readonly params = new Map<string, RclParameter>();
  readonly descriptors = new Map<string, RclParameterDescriptor>();
  readonly #overrides = new Map<string, RclParameter>();
  readonly #graph: FakeGraph;
  clockNs = 0n;
  destroyed = false;
  spinning = false;
  #draining = false;

  constructor(
    readonly name: string,
    readonly namespace: string,
    graph: FakeGraph,
    overrides: readonly RosParameterOverride[],
  ) {
    validateNodeName(name);
    validateNamespace(namespace);
    this.#graph = graph;
    // lib/node.js _getNativeParameterOverrides: global rules, then this node's, typed by rcl
    for (const scope of ['/**', name]) {
      for (const o of overrides.filter((x) => x.node === scope)) {
        this.#overrides.set(o.name, overrideParameter(o));
      }
    }
    // The real node's TimeSource declares use_sim_time (false), taking an override.
    this.declareParameter(new FakeParameter('use_sim_time', ParameterType.PARAMETER_BOOL, false));
    this.declareParameter.resetHistory();
  }

  /** The namespace as rcl holds it ('' is '/'). */
  get fullNamespace(): string {
    return this.namespace === '' ? '/' : this.namespace;
  }

  resolve(topic: string): string {
    return expandTopicName(topic, this.name, this.fullNamespace);
  }

  readonly createPublisher = sinon.spy(
    (typeClass: string, topic: string, options?: RclOptions): RclPublisher => {
      const type = rosMessageType(typeClass);
      const fullTopic = this.resolve(topic);
      const qos = endpointQos(options);
      const messages: unknown[] = [];
      const decoded: unknown[] = [];
      const snapshots: unknown[] = [];
      const pub: FakePublisher = {
        topic,
        fullTopic,
        typeClass,
        options,
        qos,
        messages,
        decoded,
        snapshots,
        publish: sinon.spy((m: object) => {
          // the real publisher's handle is released with its node: rcl_publish fails
          if (this.destroyed)
            throw new Error(`Failed to publish on ${topic}: the node was destroyed`);
          type.check(m);
          const wire = type.roundTrip(m);
          messages.push(m);
          decoded.push(wire);
          snapshots.push(plain(wire));
          this.#graph.transmit(fullTopic, type, qos, m);
        }),
      };
      this.publishers.push(pub);
      return pub;
    },
  );

  readonly createSubscription = sinon.spy(
    (
      typeClass: string,
      topic: string,
      options: RclOptions,
      callback: (m: unknown) => void,
    ): RclSubscription => {
      rosMessageType(typeClass);
      const sub: FakeSubscription = {
        topic,
        fullTopic: this.resolve(topic),
        typeClass,
        options,
        qos: endpointQos(options),
        callback,
        queue: [],
        destroyed: false,
      };
      this.subscriptions.push(sub);
      return sub;
    },
  );

  readonly destroyPublisher = sinon.spy((): void => undefined);

  readonly destroySubscription = sinon.spy((s: RclSubscription) => {
    (s as FakeSubscription).destroyed = true;
  });

  readonly declareParameter = sinon.spy(
    (p: RclParameter, d?: RclParameterDescriptor, ignoreOverride = false): RclParameter => {
      const o = this.#overrides.get(p.name);
      // lib/node.js declareParameters: the override replaces the parameter as rcl typed it
      const declared = !ignoreOverride && o !== undefined ? o : p;
      if (this.params.has(declared.name)) {
        throw new Error(`Parameter(${declared.name}) already declared.`);
      }
      const descriptor = d ?? new FakeParameterDescriptor(p.name, p.type);
      if (declared.type !== descriptor.type) {
        throw new Error(
          `Parameter ${p.name}: type ${declared.type} does not match its descriptor's ${descriptor.type}`,
        );
      }
      this.params.set(declared.name, declared);
      this.descriptors.set(declared.name, descriptor);
      return declared;
    },
  );

  hasParameter(name: string): boolean {
    return this.params.has(name);
  }

  getParameter(name: string): RclParameter {
    return this.params.get(name) ?? new FakeParameter(name, ParameterType.PARAMETER_NOT_SET);
  }

  readonly setParameter = sinon.spy((p: RclParameter): RclSetParametersResult => {
    if (!this.params.has(p.name)) {
      return { successful: false, reason: `Parameter ${p.name} has not been declared` };
    }
    const d = this.descriptors.get(p.name);
    if (d?.readOnly === true) return { successful: false, reason: `${p.name} is read-only` };
    this.params.set(p.name, p);
    return { successful: true, reason: '' };
  });

  getClock(): RclClock {
    // rclnodejs's Node.destroy() sets its clock to null
    if (this.destroyed) return null as unknown as RclClock;
    return { now: () => ({ nanoseconds: this.clockNs }) };
  }

  /** lib/node.js spin(): throws when already spinning; callbacks run from then on. */
  readonly spin = sinon.spy((): void => {
    if (this.spinning) throw new Error('The node is already spinning.');
    this.spinning = true;
    this.wake();
  });

  readonly destroy = sinon.spy(() => {
    this.release();
  });

  /** What destroy() and rclnodejs.shutdown() do to the node. */
  release(): void {
    this.destroyed = true;
    this.spinning = false;
  }

  /** Schedule the callbacks of queued messages (rclnodejs's executor runs on the event loop). */
  wake(): void {
    if (!this.spinning || this.#draining) return;
    this.#draining = true;
    setImmediate(() => {
      this.#draining = false;
      this.#drain();
    });
  }

  #drain(): void {
    for (const s of this.subscriptions) {
      while (this.spinning && !s.destroyed && s.queue.length > 0) s.callback(s.queue.shift());
    }
  }

  /** Whether messages wait for a callback. */
  get pending(): boolean {
    return this.subscriptions.some((s) => !s.destroyed && s.queue.length > 0);
  }

  /**
   * Inject `msg` on `topic` (resolved in this node's namespace) as another node's publisher of
   * the subscribed type with `qos` (default: reliable, volatile, as `ros2 topic pub` and the
   * ros2_control broadcasters offer). Checked and serialised like a published message; the
   * callbacks run later, while the node spins (await settle()). Returns how many subscriptions
   * of the graph matched.
   */
  deliver(topic: string, msg: unknown, qos: Partial<EndpointQos> = {}): number {
    const fullTopic = this.resolve(topic);
    const sub = this.#graph.nodes
      .flatMap((n) => n.subscriptions)
      .find((s) => s.fullTopic === fullTopic && !s.destroyed);
    if (sub === undefined) return 0;
    const type = rosMessageType(sub.typeClass);
    type.check(msg);
    return this.#graph.transmit(fullTopic, type, { ...PROFILE_DEFAULT, ...qos }, msg);
  }

  publisher(topic: string): FakePublisher {
    const p = this.publishers.find((x) => x.topic === topic);
    if (p === undefined) throw new Error(`no publisher on ${topic}`);
    return p;
  }

  subscription(topic: string): FakeSubscription {
    const s = this.subscriptions.find((x) => x.topic === topic && !x.destroyed);
    if (s === undefined) throw new Error(`no subscription on ${topic}`);
    return s;
  }
}

/**
 * rclnodejs 2.2's LifecycleNode (lib/lifecycle.js) on the fake graph: rcl's default state machine
 * (test/helpers/ros2/rclLifecycle.ts), callbacks registered per transition state and run
 * synchronously, transition methods that throw when rcl refuses, and the ~/change_state and
 * ~/get_state services as changeStateService() / getStateService() (what `ros2 lifecycle set` /
 * `get` reach).
 */
export class FakeLifecycleNode extends FakeNode implements RclLifecycleNode {
  readonly machine: RclLifecycleMachine;

  constructor(
    name: string,
    namespace: string,
    graph: FakeGraph,
    overrides: readonly RosParameterOverride[],
    readonly rclLog: RclLogLine[],
  ) {
    super(name, namespace, graph, overrides);
    this.machine = new RclLifecycleMachine(rclLog);
  }

  get currentState(): LifecycleState {
    return this.machine.currentState;
  }

  registerOnConfigure(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.configuring.id, cb);
  }
  registerOnActivate(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.activating.id, cb);
  }
  registerOnDeactivate(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.deactivating.id, cb);
  }
  registerOnCleanup(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.cleaningup.id, cb);
  }
  registerOnShutdown(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.shuttingdown.id, cb);
  }
  registerOnError(cb: TransitionCallback): void {
    this.machine.callbacks.set(STATES.errorprocessing.id, cb);
  }

  configure(): LifecycleState {
    return this.#change('configure');
  }
  activate(): LifecycleState {
    return this.#change('activate');
  }
  deactivate(): LifecycleState {
    return this.#change('deactivate');
  }
  cleanup(): LifecycleState {
    return this.#change('cleanup');
  }
  shutdown(): LifecycleState {
    return this.#change('shutdown');
  }

  /**
   * A ~/change_state request from another node (`ros2 lifecycle set`, `ros2 service call`):
   * the response, or null when rclnodejs sends none (the error is in rclLog). Answered only while
   * the node spins, like every service.
   */
  async changeStateService(request: ChangeStateRequest): Promise<{ success: boolean } | null> {
    await this.#served();
    return this.machine.changeStateService(`${this.#base()}/change_state`, request);
  }

  /** A ~/get_state request. */
  async getStateService(): Promise<{ current_state: LifecycleState }> {
    await this.#served();
    return { current_state: this.currentState };
  }

  #change(label: string): LifecycleState {
    if (this.destroyed) throw new Error('The lifecycle node was destroyed');
    const { id, label: l } = this.machine.changeState(label);
    return { id, label: l };
  }

  #base(): string {
    return `${this.fullNamespace === '/' ? '' : this.fullNamespace}/${this.name}`;
  }

  async #served(): Promise<void> {
    if (this.destroyed) throw new Error(`${this.#base()}: no such service (the node is gone)`);
    if (!this.spinning) throw new Error(`${this.#base()}: the node does not spin`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** An rcl override as rclnodejs turns it into a Parameter (integers as bigint). */
function overrideParameter(o: RosParameterOverride): RclParameter {
  const T = ParameterType;
  const type =
    typeof o.value === 'boolean'
      ? T.PARAMETER_BOOL
      : typeof o.value === 'bigint'
        ? T.PARAMETER_INTEGER
        : typeof o.value === 'number'
          ? T.PARAMETER_DOUBLE
          : T.PARAMETER_STRING;
  return new FakeParameter(o.name, type, o.value);
}

/** Let every pending callback of `nodes` run (a few turns of the event loop). */
export async function settle(nodes: readonly FakeNode[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise<void>((r) => setImmediate(r));
    if (!nodes.some((n) => n.spinning && n.pending)) return;
  }
}

export interface FakeRclnodejs {
  readonly api: RclnodejsApi;
  readonly nodes: FakeNode[];
  readonly init: sinon.SinonSpy;
  readonly shutdown: sinon.SinonSpy;
  readonly createNode: sinon.SinonSpy;
  readonly createLifecycleNode: sinon.SinonSpy;
  readonly removeSignalHandlers: sinon.SinonSpy;
  /** What rcl and rclnodejs logged (lifecycle refusals, service errors). */
  readonly rclLog: RclLogLine[];
  /** The process gets SIGINT: rclnodejs's own handler, while installed, shuts everything down. */
  sigint(): void;
  /** The one node created (throws if none). */
  node(): FakeNode;
  /** The first lifecycle node created (throws if none). */
  lifecycleNode(): FakeLifecycleNode;
  /** Let pending callbacks run (on spinning nodes). */
  settle(): Promise<void>;
}

/** A fresh fake: one ROS graph; parameter overrides come from init's argv (--ros-args -p). */
export function fakeRclnodejs(): FakeRclnodejs {
  const graph = new FakeGraph();
  const nodes = graph.nodes;
  let initialised = false;
  let overrides: RosParameterOverride[] = [];
  const init = sinon.spy((_context?: unknown, argv: string[] = []): Promise<void> => {
    if (initialised) return Promise.reject(new Error('The context has already been initialized.'));
    try {
      overrides = parseRosArgs(argv);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    initialised = true;
    return Promise.resolve();
  });
  const shutdown = sinon.spy(() => {
    initialised = false;
    for (const n of nodes) n.release();
  });
  let signalHandler = true;
  const removeSignalHandlers = sinon.spy(() => {
    signalHandler = false;
  });
  const createNode = sinon.spy((name: string, namespace?: string): FakeNode => {
    if (!initialised) throw new Error('The context is not initialized.');
    const n = new FakeNode(name, namespace ?? '', graph, overrides);
    nodes.push(n);
    return n;
  });
  const rclLog: RclLogLine[] = [];
  const createLifecycleNode = sinon.spy((name: string, namespace?: string): FakeLifecycleNode => {
    if (!initialised) throw new Error('The context is not initialized.');
    const n = new FakeLifecycleNode(name, namespace ?? '', graph, overrides, rclLog);
    nodes.push(n);
    return n;
  });
  const api: RclnodejsApi = {
    init,
    createNode,
    createLifecycleNode,
    lifecycle: { CallbackReturnCode: CALLBACK_RETURN },
    shutdown,
    isShutdown: () => !initialised,
    removeSignalHandlers,
    QoS: FakeQoS,
    Parameter: FakeParameter,
    ParameterDescriptor: FakeParameterDescriptor,
    ParameterType,
  };
  return {
    api,
    nodes,
    init,
    shutdown,
    createNode,
    createLifecycleNode,
    removeSignalHandlers,
    rclLog,
    sigint: () => {
      if (signalHandler) shutdown();
    },
    node: () => {
      const n = nodes[0];
      if (n === undefined) throw new Error('no node created');
      return n;
    },
    lifecycleNode: () => {
      const n = nodes.find((x) => x instanceof FakeLifecycleNode);
      if (n === undefined) throw new Error('no lifecycle node created');
      return n;
    },
    settle: () => settle(nodes),
  };
}
