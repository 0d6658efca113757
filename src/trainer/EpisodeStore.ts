/**
 * The trainer's data on disk, so a restart loses nothing:
 *
 * ```
 * <dataDir>/<robot>/episodes/<index 9 digits>-<source>-<runId 8 hex>-<episode>-<part>.batch
 *     one complete episode (or piece) per file: a transition batch payload (encodeTransitionBatch)
 * <dataDir>/<robot>/models/v<N>/manifest.json, weights.bin   (writeModelArtifactDir)
 * <dataDir>/<robot>/models/v<N>/training.json                 (episode counts the fit used)
 * <dataDir>/<robot>/pending/<runId 8 hex>-<episode>.batch     (open episodes at the last shutdown)
 * ```
 *
 * `<robot>` is the robot id, percent-encoded for the file system. Every file is written under a
 * temporary name and renamed, so a reader never sees half a file; leftover temporary files are
 * removed at load, and so is a model folder without its manifest (a write cut short). Unreadable or
 * invalid files are skipped with a warning and counted.
 *
 * Retention (StoreRetention): after each stored episode, and at load, the oldest D_rl episode files
 * of a robot over its limit are deleted (D_rand never); after each stored model, and at load, only
 * the newest `keepModels` version folders stay, and never the newest valid one.
 */

import { access, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { decodeTransitionBatch, encodeTransitionBatch } from '../transport/TransitionBatchCodec.js';
import type { ModelManifest } from '../transport/ModelArtifactCodec.js';
import {
  MANIFEST_FILE,
  readModelArtifactDir,
  writeModelArtifactDir,
} from '../transport/ModelArtifactDir.js';
import type { TransitionBatch } from '../transport/types.js';
import { episodeFromBatch, type Episode } from './EpisodeAssembler.js';
import { RetentionIndex, type RetentionCounters, type RetentionLimits } from './StoreRetention.js';

/** What a model's fit was given, stored beside the artifact. */
export interface TrainingRecord {
  /** Episodes (distinct run/episode keys) in D_rand and D_rl when the fit started. */
  readonly rand_episodes: number;
  readonly rl_episodes: number;
}

/** One robot's stored data, as loaded at start. */
export interface StoredRobot {
  readonly robotId: string;
  /** Episodes (pieces), in the order they were stored. */
  readonly episodes: Episode[];
  /** Highest model version folder present (0 when none). */
  readonly lastVersion: number;
  /** The newest model that loads and validates, with what its fit used. */
  readonly latest:
    | {
        readonly model: ModelVersion;
        readonly manifest: ModelManifest;
        readonly training: TrainingRecord | null;
      }
    | undefined;
  /** Open episodes saved at the last shutdown (batches to feed the assembler again). */
  readonly pending: TransitionBatch[];
}

export interface EpisodeStoreOptions {
  /** The trainer's data folder (created if missing). */
  readonly dataDir: string;
  /** What the store keeps (default: no limits, every model). */
  readonly retention?: RetentionLimits;
  readonly logger?: Logger;
}

const NO_LIMITS: RetentionLimits = { maxTransitions: 0, maxBytes: 0, keepModels: Infinity };

const EPISODE_RE = /^(\d{9})-[a-z]+-[0-9a-f]{8}-\d+-\d+\.batch$/;
const VERSION_RE = /^v(\d+)$/;
const TRAINING_FILE = 'training.json';

/** File-system name of a robot id (a topic level: no '/', but possibly '.', '..' or odd bytes). */
export function robotDirName(robotId: string): string {
  return encodeURIComponent(robotId).replace(/\./g, '%2E').replace(/\*/g, '%2A');
}

export class EpisodeStore {
  /** Files skipped at load because they did not read or validate. */
  skippedFiles = 0;
  /** What retention deleted since start. */
  readonly retention: RetentionCounters = {
    retention_episodes_dropped: 0,
    retention_transitions_dropped: 0,
    retention_bytes_dropped: 0,
    retention_models_dropped: 0,
  };
  readonly #o: EpisodeStoreOptions;
  readonly #log: Logger;
  readonly #limits: RetentionLimits;
  /** Next episode file index per robot. */
  readonly #next = new Map<string, number>();
  /** Stored pieces per robot, for retention. */
  readonly #index = new Map<string, RetentionIndex>();
  /** Robots whose D_rand (and newest piece) alone exceed a limit; warned once. */
  readonly #warned = new Set<string>();

  constructor(options: EpisodeStoreOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'episode-store' });
    this.#limits = options.retention ?? NO_LIMITS;
  }

  get dataDir(): string {
    return this.#o.dataDir;
  }

  /** Folder of one robot's data. */
  robotDir(robotId: string): string {
    return join(this.#o.dataDir, robotDirName(robotId));
  }

  /** Folder of one model version. */
  modelDir(robotId: string, version: number): string {
    return join(this.robotDir(robotId), 'models', `v${version}`);
  }

  /**
   * Loads every robot's episodes, newest valid model and pending pieces. Creates the data folder.
   * Throws IO when the data folder cannot be created or listed.
   */
  async load(): Promise<StoredRobot[]> {
    try {
      await mkdir(this.#o.dataDir, { recursive: true });
    } catch (cause) {
      throw new StriderError('IO', `cannot create trainer data folder ${this.#o.dataDir}`, {
        cause,
      });
    }
    const robots: StoredRobot[] = [];
    for (const name of await listDir(this.#o.dataDir)) {
      let robotId: string;
      try {
        robotId = decodeURIComponent(name);
      } catch {
        this.#log.warn({ name }, 'folder in the data dir is not a robot id; ignored');
        continue;
      }
      if (robotDirName(robotId) !== name) continue;
      robots.push(await this.#loadRobot(robotId));
    }
    return robots;
  }

  /** Writes one complete episode (piece). Throws IO on failure. */
  async saveEpisode(e: Episode): Promise<string> {
    const dir = join(this.robotDir(e.robotId), 'episodes');
    const index = this.#next.get(e.robotId) ?? 1;
    this.#next.set(e.robotId, index + 1);
    const name = `${String(index).padStart(9, '0')}-${e.source}-${hex8(e.runId)}-${e.episode}-${e.part}.batch`;
    const path = join(dir, name);
    const bytes = encodeTransitionBatch(e.transitions);
    await atomicWrite(dir, path, bytes);
    this.#indexOf(e.robotId).add(path, e, bytes.length);
    return path;
  }

  /**
   * Applies the retention limits to one robot's episodes: deletes the oldest D_rl episode files
   * until the robot is within its limits (D_rand and the newest piece stay). Returns the pieces
   * dropped, oldest first, for the caller to forget. Never rejects (a file that cannot be deleted
   * is logged, and forgotten all the same).
   */
  async retain(robotId: string): Promise<Episode[]> {
    const index = this.#index.get(robotId);
    const dropped: Episode[] = [];
    while (index?.over() === true) {
      const p = index.takeOldestRl();
      if (p === undefined) {
        if (!this.#warned.has(robotId)) {
          this.#warned.add(robotId);
          this.#log.warn(
            { robotId, transitions: index.transitions, bytes: index.bytes, ...this.#limits },
            'D_rand alone exceeds the retention limit; it is kept (retention drops D_rl only)',
          );
        }
        break;
      }
      try {
        await rm(p.path, { force: true });
      } catch (err) {
        this.#log.error({ err, path: p.path }, 'retention cannot delete an episode file');
      }
      this.retention.retention_episodes_dropped++;
      this.retention.retention_transitions_dropped += p.steps;
      this.retention.retention_bytes_dropped += p.bytes;
      dropped.push(p.episode);
    }
    if (dropped.length > 0)
      this.#log.info(
        { robotId, pieces: dropped.length, transitions: index?.transitions, bytes: index?.bytes },
        'retention: oldest D_rl episodes deleted',
      );
    return dropped;
  }

  /**
   * Writes a model version (artifact, then its training record), then deletes the version folders
   * beyond the newest `keepModels`. Throws IO when the model cannot be written.
   */
  async saveModel(robotId: string, model: ModelVersion, training: TrainingRecord): Promise<string> {
    const dir = this.modelDir(robotId, model.version);
    await writeModelArtifactDir(dir, model);
    await atomicWrite(dir, join(dir, TRAINING_FILE), Buffer.from(`${JSON.stringify(training)}\n`));
    await this.#pruneModels(robotId, model.version);
    return dir;
  }

  /**
   * Replaces the pending pieces of every robot by `batches` (open episodes at shutdown). Throws IO
   * on failure.
   */
  async savePending(batches: readonly TransitionBatch[]): Promise<void> {
    const robots = new Set<string>(batches.map((b) => b.robotId));
    for (const name of await listDir(this.#o.dataDir)) {
      try {
        robots.add(decodeURIComponent(name));
      } catch {
        continue;
      }
    }
    for (const robotId of robots) {
      const dir = join(this.robotDir(robotId), 'pending');
      try {
        await rm(dir, { recursive: true, force: true });
      } catch (cause) {
        throw new StriderError('IO', `cannot clear ${dir}`, { cause });
      }
    }
    for (const b of batches) {
      const dir = join(this.robotDir(b.robotId), 'pending');
      await atomicWrite(
        dir,
        join(dir, `${hex8(b.runId)}-${b.episode}.batch`),
        encodeTransitionBatch(b),
      );
    }
  }

  async #loadRobot(robotId: string): Promise<StoredRobot> {
    const root = this.robotDir(robotId);
    const episodes: Episode[] = [];
    const epDir = join(root, 'episodes');
    let next = 1;
    for (const name of (await listDir(epDir)).sort()) {
      const m = EPISODE_RE.exec(name);
      if (m === null) {
        await this.#dropStray(epDir, name);
        continue;
      }
      next = Math.max(next, Number(m[1]) + 1);
      const path = join(epDir, name);
      const r = await this.#readBatch(path, robotId);
      if (r === undefined) continue;
      const e = episodeFromBatch(r.batch, Number(name.split('-')[4]?.split('.')[0] ?? 0));
      episodes.push(e);
      this.#indexOf(robotId).add(path, e, r.bytes);
    }
    this.#next.set(robotId, next);
    // the limits may have been lowered since these were stored
    const dropped = new Set(await this.retain(robotId));
    const kept = dropped.size === 0 ? episodes : episodes.filter((e) => !dropped.has(e));

    const modelsDir = join(root, 'models');
    const versions = (await listDir(modelsDir))
      .map((n) => VERSION_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    let latest: StoredRobot['latest'];
    for (const v of versions) {
      const dir = this.modelDir(robotId, v);
      if (latest === undefined && !(await exists(join(dir, MANIFEST_FILE)))) {
        // a write cut short (the manifest is written last): never published, removed
        this.skippedFiles++;
        this.#log.warn({ dir }, 'model folder without a manifest (an interrupted write); removed');
        await rm(dir, { recursive: true, force: true }).catch((err: unknown) => {
          this.#log.warn({ dir, err }, 'cannot remove an incomplete model folder');
        });
        continue;
      }
      const r = await readModelArtifactDir(dir);
      if (!r.ok) {
        this.skippedFiles++;
        this.#log.warn({ dir, code: r.code }, `stored model skipped: ${r.reason}`);
        continue;
      }
      if (r.value.model.version !== v) {
        this.skippedFiles++;
        this.#log.warn(
          { dir, version: r.value.model.version },
          'stored model version differs from its folder; skipped',
        );
        continue;
      }
      latest = {
        model: r.value.model,
        manifest: r.value.manifest,
        training: await readTraining(dir),
      };
      break;
    }
    if (latest !== undefined) await this.#pruneModels(robotId, latest.model.version);

    const pending: TransitionBatch[] = [];
    const pendDir = join(root, 'pending');
    for (const name of (await listDir(pendDir)).sort()) {
      if (!name.endsWith('.batch')) {
        await this.#dropStray(pendDir, name);
        continue;
      }
      const r = await this.#readBatch(join(pendDir, name), robotId);
      if (r !== undefined) pending.push(r.batch);
    }
    this.#log.info(
      {
        robotId,
        episodes: kept.length,
        dropped: dropped.size,
        lastVersion: versions[0] ?? 0,
        pending: pending.length,
      },
      'stored data loaded',
    );
    return { robotId, episodes: kept, lastVersion: versions[0] ?? 0, latest, pending };
  }

  #indexOf(robotId: string): RetentionIndex {
    let index = this.#index.get(robotId);
    if (index === undefined) {
      index = new RetentionIndex(this.#limits);
      this.#index.set(robotId, index);
    }
    return index;
  }

  /**
   * Deletes the version folders of a robot beyond the newest `keepModels`, never `keep` (the
   * newest valid model). Never rejects.
   */
  async #pruneModels(robotId: string, keep: number): Promise<void> {
    const modelsDir = join(this.robotDir(robotId), 'models');
    let versions: number[];
    try {
      versions = (await listDir(modelsDir))
        .map((n) => VERSION_RE.exec(n))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => b - a);
    } catch (err) {
      this.#log.warn({ err, modelsDir }, 'cannot list model folders to prune them');
      return;
    }
    for (const v of versions.slice(this.#limits.keepModels)) {
      if (v === keep) continue;
      try {
        await rm(this.modelDir(robotId, v), { recursive: true, force: true });
        this.retention.retention_models_dropped++;
      } catch (err) {
        this.#log.warn({ err, robotId, version: v }, 'retention cannot delete a model folder');
      }
    }
  }

  async #readBatch(
    path: string,
    robotId: string,
  ): Promise<{ batch: TransitionBatch; bytes: number } | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      this.skippedFiles++;
      this.#log.warn({ path, err }, 'stored episode unreadable; skipped');
      return undefined;
    }
    const r = decodeTransitionBatch(bytes);
    if (!r.ok || r.value.robotId !== robotId) {
      this.skippedFiles++;
      const reason = r.ok
        ? `robot id "${r.value.robotId}" in the folder of "${robotId}"`
        : r.reason;
      this.#log.warn({ path }, `stored episode invalid; skipped: ${reason}`);
      return undefined;
    }
    return { batch: r.value, bytes: bytes.length };
  }

  /** Removes a leftover temporary file (a write cut short); leaves other strangers alone. */
  async #dropStray(dir: string, name: string): Promise<void> {
    if (!name.endsWith('.tmp')) return;
    try {
      await rm(join(dir, name), { force: true });
    } catch (err) {
      this.#log.warn({ dir, name, err }, 'cannot remove a leftover temporary file');
    }
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StriderError('IO', `cannot list ${dir}`, { cause: err });
  }
}

async function atomicWrite(dir: string, path: string, bytes: Uint8Array): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
  } catch (cause) {
    throw new StriderError('IO', `cannot write ${path}`, { cause, context: { path } });
  }
}

async function readTraining(dir: string): Promise<TrainingRecord | null> {
  try {
    const j = JSON.parse(
      await readFile(join(dir, TRAINING_FILE), 'utf8'),
    ) as Partial<TrainingRecord>;
    const { rand_episodes: r, rl_episodes: l } = j;
    if (typeof r === 'number' && typeof l === 'number') return { rand_episodes: r, rl_episodes: l };
    return null;
  } catch {
    // a model written by hand or by an older trainer: no record, the schedule counts from zero
    return null;
  }
}
