export { configSchema } from './schema.js';
export type {
  StriderConfig,
  RobotConfig,
  StateConfig,
  ControlConfig,
  TaskConfig,
  RunConfig,
  BaseQuantity,
} from './schema.js';
export { loadConfig, parseOverride, budgetMs } from './loadConfig.js';
export type { ConfigOverride, LoadConfigOptions, LoadedConfig } from './loadConfig.js';
