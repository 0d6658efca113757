import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../util/logger.js';
import { StriderError } from '../../util/StriderError.js';

/**
 * Serves a prom-client Registry as Prometheus text at GET /metrics (node:http; anything else is
 * 404). Collecting runs at scrape time, on the event loop between ticks.
 */
export class MetricsServer {
  readonly #server: Server;
  readonly #log: Logger;

  private constructor(server: Server, logger: Logger) {
    this.#server = server;
    this.#log = logger;
  }

  /**
   * Listens on host:port (port 0: a free port). Rejects METRICS_UNAVAILABLE when it cannot listen
   * (the port is in use, the address is not this machine's).
   */
  static async listen(
    registry: Registry,
    options: { host: string; port: number; logger: Logger },
  ): Promise<MetricsServer> {
    const log = options.logger;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) => {
        reject(
          new StriderError(
            'METRICS_UNAVAILABLE',
            `metrics endpoint cannot listen on ${options.host}:${options.port}: ${cause.code ?? cause.message}`,
            { cause },
          ),
        );
      });
      server.listen(options.port, options.host, () => {
        resolve();
      });
    });
    server.on('error', (err) => {
      log.error({ err }, 'metrics endpoint error');
    });
    return new MetricsServer(server, log);
  }

  /** The address it listens on (the actual port when 0 was asked for). */
  get address(): { host: string; port: number } {
    const a = this.#server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
    this.#log.debug('metrics endpoint closed');
  }
}
