export { configSchema } from './schema.js';
export type {
  StriderConfig,
  RobotConfig,
  StateConfig,
  ControlConfig,
  ActionConfig,
  TaskConfig,
  RunConfig,
  ModelConfig,
  PlannerConfig,
  LearningConfig,
  TransportConfig,
  TrainerConfig,
  HotswapConfig,
  SafetyConfig,
  MetricsConfig,
  BaseQuantity,
} from './schema.js';
export { loadConfig, parseOverride, budgetMs } from './loadConfig.js';
export type { ConfigOverride, LoadConfigOptions, LoadedConfig } from './loadConfig.js';
export { resolveRunMode, type RunMode } from './runMode.js';
