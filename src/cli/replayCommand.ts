import { writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { loadConfig, type StriderConfig } from '../config/index.js';
import { replayBag, type ReplaySummary } from '../bags/replayBag.js';
import { urdfDescription } from '../robot/ros2/urdfDescription.js';
import { MujocoLink } from '../robot/mujoco/MujocoLink.js';
import type { RobotDescription } from '../robot/types.js';
import { Progress } from '../telemetry/Progress.js';
import { writeModelArtifactDir } from '../transport/ModelArtifactDir.js';
import { StriderError } from '../util/StriderError.js';
import type { CommonArgs } from './args.js';
import { loadInitialModel } from './initialModel.js';
import { checkPublishable, publishReplayModel } from './publishReplayModel.js';
import { shadowReplay, type ShadowReport } from './shadowReplay.js';
import { createRunLogger, prepareOutDir } from './runCommand.js';

/** The config `strider replay` uses without --config: a diff-drive base (/odom, /cmd_vel). */
export const REPLAY_DEFAULT_CONFIG = resolve(
  new URL('../../config/diffdrive_replay.yaml', import.meta.url).pathname,
);

/** The replay report (`--report FILE`, default OUT/report.json). */
export interface ReplayReport extends ReplaySummary {
  readonly strider: string;
  readonly command: 'replay';
  readonly config: string;
  readonly started_at: string;
  readonly finished_at: string;
  /** The model artifact folder (manifest.json + weights.bin). */
  readonly model_dir: string;
  readonly model_version: number;
  /** The MQTT topic the model went to (--publish), or null. */
  readonly published_to: string | null;
  /** --shadow: the controller's planner on the held-out recorded states. */
  readonly shadow?: ShadowReport;
  readonly train_seconds: number;
}

/**
 * `strider replay --bag PATH`: trains the dynamics ensemble from a rosbag2 bag (src/bags/replayBag)
 * and writes OUT/model (the trainer's artifact format) and the report. Exit 0 on success; bag
 * errors (missing topic, wrong type, not a bag, empty) throw StriderError BAG_* (exit 1).
 */
export async function replayCommand(args: CommonArgs, version: string): Promise<number> {
  if (args.bag === undefined) {
    throw new StriderError(
      'CLI_USAGE',
      'strider replay needs --bag PATH (a rosbag2 folder, .mcap or .db3); see strider replay --help',
    );
  }
  const startedAt = new Date();
  const configPath = args.config ?? REPLAY_DEFAULT_CONFIG;
  const { config, path } = loadConfig(configPath, { overrides: args.set });
  if (args.publish === true) checkPublishable(config);
  const outDir = prepareOutDir(args.out, startedAt);
  const reportPath = resolve(args.report ?? join(outDir, 'report.json'));
  const logger = createRunLogger(config, outDir, { name: 'strider-replay', file: 'replay.log' });
  const progress = new Progress();
  const bagPath = resolve(args.bag);
  const description = config.replay.robot === 'model' ? await describeRobot(config) : null;
  if (args.shadow === true && description === null) {
    throw new StriderError(
      'CONFIG_INVALID',
      'strider replay --shadow plans for the robot model\u2019s actuators: it needs replay.robot: model (and robot.model)',
    );
  }
  let trained: Awaited<ReturnType<typeof replayBag>>;
  try {
    trained = await replayBag({
      bagPath,
      config,
      description,
      logger,
      progress: (text, force) => {
        progress.update(performance.now(), () => text, force);
      },
    });
  } finally {
    progress.done();
  }
  const { summary, model } = trained;
  const modelDir = join(outDir, 'model');
  await writeModelArtifactDir(modelDir, model);
  const publishedTo =
    args.publish === true ? await publishReplayModel(config, model, logger) : null;
  const shadow =
    args.shadow === true && description !== null
      ? await shadowReplay({
          config,
          description,
          assembler: trained.assembler,
          model:
            config.model.initial !== null
              ? await loadInitialModel(
                  config.model.initial,
                  summary.state_names.length,
                  summary.action_names.length,
                )
              : model,
          episodes: trained.holdout,
          logger,
          progress: (text) => {
            progress.update(performance.now(), () => text, 'throttle');
          },
        })
      : null;
  progress.done();
  const report: ReplayReport = {
    strider: version,
    command: 'replay',
    config: path,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    model_dir: modelDir,
    model_version: model.version,
    published_to: publishedTo,
    ...(shadow !== null ? { shadow } : {}),
    train_seconds: model.metrics.train_seconds,
    ...summary,
  };
  try {
    writeFileSync(reportPath, `${JSON.stringify(report, jsonNumbers, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write report ${reportPath}`, { cause });
  }
  const f = (x: number): string => (Number.isFinite(x) ? x.toPrecision(3) : 'n/a');
  process.stdout.write(
    `replay ${bagPath}: ${summary.transitions} transitions in ${summary.episodes} episodes ` +
      `(${summary.held_out.episodes} held out); H=${summary.horizon}\n` +
      `  one-step error ${f(summary.one_step_error)} (zero-delta ${f(summary.baselines.zero_delta.one_step_error)}, ` +
      `constant-velocity ${f(summary.baselines.constant_velocity.one_step_error)})\n` +
      `  H-step error   ${f(summary.h_step_error)} (zero-delta ${f(summary.baselines.zero_delta.h_step_error)}, ` +
      `constant-velocity ${f(summary.baselines.constant_velocity.h_step_error)})\n` +
      `  model: ${modelDir}\n` +
      (publishedTo !== null ? `  published: ${publishedTo} (retained)\n` : '') +
      (shadow !== null
        ? `  shadow (model v${shadow.model_version}, ${shadow.steps} held-out states): planned vs recorded action ` +
          `RMSE ${f(shadow.actions.rmse_of_range)} of the command range; commands sent ${shadow.commands_sent}\n`
        : '') +
      `  report: ${reportPath}\n`,
  );
  logger.info({ report: reportPath, model: modelDir }, 'replay done');
  return 0;
}

/** NaN and infinities as null (JSON has none). */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** The robot model's description: a URDF read directly, an MJCF through MuJoCo. */
export async function describeRobot(config: Readonly<StriderConfig>): Promise<RobotDescription> {
  const r = config.robot;
  if (extname(r.model).toLowerCase() === '.urdf') {
    return urdfDescription(r.model, r.mujoco.floating_base ? 'free' : 'fixed');
  }
  const link = new MujocoLink({
    modelPath: r.model,
    controlPeriodSec: 1 / config.control.rate_hz,
    resetNoiseScale: 0,
  });
  try {
    return await link.configure();
  } finally {
    await link.close();
  }
}
