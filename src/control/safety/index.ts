export { safetySchema, defaultSafetyConfig } from './safetyConfig.js';
export type { SafetyConfig } from './safetyConfig.js';
export { StateWatchdog } from './StateWatchdog.js';
export type {
  RequiredTopics,
  StampClock,
  StaleReason,
  StateWatchdogOptions,
} from './StateWatchdog.js';
export { SafetyGate, isPolicyCommand } from '../SafetyGate.js';
export type {
  FreshnessSource,
  GateVerdict,
  LatchReason,
  LinkActuation,
  SafetyGateOptions,
  SafetyMode,
  SafetyStatus,
} from '../SafetyGate.js';
