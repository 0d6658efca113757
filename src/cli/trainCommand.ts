import { readdirSync, writeFileSync } from 'node:fs';
import { getPriority, hostname, setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, resolveRunMode } from '../config/index.js';
import { TrainerService, type PublishedModel } from '../trainer/index.js';
import { Topics, Transport, encodeStatus, type TransportOptions } from '../transport/index.js';
import { brokerAuthFromConfig, PASSWORD_ENV } from '../transport/transportFromConfig.js';
import type { Logger } from '../util/logger.js';
import { StriderError, isStriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { createRunLogger, DEFAULT_CONFIG, prepareOutDir, timestamp } from './runCommand.js';

/** Environment variables `strider train` reads (documented in `strider train --help`). */
export const TRAIN_ENV = {
  /** Broker password; takes precedence over transport.password. */
  password: PASSWORD_ENV,
  /** 4 or 5: use this MQTT protocol version and skip detection (`strider run` sets 4 for aedes). */
  protocol: 'STRIDER_MQTT_PROTOCOL',
  /** MQTT client id (the broker keys the persistent session by it). */
  clientId: 'STRIDER_MQTT_CLIENT_ID',
} as const;

/** The trainer's JSON report (`--report FILE`, default OUT/report.json). */
export interface TrainReport {
  strider: string;
  command: 'train';
  status: 'stopped';
  started_at: string;
  finished_at: string;
  config: string;
  broker: string;
  protocol_version: 4 | 5;
  client_id: string;
  subscription: string;
  status_topic: string;
  data_dir: string;
  nice: { requested: number; before: number | null; after: number | null };
  counters: Record<string, number>;
  robots: Record<
    string,
    {
      state_dim: number;
      action_dim: number;
      episodes: { rand: number; rl: number };
      transitions: { rand: number; rl: number };
      model_version: number;
    }
  >;
  models: PublishedModel[];
}

/**
 * Lowers this process's OS priority by `increment` (nice). On Linux `setpriority` acts per
 * thread, so every thread already running (libuv, V8 helpers) is lowered through
 * /proc/self/task; threads started later (ONNX Runtime's pool) inherit the value. Logs the
 * outcome; never throws.
 */
export function lowerProcessPriority(
  increment: number,
  logger: Logger,
): { before: number | null; after: number | null } {
  let before: number | null = null;
  try {
    before = getPriority(0);
  } catch (err) {
    logger.warn({ err }, 'cannot read the process priority');
    return { before, after: null };
  }
  if (increment === 0) return { before, after: before };
  const target = Math.min(19, before + increment);
  let tids: number[] = [];
  try {
    tids = readdirSync('/proc/self/task').map(Number).filter(Number.isInteger);
  } catch {
    tids = []; // not Linux: one call for the whole process
  }
  let lowered = 0;
  let failed = 0;
  for (const tid of tids.length > 0 ? tids : [0]) {
    try {
      setPriority(tid, target);
      lowered++;
    } catch (err) {
      failed++;
      logger.debug({ tid, err }, 'setPriority failed for a thread');
    }
  }
  const after = getPriority(0);
  logger.info(
    { requested: increment, before, after, threads: lowered, failed },
    'trainer priority lowered (nice)',
  );
  return { before, after };
}

/**
 * Connects to the broker. The protocol version is STRIDER_MQTT_PROTOCOL when set; otherwise MQTT
 * 5 first and, when the broker answers "unacceptable protocol version" (CONNACK 1, aedes and
 * other 3.1.1-only brokers; 132 in MQTT 5 terms), MQTT 3.1.1 (4).
 */
export async function connect(
  base: Omit<TransportOptions, 'protocolVersion'>,
  fixed: 4 | 5 | undefined,
  timeoutMs: number,
  logger: Logger,
): Promise<Transport> {
  const versions: (4 | 5)[] = fixed === undefined ? [5, 4] : [fixed];
  for (let i = 0; ; i++) {
    const v = versions[i] ?? 4;
    const t = new Transport({ ...base, protocolVersion: v });
    t.start();
    try {
      await t.waitConnected({ timeoutMs });
      logger.info({ url: base.url, protocolVersion: v }, 'connected to the broker');
      return t;
    } catch (err) {
      await t.close({ graceMs: 0 });
      const code = isStriderError(err, 'BROKER_REFUSED') ? err.context['reasonCode'] : undefined;
      if (i + 1 < versions.length && (code === 1 || code === 132)) {
        logger.info({ url: base.url }, 'broker refused MQTT 5; using MQTT 3.1.1');
        continue;
      }
      throw err;
    }
  }
}

function protocolFromEnv(): 4 | 5 | undefined {
  const raw = process.env[TRAIN_ENV.protocol];
  if (raw === undefined || raw === '') return undefined;
  if (raw === '4' || raw === '5') return Number(raw) as 4 | 5;
  throw new StriderError(
    'CONFIG_INVALID',
    `${TRAIN_ENV.protocol}="${raw}": expected 4 (MQTT 3.1.1) or 5 (MQTT 5)`,
  );
}

/**
 * `strider train`: the online trainer. Connects to transport.broker, subscribes to the
 * transitions (one robot, every robot with transport.robot_id "+", or a shared-subscription
 * group), stores episodes and models under OUT, trains on the Alg. 1 schedule and publishes each
 * model retained. Runs until SIGINT/SIGTERM (a second signal exits at once), then closes and
 * writes the report. Returns the exit status.
 */
export async function trainCommand(args: CommonArgs, version: string): Promise<number> {
  const startedAt = new Date();
  const { config, path: configPath } = loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: args.set,
  });
  const tr = config.transport;
  if (tr.broker === 'embedded') {
    throw new StriderError(
      'CONFIG_INVALID',
      'strider train needs a broker URL: --set transport.broker=mqtt://host:1883; ' +
        '`strider run` passes its embedded broker\u2019s URL to its child trainer',
    );
  }
  const fixedProtocol = protocolFromEnv();
  const topics = new Topics(tr.prefix);
  const fleet = tr.robot_id === '+' || config.trainer.share_group !== undefined;
  const robotId = fleet ? undefined : tr.robot_id;
  if (robotId !== undefined) topics.topic(robotId, 'transitions'); // CONFIG_INVALID on a bad id
  const statusId = fleet
    ? `trainer-${sanitize(config.trainer.share_group ?? hostname())}`
    : `trainer-${robotId ?? ''}`;
  const clientId =
    process.env[TRAIN_ENV.clientId] ??
    `strider-trainer-${fleet ? sanitize(config.trainer.share_group ?? 'fleet') : (robotId ?? '')}-${sanitize(hostname())}`;
  const outDir = prepareOutDir(
    args.out ?? join('runs', `trainer-${timestamp(startedAt)}`),
    startedAt,
  );
  const reportPath = resolve(args.report ?? join(outDir, 'report.json'));
  const logger = createRunLogger(config, outDir, {
    name: 'strider-train',
    file: 'trainer.log',
    stderr: 'all',
  });
  const nice = lowerProcessPriority(config.trainer.nice, logger);

  const statusTopic = topics.topic(statusId, 'status');
  const transport = await connect(
    {
      url: tr.broker,
      clientId,
      ...brokerAuthFromConfig(tr),
      will: {
        topic: statusTopic,
        payload: encodeStatus({
          robotId: statusId,
          role: 'trainer',
          state: 'offline',
          timeMs: Date.now(),
          modelVersion: null,
          counters: {},
        }),
        qos: 1,
        retain: true,
      },
      logger,
    },
    fixedProtocol,
    30_000,
    logger,
  );

  const service = new TrainerService({
    transport,
    topics,
    dataDir: outDir,
    retention: {
      maxTransitions: config.trainer.retention.max_transitions,
      maxBytes: config.trainer.retention.max_bytes,
      keepModels: config.trainer.retention.keep_models,
    },
    model: config.model,
    learning: config.learning,
    // control.policy dagger / policy: the policy is distilled here too (issue 13)
    ...(config.control.policy === 'dagger' || config.control.policy === 'policy'
      ? { policy: config.policy, stateBase: config.state.base }
      : {}),
    ...(robotId === undefined ? {} : { robotId }),
    ...(config.trainer.share_group === undefined ? {} : { shareGroup: config.trainer.share_group }),
    statusId,
    seed: config.run.seed,
    // run.mode continuous (auto: on a robot): refit on new transitions or time, not episodes
    ...(resolveRunMode(config.run, config.robot.link === 'mujoco') === 'continuous'
      ? {
          refit: { transitions: config.trainer.refit_transitions, seconds: config.trainer.refit_s },
        }
      : {}),
    logger,
    onModelPublished: (m) => {
      const x = m.metrics;
      process.stdout.write(
        `model v${m.version} for ${m.robot_id}: ${x.train_transitions} transitions (rand ${x.rand_transitions}, rl ${x.rl_transitions}), ` +
          `val loss ${x.val_loss.toFixed(4)}, H-step error ${x.h_step_error.toFixed(4)} (zero-delta ${x.h_step_baseline.toFixed(4)}), ${m.round_seconds.toFixed(1)} s\n`,
      );
    },
  });

  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((res) => {
    stop = res;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping: the current training stops, open episodes are saved');
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await service.start();
    process.stdout.write(
      `strider train: ${service.filter} on ${tr.broker} (MQTT ${transport.protocolVersion === 5 ? '5' : '3.1.1'}), ` +
        `status ${service.statusTopic}, data ${outDir}\n`,
    );
    await stopped;
  } finally {
    await service.close();
    await transport.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const robots: TrainReport['robots'] = {};
  for (const [id, r] of service.robots()) {
    robots[id] = {
      state_dim: r.stateDim,
      action_dim: r.actionDim,
      episodes: { rand: r.randEpisodes, rl: r.rlEpisodes },
      transitions: { rand: r.randTransitions, rl: r.rlTransitions },
      model_version: r.lastVersion,
    };
  }
  const report: TrainReport = {
    strider: version,
    command: 'train',
    status: 'stopped',
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    config: configPath,
    broker: tr.broker,
    protocol_version: transport.protocolVersion,
    client_id: clientId,
    subscription: service.filter,
    status_topic: service.statusTopic,
    data_dir: outDir,
    nice: { requested: config.trainer.nice, ...nice },
    counters: { ...service.snapshotCounters() },
    robots,
    models: service.published,
  };
  try {
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write trainer report ${reportPath}`, { cause });
  }
  logger.info({ report: reportPath }, 'trainer report written');
  return 0;
}

/** A topic level / client id fragment from free text. */
function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'x';
}
