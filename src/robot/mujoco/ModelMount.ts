/**
 * A host model directory copied into MuJoCo's WASM file system, so MuJoCo's parser finds the
 * model's includes and meshes by their relative paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../util/logger.js';
import type { MujocoModule } from './mujocoTypes.js';

/** Host files copied into the WASM file system at most, and their total size. */
const MOUNT_MAX_FILES = 4000;
const MOUNT_MAX_BYTES = 256 * 1024 * 1024;
const MOUNT_MAX_DEPTH = 8;

let mountCounter = 0;

/**
 * One MEMFS mount under `/strider/model<N>` holding a bounded recursive copy of a host directory
 * (hidden entries and node_modules skipped; at most 4000 files, 256 MiB, 8 levels, with a warning
 * when more was there). Owned by the link that loads the model; unmount() frees it.
 */
export class ModelMount {
  readonly #mujoco: MujocoModule;
  readonly #log: Logger;
  readonly #hostDir: string;
  #dir: string | null;

  /** Copy `hostDir` into a fresh mount. Unreadable entries are skipped with a log line. */
  constructor(mujoco: MujocoModule, hostDir: string, log: Logger) {
    this.#mujoco = mujoco;
    this.#log = log;
    this.#hostDir = hostDir;
    const fs = mujoco.FS;
    if (!fs.analyzePath('/strider').exists) fs.mkdir('/strider');
    mountCounter += 1;
    const dir = `/strider/model${mountCounter}`;
    fs.mkdir(dir);
    fs.mount(mujoco.MEMFS, {}, dir);
    this.#dir = dir;
    const tally = { files: 0, bytes: 0, truncated: false };
    try {
      this.#copy(hostDir, dir, 0, tally);
    } catch (err) {
      this.unmount();
      throw err;
    }
    if (tally.truncated) {
      log.warn(
        { dir: hostDir, files: tally.files, bytes: tally.bytes },
        'model directory is large: only part of it was made visible to MuJoCo',
      );
    }
  }

  /** The WASM path of `relative` (a path inside the host directory). */
  vfsPath(relative: string): string {
    return `${this.#dir ?? ''}/${relative}`;
  }

  /** `text` (MuJoCo's words) with the mount directory replaced by the host directory. */
  hostPaths(text: string): string {
    const dir = this.#dir;
    return dir === null ? text : text.split(dir).join(this.#hostDir);
  }

  /** Unmount and remove the directory; a failure is logged. Idempotent. */
  unmount(): void {
    const dir = this.#dir;
    this.#dir = null;
    if (dir === null) return;
    try {
      this.#mujoco.FS.unmount(dir);
      this.#mujoco.FS.rmdir(dir);
    } catch (err) {
      this.#log.warn({ err, dir }, 'cannot unmount model files');
    }
  }

  #copy(
    host: string,
    vfs: string,
    depth: number,
    tally: { files: number; bytes: number; truncated: boolean },
  ): void {
    const fs = this.#mujoco.FS;
    let entries;
    try {
      entries = readdirSync(host, { withFileTypes: true });
    } catch (err) {
      this.#log.warn({ err, dir: host }, 'cannot list model directory; skipped');
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const h = path.join(host, e.name);
      const v = `${vfs}/${e.name}`;
      if (e.isDirectory()) {
        if (depth >= MOUNT_MAX_DEPTH) {
          tally.truncated = true;
          continue;
        }
        fs.mkdir(v);
        this.#copy(h, v, depth + 1, tally);
      } else if (e.isFile()) {
        let size: number;
        try {
          size = statSync(h).size;
        } catch (err) {
          this.#log.debug({ err, file: h }, 'cannot stat model file; skipped');
          continue;
        }
        if (tally.files >= MOUNT_MAX_FILES || tally.bytes + size > MOUNT_MAX_BYTES) {
          tally.truncated = true;
          continue;
        }
        try {
          fs.writeFile(v, readFileSync(h));
        } catch (err) {
          this.#log.debug({ err, file: h }, 'cannot read model file; skipped');
          continue;
        }
        tally.files += 1;
        tally.bytes += size;
      }
    }
  }
}
