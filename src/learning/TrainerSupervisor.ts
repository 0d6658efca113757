import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { pinnedNode } from './trainerCpus.js';

/**
 * Where the child trainer is: starting (spawned, not subscribed yet), ready (subscribed), down
 * (exited; a restart is scheduled), gave_up (exited `restartAttempts` times in a row), stopped.
 */
export type TrainerState = 'starting' | 'ready' | 'down' | 'gave_up' | 'stopped';

export interface TrainerSupervisorOptions {
  /** The node binary's arguments: the strider entry point, `train` and its options. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Pin the trainer to these CPUs (a taskset list; trainerCpus()); absent: unpinned. */
  readonly cpus?: string;
  /** The trainer's stdout and stderr are appended here (every start of it). */
  readonly consoleLog: string;
  /** Restarts in a row before giving up (0: never restart). */
  readonly restartAttempts: number;
  /** Delay before the first restart; doubled per further attempt in a row, at most maxBackoffMs. */
  readonly restartBackoffMs: number;
  /** Cap of the restart delay. Default 60000. */
  readonly maxBackoffMs?: number;
  /** A trainer that ran this long before it exited starts a new count of attempts. Default 60000. */
  readonly stableMs?: number;
  /** A start that has not subscribed within this is a failed attempt. Default 60000. */
  readonly readyTimeoutMs?: number;
  /** Every change of state (after the first start). Must not throw. */
  readonly onState?: (state: TrainerState) => void;
  readonly logger: Logger;
}

const READY_LINE = 'strider train: ';

/**
 * Runs `strider train` as a child process and keeps it running: a trainer that exits on its own
 * (a crash, kill -9, an out-of-memory kill) is restarted after a backoff (restartBackoffMs,
 * doubling, capped), at most `restartAttempts` times in a row; a trainer that stayed up
 * `stableMs` resets the count. The trainer resumes from its data folder (episodes, the newest
 * stored model's weights). Lifecycle: start() (resolves once the first trainer has subscribed,
 * rejects IO when it does not), then stop().
 */
export class TrainerSupervisor {
  /** Restarts begun so far, and the exits seen (exit code or signal), oldest first. */
  restarts = 0;
  readonly exits: Array<number | string> = [];
  readonly #o: TrainerSupervisorOptions;
  #child: ChildProcess | null = null;
  #state: TrainerState = 'starting';
  #attempts = 0;
  #readyAtMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TrainerSupervisorOptions) {
    this.#o = options;
  }

  get state(): TrainerState {
    return this.#state;
  }

  /** The running trainer's process id, or null. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The newest exit (code or signal), or null. */
  get lastExit(): number | string | null {
    return this.exits[this.exits.length - 1] ?? null;
  }

  /** Starts the first trainer and resolves once it has subscribed. */
  async start(): Promise<void> {
    await this.#spawn();
    this.#setState('ready');
  }

  /** Stops the trainer (SIGTERM, SIGKILL after 10 s) and any restart to come. Idempotent. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#setState('stopped');
    const child = this.#child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  #setState(state: TrainerState): void {
    if (this.#state === state || this.#state === 'stopped') return;
    this.#state = state;
    this.#o.onState?.(state);
  }

  /** Spawns a trainer; resolves when it has subscribed, rejects IO when it exits or times out first. */
  #spawn(): Promise<void> {
    const o = this.#o;
    const out = createWriteStream(o.consoleLog, { flags: 'a' });
    const [file, args] = pinnedNode(o.cpus, o.args);
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env,
    });
    this.#child = child;
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.on('error', (err) => {
      o.logger.error({ err }, 'trainer process failed to start');
    });
    const readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
    let ready = false;
    const whenReady = new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        reject(
          new StriderError(
            'IO',
            `the trainer process did not get ready within ${readyTimeoutMs / 1000} s; see ${o.consoleLog}`,
          ),
        );
        child.kill('SIGKILL');
      }, readyTimeoutMs);
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString('utf8');
        if (seen.includes(READY_LINE)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          ready = true;
          this.#readyAtMs = performance.now();
          o.logger.info({ pid: child.pid, log: o.consoleLog }, 'trainer process ready');
          resolve();
        } else if (seen.length > 65536) {
          seen = seen.slice(-1024);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new StriderError(
            'IO',
            `the trainer process exited (${String(code ?? signal)}) before it was ready; see ${o.consoleLog}`,
          ),
        );
      });
    });
    child.once('exit', (code, signal) => {
      this.exits.push(code ?? signal ?? 'unknown');
      if (this.#child === child) this.#child = null;
      if (ready) this.#exited(code, signal);
    });
    return whenReady;
  }

  /** A trainer that was ready exited: restart it unless stopping or out of attempts. */
  #exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#state === 'stopped') return;
    if (performance.now() - this.#readyAtMs >= (this.#o.stableMs ?? 60_000)) this.#attempts = 0;
    this.#o.logger.warn(
      { code, signal },
      'trainer process exited; the controller keeps its serving model',
    );
    this.#setState('down');
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const o = this.#o;
    if (this.#attempts >= o.restartAttempts) {
      this.#setState('gave_up');
      o.logger.error(
        { attempts: this.#attempts, restartAttempts: o.restartAttempts },
        'trainer process not restarted (trainer.restart_attempts reached); control goes on with the serving model',
      );
      return;
    }
    const delayMs = Math.min(o.restartBackoffMs * 2 ** this.#attempts, o.maxBackoffMs ?? 60_000);
    this.#attempts++;
    o.logger.info({ attempt: this.#attempts, delayMs }, 'restarting the trainer process');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'stopped') return;
      this.restarts++;
      this.#setState('starting');
      this.#spawn().then(
        () => {
          this.#setState('ready');
        },
        (err: unknown) => {
          if (this.#state === 'stopped') return;
          o.logger.warn({ err, attempt: this.#attempts }, 'trainer restart failed');
          this.#setState('down');
          this.#scheduleRestart();
        },
      );
    }, delayMs);
  }
}
