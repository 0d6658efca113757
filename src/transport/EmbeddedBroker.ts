/**
 * An in-process MQTT broker (aedes, MQTT 3.1.1) on a loopback TCP port: the default broker of
 * `strider run`, and the broker of the transport tests.
 */

import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';

export interface EmbeddedBrokerOptions {
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** TCP port; 0 (default) picks a free ephemeral port. */
  readonly port?: number;
  /** When both are set, clients must present them; anonymous clients are refused. */
  readonly username?: string;
  readonly password?: string;
  readonly logger?: Logger;
}

/**
 * Lifecycle: `EmbeddedBroker.start()`, then `close()`. `pause()` / `resume()` simulate a broker
 * outage for tests and drills: the listener and every connection go away, while sessions,
 * subscriptions, queued QoS 1 messages and retained messages stay (like a broker with persistence).
 */
export class EmbeddedBroker {
  readonly #aedes: Aedes;
  readonly #host: string;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port: number;
  #closed = false;

  private constructor(aedes: Aedes, host: string, port: number, log: Logger) {
    this.#aedes = aedes;
    this.#host = host;
    this.#port = port;
    this.#log = log;
  }

  /** Starts aedes and listens. Rejects IO when the port cannot be bound. */
  static async start(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const log = (options.logger ?? silentLogger()).child({ component: 'broker' });
    const { username, password } = options;
    if ((username === undefined) !== (password === undefined)) {
      throw new StriderError(
        'CONFIG_INVALID',
        'embedded broker: set both username and password, or neither',
      );
    }
    const aedes = await Aedes.createBroker(
      username !== undefined && password !== undefined
        ? {
            authenticate: (_client, user, pass, done) => {
              const ok =
                user !== undefined &&
                pass !== undefined &&
                same(user, username) &&
                same(pass, password);
              if (ok) {
                done(null, true);
                return;
              }
              // 4 = CONNACK "bad user name or password"; aedes declares the codes as an ambient
              // const enum, which cannot be imported at runtime.
              // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
              const err: AuthenticateError = Object.assign(new Error('bad username or password'), {
                returnCode: 4,
              });
              done(err, false);
            },
          }
        : {},
    );
    aedes.on('clientError', (client, err) => {
      log.debug({ client: client.id, err }, 'client error');
    });
    aedes.on('connectionError', (_client, err) => {
      log.debug({ err }, 'connection error');
    });
    const broker = new EmbeddedBroker(aedes, options.host ?? '127.0.0.1', options.port ?? 0, log);
    try {
      await broker.#listen();
    } catch (err) {
      await new Promise<void>((resolve) => {
        aedes.close(() => {
          resolve();
        });
      });
      throw err;
    }
    return broker;
  }

  /** `mqtt://host:port` of the listener. */
  get url(): string {
    return `mqtt://${this.#host}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** aedes speaks MQTT 3.1.1: clients of this broker use protocol version 4. */
  readonly protocolVersion = 4 as const;

  /** Clients currently connected. */
  get connectedClients(): number {
    return this.#aedes.connectedClients;
  }

  /** Stops listening and drops every connection; state is kept for {@link resume}. */
  async pause(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await closed;
    this.#log.info({ port: this.#port }, 'paused');
  }

  /** Listens again on the same port. */
  async resume(): Promise<void> {
    if (this.#closed || this.#server !== undefined) return;
    await this.#listen();
    this.#log.info({ port: this.#port }, 'resumed');
  }

  /** Closes every connection, the listener and aedes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.pause();
    this.#closed = true;
    await new Promise<void>((resolve) => {
      this.#aedes.close(() => {
        resolve();
      });
    });
  }

  #listen(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', (err) => {
        this.#log.debug({ err }, 'socket error');
      });
      this.#aedes.handle(socket);
    });
    return new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(
          new StriderError(
            'IO',
            `embedded broker cannot listen on ${this.#host}:${this.#port}: ${err.message}`,
            { cause: err },
          ),
        );
      });
      server.listen(this.#port, this.#host, () => {
        server.on('error', (err) => {
          this.#log.error({ err }, 'listener error');
        });
        const addr = server.address();
        if (addr !== null && typeof addr === 'object') this.#port = addr.port;
        this.#server = server;
        this.#log.info({ url: this.url }, 'listening');
        resolve();
      });
    });
  }
}

function same(a: string | Buffer, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
