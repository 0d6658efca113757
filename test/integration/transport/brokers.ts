import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
export const hasMosquitto = existsSync(MOSQUITTO);

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      resolve(false);
    });
  });
}

/**
 * What mosquitto keeps on disk (in `dir`): off: nothing; on_shutdown: `persistence true` with the
 * default autosave_interval (1800 s), so the database is written at a clean shutdown (SIGTERM);
 * every_change: also written after every change to sessions and queued messages
 * (`autosave_on_changes true`, `autosave_interval 1`).
 */
export type MosquittoPersistence = 'off' | 'on_shutdown' | 'every_change';

/** A mosquitto on 127.0.0.1 (persistence in `dir`), started and stopped by the test. */
export class Mosquitto {
  readonly port: number;
  readonly #conf: string;
  #proc: ChildProcess | undefined;

  private constructor(port: number, conf: string) {
    this.port = port;
    this.#conf = conf;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Writes mosquitto.conf (and a password file when `auth` is given) and starts it. */
  static async start(
    dir: string,
    auth?: { username: string; password: string },
    persistence: MosquittoPersistence = 'on_shutdown',
  ): Promise<Mosquitto> {
    const port = await freePort();
    const lines = [
      `listener ${port} 127.0.0.1`,
      `persistence ${persistence === 'off' ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      ...(persistence === 'every_change'
        ? ['autosave_on_changes true', 'autosave_interval 1']
        : []),
      'max_queued_messages 100000',
      'max_inflight_messages 20',
      'log_dest none',
    ];
    if (process.getuid?.() === 0) lines.push('user root');
    if (auth !== undefined) {
      const pw = join(dir, 'passwd');
      writeFileSync(pw, '');
      const r = spawnSync(MOSQUITTO_PASSWD, ['-b', pw, auth.username, auth.password]);
      if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr.toString()}`);
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, `${lines.join('\n')}\n`);
    const m = new Mosquitto(port, conf);
    await m.resume();
    return m;
  }

  /** Starts the process (again) and waits until the port accepts connections (<= 5 s). */
  async resume(): Promise<void> {
    const proc = spawn(MOSQUITTO, ['-c', this.#conf], { stdio: 'ignore' });
    proc.on('error', () => undefined);
    this.#proc = proc;
    for (let i = 0; i < 100; i++) {
      if (await portOpen(this.port)) return;
      if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mosquitto did not open its port within 5 s');
  }

  /** SIGTERM (mosquitto saves its persistence file) and wait for exit. */
  async pause(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve();
      });
    });
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
    }, 3000);
    await exited;
    clearTimeout(timer);
  }

  /** kill -9: no chance to save anything; waits for the exit. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve();
      });
    });
    proc.kill('SIGKILL');
    await exited;
  }

  close(): Promise<void> {
    return this.pause();
  }
}
