import { z } from 'zod';
import { safetySchema } from '../safety/safetyConfig.js';
import { replaySchema } from '../bags/replayConfig.js';
import {
  hotswapSchema,
  logSchema,
  metricsSchema,
  retentionIssues,
  runSchema,
  trainerSchema,
  transportSchema,
} from './operationSchemas.js';
import { controlSchema, taskSchema } from './controlSchemas.js';
import { learningSchema, modelSchema, plannerSchema } from './learningSchemas.js';
import { policySchema } from './policySchema.js';
import { BASE_QUANTITIES, robotSchema, stateSchema } from './robotSchemas.js';

/**
 * The configuration schema: one strict object per section (unknown keys are errors), every field
 * with bounds, a default and a description. `StriderConfig` (z.infer) is the only config type.
 * Robot dimensions (joints, actuators, limits) are not here: they come from the robot model.
 */

export const configSchema = z
  .strictObject({
    robot: robotSchema,
    state: stateSchema,
    control: controlSchema,
    task: taskSchema,
    model: modelSchema,
    planner: plannerSchema,
    learning: learningSchema,
    policy: policySchema,
    transport: transportSchema,
    trainer: trainerSchema,
    hotswap: hotswapSchema,
    safety: safetySchema,
    run: runSchema,
    log: logSchema,
    replay: replaySchema,
    metrics: metricsSchema,
  })
  .superRefine((c, ctx) => {
    // cross-field checks (the messages name the key and what was expected)
    for (const [path, message] of retentionIssues(c.trainer.retention, c.run.steps_per_episode))
      ctx.addIssue({ code: 'custom', path, message, input: c });
    const distils = c.control.policy === 'dagger' || c.control.policy === 'policy';
    if (distils && c.policy.return_weight > 0 && c.trainer.mode !== 'in_process') {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'return_weight'],
        message: `> 0 needs trainer.mode in_process (the return term steps the serving model, which a trainer process does not hold with the robot's reward); got trainer.mode ${c.trainer.mode}`,
        input: c,
      });
    }
    if (
      distils &&
      c.policy.return_weight > 0 &&
      c.policy.frame === 'heading' &&
      c.state.base.includes('quat')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'frame'],
        message:
          "heading with policy.return_weight > 0 and base.quat in the state is not supported (the return term's graph feeds the policy the model's predicted states as they are); set policy.frame: world",
        input: c,
      });
    }
    if (c.planner.execute === 'mean' && c.planner.optimizer === 'random') {
      ctx.addIssue({
        code: 'custom',
        path: ['planner', 'execute'],
        message:
          "'mean' needs a sampling distribution: planner.optimizer cem, icem or mppi (random shooting has none); or execute: best",
        input: c,
      });
    }
  });

export type StriderConfig = z.infer<typeof configSchema>;
export type RobotConfig = StriderConfig['robot'];
export type StateConfig = StriderConfig['state'];
export type ControlConfig = StriderConfig['control'];
export type ActionConfig = ControlConfig['action'];
export type TaskConfig = StriderConfig['task'];
export type RunConfig = StriderConfig['run'];
export type ModelConfig = StriderConfig['model'];
export type PlannerConfig = StriderConfig['planner'];
export type LearningConfig = StriderConfig['learning'];
export type PolicyConfig = StriderConfig['policy'];
export type TransportConfig = StriderConfig['transport'];
export type TrainerConfig = StriderConfig['trainer'];
export type HotswapConfig = StriderConfig['hotswap'];
export type SafetyConfig = StriderConfig['safety'];
export type MetricsConfig = StriderConfig['metrics'];
export type BaseQuantity = (typeof BASE_QUANTITIES)[number];
