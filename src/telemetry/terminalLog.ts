import { join } from 'node:path';
import { pino, type DestinationStream, type LevelWithSilent, type StreamEntry } from 'pino';
import type { Progress } from './Progress.js';

const LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * One pino JSON line as a short line for people: `warn  safety gate: stale; safe command sent`.
 * The level label, the message, and the error's message when the line carries `err`; the other
 * fields stay in the JSON log file. A line that is not pino JSON is returned trimmed as it is.
 */
export function humanLogLine(json: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.trim(); // not JSON: show it as written rather than lose it
  }
  if (typeof entry !== 'object' || entry === null) return json.trim();
  const { level, msg, err } = entry as { level?: unknown; msg?: unknown; err?: unknown };
  const label = typeof level === 'number' ? (LEVEL_LABELS[level] ?? String(level)) : 'log';
  let text = typeof msg === 'string' ? msg : '';
  const errMessage = (err as { message?: unknown } | null | undefined)?.message;
  if (typeof errMessage === 'string' && errMessage !== '') {
    text = text === '' ? errMessage : `${text}: ${errMessage}`;
  }
  return `${label.padEnd(6)}${text.replace(/\s*\n\s*/g, ' ')}`;
}

/**
 * A pino destination that prints each log line above the progress line, as humanLogLine writes it
 * (Progress.print: clear, print, redraw; repeats folded into `(xN)`).
 */
export class TerminalLogStream implements DestinationStream {
  readonly #progress: Progress;

  constructor(progress: Progress) {
    this.#progress = progress;
  }

  write(line: string): void {
    this.#progress.print(humanLogLine(line));
  }
}

/** Options of runLogStreams. */
export interface RunLogStreamOptions {
  /** Level of the JSON log file (and of stderr off a terminal). */
  readonly level: LevelWithSilent;
  readonly outDir: string;
  /** File name in outDir; default strider.log. */
  readonly file?: string;
  /**
   * 'tty-warn' (default): on a terminal (`progress.enabled`) stderr gets warnings and errors as
   * short lines above the progress line; off a terminal the full JSON log. 'all': the full JSON log
   * on stderr always.
   */
  readonly stderr?: 'tty-warn' | 'all';
  /** The run's progress line; without one stderr gets JSON, warnings only on a terminal. */
  readonly progress?: Progress;
}

/**
 * The pino multistream entries of a run (`pino(opts, pino.multistream(entries))`): JSON lines
 * always to OUT/<file>; stderr as `stderr` says. Synchronous writes, so that a line is out before
 * a crash.
 */
export function runLogStreams(options: RunLogStreamOptions): StreamEntry<LevelWithSilent>[] {
  const { level, progress } = options;
  const file = pino.destination({
    dest: join(options.outDir, options.file ?? 'strider.log'),
    sync: true,
    mkdir: true,
  });
  const terminal =
    (options.stderr ?? 'tty-warn') === 'tty-warn' && (progress?.enabled ?? process.stderr.isTTY);
  let stderr: StreamEntry<LevelWithSilent>;
  if (!terminal) stderr = { level, stream: pino.destination({ fd: 2, sync: true }) };
  else if (progress !== undefined)
    stderr = { level: 'warn', stream: new TerminalLogStream(progress) };
  else stderr = { level: 'warn', stream: pino.destination({ fd: 2, sync: true }) };
  return [{ level, stream: file }, stderr];
}
