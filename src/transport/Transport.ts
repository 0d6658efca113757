/**
 * The MQTT client every strider process uses: one connection to one broker (embedded aedes or
 * any external broker by URL), persistent session, reconnect with exponential backoff, typed
 * events, and topic-filter dispatch of incoming messages to handlers.
 */

import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { topicMatches } from './topics.js';
import { Throttle } from './Throttle.js';

/** TLS material for mqtts:// and wss:// (PEM strings or buffers). */
export interface TransportTlsOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Verify the broker's certificate against `ca` / the system store. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/** A last-will message the broker publishes if this client vanishes. */
export interface TransportWill {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface TransportOptions {
  /** mqtt://host:port, mqtts://, ws://, wss://. */
  readonly url: string;
  /** Stable client id: the broker keys the persistent session by it. */
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: TransportTlsOptions;
  /** 5 (MQTT 5, default) or 4 (3.1.1: aedes, older brokers). */
  readonly protocolVersion?: 4 | 5;
  /**
   * 'persistent' (default): clean start off, the broker keeps subscriptions and queued QoS 1
   * messages while we are away (for `sessionExpirySec` under MQTT 5). 'clean': a fresh session.
   */
  readonly session?: 'persistent' | 'clean';
  /** MQTT 5 session expiry for persistent sessions. Default 86400 (one day). */
  readonly sessionExpirySec?: number;
  /** Keep-alive interval. Default 30. */
  readonly keepaliveSec?: number;
  /** Time allowed for the TCP/TLS/WebSocket connect plus CONNACK. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** First reconnect delay; doubles per failed attempt up to `reconnectMaxMs`. Default 250. */
  readonly reconnectMinMs?: number;
  /** Default 10000. */
  readonly reconnectMaxMs?: number;
  readonly will?: TransportWill;
  readonly logger?: Logger;
}

/** Per-message metadata handed to subscription handlers. */
export interface MessageInfo {
  readonly retain: boolean;
  readonly qos: 0 | 1 | 2;
}

/** A subscription handler. `payload` is owned by the handler. Exceptions are caught and logged. */
export type MessageHandler = (topic: string, payload: Buffer, info: MessageInfo) => void;

/** Events of a {@link Transport}. */
export interface TransportEvents {
  /** CONNACK accepted. `sessionPresent`: the broker resumed our persistent session. */
  connect: [info: { sessionPresent: boolean }];
  /** The connection was lost (or an attempt failed); a reconnect is scheduled unless closed. */
  offline: [];
  /**
   * Connection problems (BROKER_UNREACHABLE: network; BROKER_REFUSED: the broker refused the
   * CONNECT, no further attempts). Always logged; listening is optional.
   */
  error: [err: StriderError];
}

/** MQTT CONNACK reason codes that may clear by themselves (server unavailable/busy/quota). */
const TRANSIENT_CONNACK = new Set([3, 136, 137, 151]);

/** Bytes of messages held for a subscription still to come (see Transport#early). */
const EARLY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * One MQTT connection. Lifecycle: construct, `start()` (non-blocking), use, `close()`.
 * Publishing and subscribing never block the caller; QoS 1 completion is reported via callbacks.
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #log: Logger;
  readonly #events = new EventEmitter();
  readonly #subs: { filter: string; handler: MessageHandler }[] = [];
  /**
   * Messages no subscription matched yet, oldest first, at most EARLY_LIMIT_BYTES: a resumed
   * session gets its queued messages right after CONNACK, before the client has subscribed again
   * (mqtt.js acknowledges them all the same). Each goes to the first subscription that matches it.
   */
  readonly #early: { topic: string; payload: Buffer; info: MessageInfo }[] = [];
  #earlyBytes = 0;
  readonly #throttle = new Throttle(5000);
  #client: MqttClient | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #state: 'idle' | 'running' | 'refused' | 'closed' = 'idle';
  #refusal: StriderError | undefined;
  #connects = 0;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger()).child({
      component: 'transport',
      clientId: options.clientId,
    });
    // Errors are always observed here, so an unobserved 'error' can never crash the process.
    this.#events.on('error', (err: StriderError) => {
      if (this.#throttle.allow(err.code)) this.#log.warn({ code: err.code }, err.message);
    });
  }

  /** True while a CONNACK-accepted connection is up. */
  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Times a connection was accepted (1 after the first connect). */
  get connectCount(): number {
    return this.#connects;
  }

  /** The MQTT protocol version in use. */
  get protocolVersion(): 4 | 5 {
    return this.#options.protocolVersion ?? 5;
  }

  on<K extends keyof TransportEvents>(
    event: K,
    listener: (...args: TransportEvents[K]) => void,
  ): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof TransportEvents>(
    event: K,
    listener: (...args: TransportEvents[K]) => void,
  ): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Starts connecting (and reconnecting) in the background. Idempotent. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    const o = this.#options;
    const persistent = (o.session ?? 'persistent') === 'persistent';
    const v5 = this.protocolVersion === 5;
    const opts: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: this.protocolVersion,
      clean: !persistent,
      keepalive: o.keepaliveSec ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // We reconnect ourselves, with backoff; mqtt.js's fixed-period timer stays off.
      reconnectPeriod: 0,
      manualConnect: true,
      resubscribe: true,
      queueQoSZero: false,
    };
    if (v5 && persistent) opts.properties = { sessionExpiryInterval: o.sessionExpirySec ?? 86_400 };
    if (o.username !== undefined) opts.username = o.username;
    if (o.password !== undefined) opts.password = o.password;
    if (o.will !== undefined) {
      opts.will = {
        topic: o.will.topic,
        payload: o.will.payload,
        qos: o.will.qos,
        retain: o.will.retain,
      };
    }
    const tls = o.tls;
    if (tls !== undefined) {
      if (tls.ca !== undefined) opts.ca = tls.ca;
      if (tls.cert !== undefined) opts.cert = tls.cert;
      if (tls.key !== undefined) opts.key = tls.key;
      opts.rejectUnauthorized = tls.rejectUnauthorized ?? true;
    }
    const client = connect(o.url, opts);
    this.#client = client;
    client.on('connect', (packet) => {
      this.#attempt = 0;
      this.#connects++;
      this.#log.info({ url: o.url, sessionPresent: packet.sessionPresent }, 'connected');
      this.#events.emit('connect', { sessionPresent: packet.sessionPresent });
    });
    client.on('close', () => {
      this.#onClose();
    });
    client.on('error', (err: Error & { code?: string | number }) => {
      this.#onError(err);
    });
    client.on('message', (topic, payload, packet) => {
      this.#dispatch(topic, payload, { retain: packet.retain, qos: packet.qos });
    });
    client.connect();
  }

  /**
   * Resolves once connected; rejects with BROKER_REFUSED when the broker refuses us and
   * BROKER_UNREACHABLE after `timeoutMs` (default 10000) or when closed first.
   */
  waitConnected(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#refusal !== undefined) return Promise.reject(this.#refusal);
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: StriderError): void => {
        clearTimeout(timer);
        this.off('connect', onConnect);
        this.off('error', onError);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onConnect = (): void => {
        done();
      };
      const onError = (err: StriderError): void => {
        if (err.code === 'BROKER_REFUSED' || this.#state === 'closed') done(err);
      };
      const timer = setTimeout(() => {
        done(
          new StriderError(
            'BROKER_UNREACHABLE',
            `no connection to ${this.#options.url} within ${timeoutMs} ms`,
            {
              context: { url: this.#options.url },
            },
          ),
        );
      }, timeoutMs);
      this.on('connect', onConnect);
      this.on('error', onError);
    });
  }

  /**
   * Publishes without blocking. QoS 1: `done` runs on PUBACK (or with an error when the message
   * could not be delivered on this connection, e.g. when closing). mqtt.js keeps unacknowledged
   * QoS 1 messages across reconnects and resends them first. Calling while offline queues inside
   * mqtt.js (unbounded): callers that must bound memory check {@link connected} first.
   */
  publish(
    topic: string,
    payload: Buffer,
    options: { qos: 0 | 1; retain?: boolean },
    done?: (err: Error | undefined) => void,
  ): void {
    const client = this.#client;
    if (client === undefined || this.#state === 'closed') {
      done?.(
        new StriderError(
          'BROKER_UNREACHABLE',
          `transport not started or closed; cannot publish ${topic}`,
        ),
      );
      return;
    }
    const opts: IClientPublishOptions = { qos: options.qos, retain: options.retain ?? false };
    client.publish(topic, payload, opts, (err) => {
      done?.(err ?? undefined);
    });
  }

  /** Promise form of {@link publish}. */
  publishAsync(
    topic: string,
    payload: Buffer,
    options: { qos: 0 | 1; retain?: boolean },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.publish(topic, payload, options, (err) => {
        if (err === undefined) resolve();
        else reject(err);
      });
    });
  }

  /**
   * Subscribes `handler` to `filter` (wildcards and `$share/<group>/...` allowed) and resolves on
   * SUBACK; rejects BROKER_REFUSED when the broker refuses the subscription. The subscription is
   * renewed automatically after a reconnect without a resumed session. Returns an unsubscriber.
   */
  async subscribe(
    filter: string,
    qos: 0 | 1,
    handler: MessageHandler,
  ): Promise<() => Promise<void>> {
    const client = this.#client;
    if (client === undefined || this.#state === 'closed') {
      throw new StriderError(
        'BROKER_UNREACHABLE',
        `transport not started or closed; cannot subscribe ${filter}`,
      );
    }
    const entry = { filter, handler };
    this.#subs.push(entry);
    this.#replayEarly(entry);
    let grants;
    try {
      grants = await client.subscribeAsync(filter, { qos });
    } catch (err) {
      this.#removeSub(entry);
      throw new StriderError('BROKER_UNREACHABLE', `subscribe ${filter} failed: ${String(err)}`, {
        cause: err,
      });
    }
    const refused = grants.find((g) => g.qos === 128 || g.qos > 2);
    if (refused !== undefined) {
      this.#removeSub(entry);
      throw new StriderError('BROKER_REFUSED', `broker refused the subscription to ${filter}`, {
        context: { filter },
      });
    }
    return async () => {
      this.#removeSub(entry);
      if (this.#state === 'running' && !this.#subs.some((s) => s.filter === filter)) {
        await client.unsubscribeAsync(filter);
      }
    };
  }

  /**
   * Disconnects and frees the socket and timers. Graceful (DISCONNECT sent, pending acks given
   * up to `graceMs`, default 1000) when connected, immediate otherwise. Idempotent.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    if (client === undefined) return;
    const graceMs = options.graceMs ?? 1000;
    await new Promise<void>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        client.end(true, finish);
      }, graceMs);
      client.end(!client.connected, finish);
    });
    this.#subs.length = 0;
    client.removeAllListeners('message');
  }

  #removeSub(entry: { filter: string; handler: MessageHandler }): void {
    const i = this.#subs.indexOf(entry);
    if (i >= 0) this.#subs.splice(i, 1);
  }

  #dispatch(topic: string, payload: Buffer, info: MessageInfo): void {
    let matched = false;
    for (const s of this.#subs) {
      if (!topicMatches(s.filter, topic)) continue;
      matched = true;
      this.#deliver(s, topic, payload, info);
    }
    if (matched) return;
    if (this.#earlyBytes + payload.length <= EARLY_LIMIT_BYTES) {
      this.#early.push({ topic, payload, info });
      this.#earlyBytes += payload.length;
    } else if (this.#throttle.allow('early')) {
      this.#log.warn({ topic }, 'message for no subscription, over the hold limit; dropped');
    }
  }

  /** Hands the held messages `entry` matches to it, in arrival order. */
  #replayEarly(entry: { filter: string; handler: MessageHandler }): void {
    if (this.#early.length === 0) return;
    const keep: { topic: string; payload: Buffer; info: MessageInfo }[] = [];
    for (const m of this.#early.splice(0)) {
      if (topicMatches(entry.filter, m.topic)) {
        this.#earlyBytes -= m.payload.length;
        this.#deliver(entry, m.topic, m.payload, m.info);
      } else keep.push(m);
    }
    this.#early.push(...keep);
  }

  #deliver(
    s: { filter: string; handler: MessageHandler },
    topic: string,
    payload: Buffer,
    info: MessageInfo,
  ): void {
    try {
      s.handler(topic, payload, info);
    } catch (err) {
      if (this.#throttle.allow('handler')) {
        this.#log.error({ err, topic }, 'message handler threw; message skipped');
      }
    }
  }

  #onError(err: Error & { code?: string | number }): void {
    if (typeof err.code === 'number' && !TRANSIENT_CONNACK.has(err.code)) {
      // CONNACK refusal (bad credentials, not authorized, protocol): retrying will not help.
      this.#refusal = new StriderError(
        'BROKER_REFUSED',
        `broker ${this.#options.url} refused the connection: ${err.message} (reason code ${err.code})`,
        { cause: err, context: { url: this.#options.url, reasonCode: err.code } },
      );
      if (this.#state === 'running') this.#state = 'refused';
      this.#events.emit('error', this.#refusal);
      return;
    }
    this.#events.emit(
      'error',
      new StriderError('BROKER_UNREACHABLE', `broker ${this.#options.url}: ${err.message}`, {
        cause: err,
      }),
    );
  }

  #onClose(): void {
    this.#events.emit('offline');
    if (this.#state !== 'running' || this.#reconnectTimer !== undefined) return;
    const min = this.#options.reconnectMinMs ?? 250;
    const max = this.#options.reconnectMaxMs ?? 10_000;
    const base = Math.min(max, min * 2 ** Math.min(this.#attempt, 20));
    // +-20 % jitter so a fleet does not reconnect in lockstep after a broker restart.
    const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'running') this.#client?.connect();
    }, delay);
  }
}
