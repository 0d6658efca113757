export { StriderError, ERROR_CODES, isStriderError } from './StriderError.js';
export type { ErrorCode, StriderErrorOptions } from './StriderError.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { Rng } from './rng.js';
export { monotonicClock, nodeTimers } from './clock.js';
export type { Clock, Timers } from './clock.js';
