import type { MetricsConfig } from '../config/index.js';
import { DaggerPolicy } from '../control/DaggerPolicy.js';
import type { HotSwap } from '../learning/index.js';
import type { MpcPolicyStats } from '../planning/MpcPolicy.js';
import { ControllerMetrics } from '../telemetry/metrics/ControllerMetrics.js';
import { MetricsServer } from '../telemetry/metrics/MetricsServer.js';
import type { Logger } from '../util/logger.js';
import type { ModelSupply } from './ModelSupply.js';
import type { RunSession } from './RunSession.js';

/**
 * The Prometheus endpoint of `strider run` (metrics.enabled): the series of ControllerMetrics,
 * fed from the session, the hot-swap gate and the trainer as they come up. A port that cannot be
 * bound is logged (METRICS_UNAVAILABLE) and the run goes on without metrics.
 */
export class RunMetrics {
  readonly metrics: ControllerMetrics;
  readonly #server: MetricsServer;

  private constructor(metrics: ControllerMetrics, server: MetricsServer) {
    this.metrics = metrics;
    this.#server = server;
  }

  /** Null when metrics are off or the endpoint cannot listen (logged). */
  static async start(config: MetricsConfig, logger: Logger): Promise<RunMetrics | null> {
    if (!config.enabled) return null;
    const metrics = new ControllerMetrics();
    try {
      const server = await MetricsServer.listen(metrics.registry, {
        host: config.host,
        port: config.port,
        logger,
      });
      const run = new RunMetrics(metrics, server);
      const { host, port } = server.address;
      logger.info({ url: `http://${host}:${port}/metrics` }, 'metrics endpoint listening');
      return run;
    } catch (err) {
      logger.error({ err }, 'metrics endpoint not started; control goes on without it');
      return null;
    }
  }

  /** The address the endpoint listens on. */
  get address(): { host: string; port: number } {
    return this.#server.address;
  }

  /** The control loop, tick latency, safety gate (per verdict), model and policy versions. */
  attachSession(session: RunSession): void {
    const { loop, gate, policy } = session.parts;
    this.metrics.attach({
      loop: () => loop.stats,
      latency: session.latency,
      gate: () => gate.status(),
      gateVerdicts: () => gate.verdictCounts(),
      modelVersion: () => policy.modelVersion ?? null,
      policyVersion: () =>
        policy.current instanceof DaggerPolicy
          ? (policy.current.learner?.version ?? null)
          : undefined,
    });
  }

  /** The learning side: swap decisions, planner misses, the outbox and the child trainer. */
  attachLearning(swap: HotSwap, planner: MpcPolicyStats, supply: ModelSupply): void {
    const remote = supply.remote;
    this.metrics.attach({
      swaps: () => swap.decisions,
      plannerMissed: () => planner.missed,
      ...(remote === null
        ? {}
        : {
            outbox: () => remote.outboxCounters,
            lastModel: () => {
              const m = remote.models.newest;
              return m === null ? null : { version: m.version, ...m.metrics };
            },
            ...(remote.trainer === null
              ? {}
              : {
                  trainer: () => ({
                    up: remote.trainer?.state === 'ready',
                    restarts: remote.trainer?.restarts ?? 0,
                  }),
                }),
          }),
    });
  }

  async close(): Promise<void> {
    await this.#server.close();
  }
}
