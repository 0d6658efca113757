import type { StriderConfig } from '../config/schema.js';
import { countTransitions, type Trajectory } from '../dynamics/Trajectory.js';
import { ModelTrainer } from '../trainer/ModelTrainer.js';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { RobotDescription } from '../robot/types.js';
import { StateAssembler } from '../state/StateAssembler.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { BagReader } from './BagReader.js';
import { evaluateReplay, type ReplayErrors } from './evaluateReplay.js';
import {
  checkTopics,
  firstJointNames,
  readBagSeries,
  topicRoles,
  type BagSeries,
} from './readBagSeries.js';
import { resample, type ResampleResult } from './resample.js';

/** What `strider replay` reports (the JSON report's figures). */
export interface ReplaySummary extends ReplayErrors {
  readonly bag: string;
  readonly files: readonly string[];
  readonly notes: readonly string[];
  readonly messages: number;
  readonly state_names: readonly string[];
  readonly action_names: readonly string[];
  readonly period_s: number;
  /** Transitions over all episodes (train + held out). */
  readonly transitions: number;
  readonly episodes: number;
  readonly train: { readonly episodes: number; readonly transitions: number };
  readonly held_out: { readonly episodes: number; readonly transitions: number };
  readonly gaps: number;
  readonly gap_steps: number;
  readonly dropped_episodes: number;
  readonly skipped_commands: number;
}

export interface ReplayBagOptions {
  readonly bagPath: string;
  readonly config: Readonly<StriderConfig>;
  /** The robot model's description (replay.robot model); null: described by the bag's topics. */
  readonly description: RobotDescription | null;
  readonly logger: Logger;
  /** Progress text, called often: throttle it. */
  readonly progress?: (text: string, force: 'force' | 'throttle') => void;
}

/**
 * `strider replay`'s pipeline: read the bag's mapped topics through the StateAssembler, resample
 * to the control period and cut episodes (resample()), hold out whole episodes, train the
 * ensemble with the trainer's ModelTrainer (model: section; all data as D_rand), and evaluate the
 * one-step and H-step errors on the held-out episodes against the zero-delta and
 * constant-velocity baselines.
 */
export async function replayBag(o: ReplayBagOptions): Promise<{
  summary: ReplaySummary;
  model: ModelVersion;
  /** The held-out episodes, in time order (what --shadow runs on). */
  holdout: Trajectory[];
  assembler: StateAssembler;
}> {
  const { config, logger } = o;
  const replay = config.replay;
  const progress = o.progress ?? (() => undefined);
  const { bag, assembler, series, cut, periodSec } = await readBagEpisodes(o);
  const S = assembler.layout.dim;
  const A = series.action.dim;
  if (cut.episodes.length < 2) {
    throw new StriderError(
      'BAG_EMPTY',
      `bag ${o.bagPath}: ${cut.episodes.length} episode(s) of >= ${replay.min_episode_steps} steps at ${config.control.rate_hz} Hz ` +
        `(${cut.validSteps} aligned steps, ${cut.gaps} gaps over ${replay.max_gap_s} s); need 2 to hold one out`,
    );
  }
  const split = interleavedSplit(cut.episodes, replay.holdout_fraction);
  logger.info(
    {
      episodes: cut.episodes.length,
      train: split.train.length,
      held_out: split.holdout.length,
      gaps: cut.gaps,
    },
    'bag resampled into episodes',
  );
  const trainer = await ModelTrainer.create({
    stateDim: S,
    actionDim: A,
    model: config.model,
    randFraction: 1,
    seed: config.run.seed,
    logger,
  });
  let model: ModelVersion;
  try {
    for (const t of split.train) trainer.addTrajectory(t, 'rand');
    const n = countTransitions(split.train, S, A);
    progress(
      `training ${config.model.ensemble_size} x ${config.model.hidden.join('x')} on ${n} transitions, ${config.model.epochs_first} epochs...`,
      'force',
    );
    model = await trainer.train();
  } finally {
    await trainer.close();
  }
  progress('evaluating on held-out episodes...', 'force');
  const errors = await evaluateReplay(
    model.snapshot,
    split.holdout,
    config.model.h_step_horizon || 10,
  );
  const count = (d: readonly Trajectory[]): number => countTransitions(d, S, A);
  return {
    model,
    holdout: split.holdout,
    assembler,
    summary: {
      bag: o.bagPath,
      files: bag.files,
      notes: bag.notes,
      messages: series.messages,
      state_names: assembler.layout.names,
      action_names: series.actionNames,
      period_s: periodSec,
      transitions: count(cut.episodes),
      episodes: cut.episodes.length,
      train: { episodes: split.train.length, transitions: count(split.train) },
      held_out: { episodes: split.holdout.length, transitions: count(split.holdout) },
      gaps: cut.gaps,
      gap_steps: cut.gapSteps,
      dropped_episodes: cut.droppedEpisodes,
      skipped_commands: series.skippedCommands,
      ...errors,
    },
  };
}

/** A bag read into episodes on the control grid: what replay trains on and --shadow runs on. */
export interface BagEpisodes {
  readonly bag: BagReader;
  /** The state assembler the bag's messages went through (its layout names the state). */
  readonly assembler: StateAssembler;
  readonly series: BagSeries;
  /** The episodes in time order, with the resampling counts. */
  readonly cut: ResampleResult;
  readonly periodSec: number;
}

/**
 * Steps 1-4 of replay (docs/bags.md): the config's topics through the StateAssembler, on one
 * clock, resampled to control.rate_hz and cut into episodes. BAG_* errors name the topic and bag.
 */
export async function readBagEpisodes(o: ReplayBagOptions): Promise<BagEpisodes> {
  const { config, logger } = o;
  const replay = config.replay;
  const progress = o.progress ?? (() => undefined);
  const bag = await BagReader.open(o.bagPath);
  for (const note of bag.notes) logger.info({ bag: o.bagPath }, note);
  const roles = topicRoles(replay);
  checkTopics(bag, roles, o.bagPath);
  const description = o.description ?? (await topicsDescription(bag, replay.joint_states));
  const assembler = new StateAssembler(description, config.state);
  let total = 0;
  for (const r of roles) total += bag.topics.get(r.topic)?.count ?? 0;
  const series = await readBagSeries(bag, assembler, replay, (n) => {
    progress(
      `reading ${o.bagPath}: ${n}/${total} messages (${Math.round((100 * n) / Math.max(1, total))}%)`,
      n === total ? 'force' : 'throttle',
    );
  });
  if (series.state.timesSec.length < 2) {
    throw new StriderError(
      'BAG_EMPTY',
      `bag ${o.bagPath}: fewer than 2 complete states from ${roles
        .filter((r) => r.key !== 'replay.action.topic')
        .map((r) => r.topic)
        .join(' + ')}`,
    );
  }
  const periodSec = 1 / config.control.rate_hz;
  const cut = resample(series.state, series.action, {
    periodSec,
    maxGapSec: replay.max_gap_s,
    actionTimeoutSec: replay.action.timeout_s,
    episodeSec: replay.episode_s,
    minEpisodeSteps: replay.min_episode_steps,
    quatOffset: assembler.layout.names.indexOf('base.quat.w'),
  });
  return { bag, assembler, series, cut, periodSec };
}

/** A robot with no model file: its joints are the first JointState's names; its base floats. */
async function topicsDescription(
  bag: BagReader,
  jointTopic: string | null,
): Promise<RobotDescription> {
  const names = jointTopic === null ? [] : await firstJointNames(bag, jointTopic);
  return {
    name: 'bag',
    modelPath: '(described by its topics: replay.robot topics)',
    joints: names.map((name) => ({
      name,
      type: 'hinge' as const,
      positionLimits: null,
      velocityLimit: null,
      effortLimit: null,
    })),
    actuators: [],
    base: { body: 'base_link', kind: 'free' },
  };
}

/**
 * Holds out every k-th episode in time order (k = round(1 / fraction); at least one, never all),
 * so the held-out episodes spread over the whole bag instead of one stretch of it: a bag is one
 * session, and its manoeuvres come in bursts.
 */
export function interleavedSplit(
  episodes: readonly Trajectory[],
  fraction: number,
): { train: Trajectory[]; holdout: Trajectory[] } {
  const k = Math.max(2, Math.round(1 / fraction));
  const train: Trajectory[] = [];
  const holdout: Trajectory[] = [];
  episodes.forEach((e, i) => {
    if (i % k === k - 1 || (episodes.length < k && i === episodes.length - 1)) holdout.push(e);
    else train.push(e);
  });
  return { train, holdout };
}
