import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Where log lines go: a file descriptor (default 2, stderr, so stdout stays for results). */
  readonly fd?: number;
}

/**
 * The structured logger. JSON lines on stderr by default; `STRIDER_LOG_LEVEL` overrides the
 * level (trace, debug, info, warn, error, silent).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env['STRIDER_LOG_LEVEL'] as LevelWithSilent | undefined;
  return pino(
    { name: 'strider', level: envLevel ?? options.level ?? 'info', base: { pid: process.pid } },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that drops everything: for tests and for components built without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
