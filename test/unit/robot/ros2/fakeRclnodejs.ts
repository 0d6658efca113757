import sinon from 'sinon';
import type {
  RclClock,
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
 * A sinon fake of the rclnodejs 2.x surface strider uses (src/robot/ros2/rclnodejsApi.ts).
 * It records what the link creates and lets a test deliver messages. Like the real library:
 * - a new node declares use_sim_time (false unless a --ros-args style override says otherwise);
 * - a destroyed node's publishers throw and its getClock() is null;
 * - the module comes with a SIGINT handler that shuts every context down (`sigint()` plays the
 *   signal) until removeSignalHandlers() is called.
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

export interface FakePublisher extends RclPublisher {
  readonly typeClass: string;
  readonly options: RclOptions | undefined;
  readonly messages: unknown[];
  /** JSON copies at publish time (messages are reused by the link). */
  readonly snapshots: unknown[];
}

export interface FakeSubscription extends RclSubscription {
  readonly typeClass: string;
  readonly options: RclOptions;
  readonly callback: (message: unknown) => void;
  destroyed: boolean;
}

function snapshot(msg: unknown): unknown {
  return JSON.parse(
    JSON.stringify(msg, (_k, v: unknown) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
    ),
  ) as unknown;
}

export class FakeNode implements RclNode {
  readonly publishers: FakePublisher[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  readonly params = new Map<string, RclParameter>();
  readonly descriptors = new Map<string, RclParameterDescriptor>();
  clockNs = 0n;
  destroyed = false;

  constructor(
    readonly name: string,
    readonly namespace: string,
    readonly overrides: ReadonlyMap<string, unknown>,
  ) {
    // The real node's TimeSource declares use_sim_time, taking a --ros-args override.
    const sim = overrides.get('use_sim_time');
    this.params.set(
      'use_sim_time',
      new FakeParameter('use_sim_time', ParameterType.PARAMETER_BOOL, sim === true),
    );
  }

  readonly createPublisher = sinon.spy(
    (typeClass: string, topic: string, options?: RclOptions): RclPublisher => {
      const messages: unknown[] = [];
      const snapshots: unknown[] = [];
      const pub: FakePublisher = {
        topic,
        typeClass,
        options,
        messages,
        snapshots,
        publish: sinon.spy((m: object) => {
          // the real publisher's handle is released with its node: rcl_publish fails
          if (this.destroyed) throw new Error(`Failed to publish on ${topic}: the node was destroyed`);
          messages.push(m);
          snapshots.push(snapshot(m));
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
      const sub: FakeSubscription = { topic, typeClass, options, callback, destroyed: false };
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
      if (this.params.has(p.name)) throw new Error(`Parameter ${p.name} already declared`);
      const value =
        !ignoreOverride && this.overrides.has(p.name) ? this.overrides.get(p.name) : p.value;
      const declared = new FakeParameter(p.name, p.type, value);
      this.params.set(p.name, declared);
      this.descriptors.set(p.name, d ?? new FakeParameterDescriptor(p.name, p.type));
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

  readonly spin = sinon.spy((): void => undefined);

  readonly destroy = sinon.spy(() => {
    this.destroyed = true;
  });

  /** Deliver `msg` to every live subscription of `topic`. Returns how many got it. */
  deliver(topic: string, msg: unknown): number {
    let n = 0;
    for (const s of this.subscriptions) {
      if (s.topic === topic && !s.destroyed) {
        s.callback(msg);
        n++;
      }
    }
    return n;
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

export interface FakeRclnodejs {
  readonly api: RclnodejsApi;
  readonly nodes: FakeNode[];
  readonly init: sinon.SinonSpy;
  readonly shutdown: sinon.SinonSpy;
  readonly createNode: sinon.SinonSpy;
  readonly removeSignalHandlers: sinon.SinonSpy;
  /** The process gets SIGINT: rclnodejs's own handler, while installed, shuts everything down. */
  sigint(): void;
  /** The one node created (throws if none). */
  node(): FakeNode;
}

/** A fresh fake; `overrides` play the part of --ros-args -p name:=value. */
export function fakeRclnodejs(overrides: Record<string, unknown> = {}): FakeRclnodejs {
  const nodes: FakeNode[] = [];
  let initialised = false;
  const init = sinon.spy((): Promise<void> => {
    if (initialised) return Promise.reject(new Error('The context has already been initialized.'));
    initialised = true;
    return Promise.resolve();
  });
  const shutdown = sinon.spy(() => {
    initialised = false;
    for (const n of nodes) n.destroyed = true;
  });
  let signalHandler = true;
  const removeSignalHandlers = sinon.spy(() => {
    signalHandler = false;
  });
  const createNode = sinon.spy((name: string, namespace?: string): FakeNode => {
    const n = new FakeNode(name, namespace ?? '', new Map(Object.entries(overrides)));
    nodes.push(n);
    return n;
  });
  const api: RclnodejsApi = {
    init,
    createNode,
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
    removeSignalHandlers,
    sigint: () => {
      if (signalHandler) shutdown();
    },
    node: () => {
      const n = nodes[0];
      if (n === undefined) throw new Error('no node created');
      return n;
    },
  };
}
