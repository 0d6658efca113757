import { Registry } from 'prom-client';
import type { LatencyHistogram } from '../LatencyHistogram.js';

/** Upper bounds (seconds) of the tick latency histogram's buckets, +Inf added. */
export const TICK_LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1,
] as const;

/**
 * Where the figures come from: getters over counters the controller keeps anyway, read at
 * scrape time (nothing is added to the tick). Each is optional: a part not running yet (no
 * trainer) or at all (no MPC) leaves its series out.
 */
export interface ControllerMetricSources {
  readonly loop?: () => {
    readonly ticks: number;
    readonly misses: number;
    readonly fallbacks: number;
    readonly waiting: number;
    readonly held: number;
  };
  readonly latency?: LatencyHistogram;
  readonly gate?: () => {
    readonly safeCommands: number;
    readonly clamps: number;
    readonly latches: number;
    readonly sendErrors: number;
  };
  /** Ticks per safety gate verdict (ok, clamped, stale, waiting, ...), zeros included. */
  readonly gateVerdicts?: () => Readonly<Record<string, number>>;
  /** The distilled policy's version while a DAgger policy acts (null: no learner yet). */
  readonly policyVersion?: () => number | null | undefined;
  /** The model version the serving policy plans with; null with random actions. */
  readonly modelVersion?: () => number | null;
  /** Planner ticks that missed their deadline (the fallback action went out). */
  readonly plannerMissed?: () => number;
  readonly swaps?: () => readonly { readonly decision: string }[];
  readonly outbox?: () => {
    readonly queued: number;
    readonly published: number;
    readonly spooled: number;
    readonly dropped: number;
  };
  readonly trainer?: () => { readonly up: boolean; readonly restarts: number };
  /** The newest model received from the trainer: its fit's figures. */
  readonly lastModel?: () => {
    readonly version: number;
    readonly train_loss: number;
    readonly val_loss: number;
    readonly train_seconds: number;
  } | null;
}

/**
 * The controller's Prometheus series (strider_*) in a Registry of their own; docs/metrics.md
 * lists them. Sources are attached as the parts come up (attach()).
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  #s: ControllerMetricSources = {};

  constructor() {
    const src = (): ControllerMetricSources => this.#s;
    // read at scrape time; a source that is not attached (undefined) leaves the series without
    // samples (prom-client's own Counter and Gauge would print 0 for an unlabelled one)
    const register = (
      name: string,
      help: string,
      type: 'counter' | 'gauge',
      read: () => readonly MetricValue[] | undefined,
    ): void => {
      this.registry.registerMetric(scrapedMetric(name, help, type, read));
    };
    const one = (read: () => number | undefined) => (): MetricValue[] | undefined => {
      const v = read();
      return v === undefined ? undefined : [{ labels: {}, value: v }];
    };
    const counter = (name: string, help: string, read: () => number | undefined): void => {
      register(name, help, 'counter', one(read));
    };
    const gauge = (name: string, help: string, read: () => number | undefined): void => {
      register(name, help, 'gauge', one(read));
    };
    const labelled = (
      name: string,
      help: string,
      label: string,
      read: () => Readonly<Record<string, number>> | undefined,
    ): void => {
      register(name, help, 'counter', () => {
        const v = read();
        return v === undefined
          ? undefined
          : Object.entries(v).map(([k, n]) => ({ labels: { [label]: k }, value: n }));
      });
    };

    counter('strider_ticks_total', 'control ticks run in episodes', () => src().loop?.().ticks);
    counter('strider_tick_misses_total', 'ticks over the tick budget', () => src().loop?.().misses);
    counter(
      'strider_held_ticks_total',
      'ticks between episodes on a robot (safe command)',
      () => src().loop?.().held,
    );
    labelled(
      'strider_fallbacks_total',
      'ticks that did not send the policy\u2019s fresh action, by kind',
      'kind',
      () => {
        const l = src().loop?.();
        if (l === undefined) return undefined;
        const out: Record<string, number> = {
          waiting_state: l.waiting,
          safe_command: l.fallbacks - l.waiting,
        };
        const missed = src().plannerMissed?.();
        if (missed !== undefined) out['planner_missed'] = missed;
        return out;
      },
    );
    labelled(
      'strider_gate_verdicts_total',
      'control ticks by safety gate verdict: ok and clamped (the policy\u2019s command went out), the rest the safe command or nothing (docs/safety.md)',
      'verdict',
      () => src().gateVerdicts?.(),
    );
    counter(
      'strider_gate_safe_commands_total',
      'safe commands the safety gate sent or withheld',
      () => src().gate?.().safeCommands,
    );
    counter(
      'strider_gate_send_errors_total',
      'commands the robot link refused',
      () => src().gate?.().sendErrors,
    );
    counter(
      'strider_gate_latches_total',
      'faults the safety gate latched',
      () => src().gate?.().latches,
    );
    gauge(
      'strider_model_version',
      'model version the serving policy plans with (0: random actions)',
      () => {
        const f = src().modelVersion;
        return f === undefined ? undefined : (f() ?? 0);
      },
    );
    gauge(
      'strider_policy_version',
      'distilled policy version a DAgger policy acts with (0: none yet); absent without DAgger',
      () => {
        const v = src().policyVersion?.();
        return v === null ? 0 : v;
      },
    );
    labelled(
      'strider_model_swaps_total',
      'hot-swap decisions on model versions: accepted, rejected, rolled_back',
      'decision',
      () => {
        const d = src().swaps?.();
        if (d === undefined) return undefined;
        const out: Record<string, number> = { accepted: 0, rejected: 0, rolled_back: 0 };
        for (const x of d) out[x.decision] = (out[x.decision] ?? 0) + 1;
        return out;
      },
    );
    counter(
      'strider_transitions_queued_total',
      'transitions pushed to the outbox',
      () => src().outbox?.().queued,
    );
    counter(
      'strider_transitions_published_total',
      'transitions the broker acknowledged',
      () => src().outbox?.().published,
    );
    counter(
      'strider_transitions_spooled_total',
      'transitions written to the disk spool',
      () => src().outbox?.().spooled,
    );
    counter(
      'strider_transitions_dropped_total',
      'transitions lost (spool at its disk limit)',
      () => src().outbox?.().dropped,
    );
    gauge(
      'strider_trainer_up',
      'the child trainer is running and subscribed (1) or not (0)',
      () => {
        const t = src().trainer?.();
        return t === undefined ? undefined : t.up ? 1 : 0;
      },
    );
    counter(
      'strider_trainer_restarts_total',
      'restarts of a crashed child trainer',
      () => src().trainer?.().restarts,
    );
    gauge(
      'strider_trainer_model_version',
      'newest model version received from the trainer',
      () => src().lastModel?.()?.version,
    );
    gauge(
      'strider_trainer_fit_seconds',
      'training time of the newest model received',
      () => src().lastModel?.()?.train_seconds,
    );
    gauge(
      'strider_trainer_train_loss',
      'final training loss of the newest model received',
      () => src().lastModel?.()?.train_loss,
    );
    gauge(
      'strider_trainer_val_loss',
      'held-out loss of the newest model received',
      () => src().lastModel?.()?.val_loss,
    );
    // the controller process's memory, read at scrape time (the soak bench samples these to tell
    // V8's heap from native memory in an RSS step)
    const memory = (pick: (m: NodeJS.MemoryUsage) => number) => (): number =>
      pick(process.memoryUsage());
    gauge(
      'strider_resident_memory_bytes',
      'resident set size of the controller process',
      memory((m) => m.rss),
    );
    gauge(
      'strider_heap_total_bytes',
      'V8 heap reserved (all spaces)',
      memory((m) => m.heapTotal),
    );
    gauge(
      'strider_heap_used_bytes',
      'V8 heap in use',
      memory((m) => m.heapUsed),
    );
    gauge(
      'strider_external_memory_bytes',
      'memory outside the V8 heap held by JavaScript objects (ArrayBuffers included)',
      memory((m) => m.external),
    );
    this.registry.registerMetric(tickLatencyHistogram(() => src().latency));
  }

  /** Adds (or replaces) sources; the next scrape reads them. */
  attach(sources: ControllerMetricSources): void {
    this.#s = { ...this.#s, ...sources };
  }
}

/** One sample of a series read at scrape time. */
interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** A counter or gauge whose samples `read` gives at scrape time (none when undefined). */
function scrapedMetric(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  read: () => readonly MetricValue[] | undefined,
): Parameters<Registry['registerMetric']>[0] {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () =>
      Promise.resolve({ name, help, type, aggregator: 'sum', values: [...(read() ?? [])] }),
  };
  return metric as unknown as Parameters<Registry['registerMetric']>[0];
}

/**
 * strider_tick_latency_seconds as a Prometheus histogram read from the LatencyHistogram the loop
 * records into anyway: its log bins (2% wide) are summed into the buckets above, a bin counted in
 * the first bucket whose bound is at or above its upper edge (so a bucket may hold ticks up to 2%
 * over its bound, never under).
 */
function tickLatencyHistogram(
  latency: () => LatencyHistogram | undefined,
): Parameters<Registry['registerMetric']>[0] {
  const name = 'strider_tick_latency_seconds';
  const help = 'control tick latency (state read to command sent)';
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => {
      const h = latency();
      const values: {
        metricName: string;
        labels: Record<string, string | number>;
        value: number;
      }[] = [];
      if (h !== undefined) {
        const counts = new Array<number>(TICK_LATENCY_BUCKETS_S.length).fill(0);
        for (const [, upperMs, count] of h.bins()) {
          const i = TICK_LATENCY_BUCKETS_S.findIndex((b) => upperMs / 1000 <= b);
          if (i >= 0) counts[i]! += count;
        }
        let cumulative = 0;
        TICK_LATENCY_BUCKETS_S.forEach((b, i) => {
          cumulative += counts[i]!;
          values.push({ metricName: `${name}_bucket`, labels: { le: b }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count });
        values.push({ metricName: `${name}_sum`, labels: {}, value: (h.meanMs * h.count) / 1000 });
        values.push({ metricName: `${name}_count`, labels: {}, value: h.count });
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  };
  return metric as unknown as Parameters<Registry['registerMetric']>[0];
}
