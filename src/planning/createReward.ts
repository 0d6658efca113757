import type { TaskConfig } from '../config/schema.js';
import type { ActuatorInfo } from '../robot/types.js';
import type { StateLayout } from '../state/types.js';
import { LeggedReward, type LeggedRewardContext } from './leggedReward.js';
import { CmdVelReward, ForwardSpeedReward, type ActionCostScale } from './rewards.js';
import type { BatchReward } from './types.js';

/** Where a fall begins for the legged reward when the caller gives no context (no stance known). */
const DEFAULT_CONTEXT: LeggedRewardContext = {
  maxTiltRad: 0.8,
  minHeightFraction: 0.5,
  stanceBaseHeightM: null,
};

/**
 * The reward the task config names, for this state layout and these actuators (the control cost
 * normalised by `costScale`, the action space, when given; `context` for the legged reward).
 */
export function createReward(
  task: TaskConfig,
  layout: StateLayout,
  actuators: readonly ActuatorInfo[],
  costScale?: ActionCostScale,
  context: LeggedRewardContext = DEFAULT_CONTEXT,
): BatchReward {
  switch (task.reward) {
    case 'forward_speed':
      return new ForwardSpeedReward(layout, actuators, task.ctrl_cost_weight, costScale);
    case 'cmd_vel':
      return new CmdVelReward(layout, actuators, task, costScale);
    case 'legged':
      return new LeggedReward(layout, actuators, task, context, costScale);
  }
}
