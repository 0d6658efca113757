export { SafetyGate } from './SafetyGate.js';
export { GATE_VERDICTS } from './VerdictTally.js';
export { isPolicyCommand } from './types.js';
export type {
  FreshnessSource,
  GateVerdict,
  LatchReason,
  LinkActuation,
  PolicyFault,
  SafetyGateOptions,
  SafetyMode,
  SafetyStatus,
} from './types.js';
export { StateWatchdog } from './StateWatchdog.js';
export type {
  RequiredTopics,
  StampClock,
  StaleReason,
  StateWatchdogOptions,
} from './StateWatchdog.js';
export { safetySchema, defaultSafetyConfig } from './safetyConfig.js';
export type { SafetyConfig } from './safetyConfig.js';
