import * as assert from 'node:assert/strict';
import { plannerOptions } from '../../../src/cli/createMpcPolicy.js';
import { plannerSchema } from '../../../src/config/learningSchemas.js';
import { ActionSpace } from '../../../src/control/ActionSpace.js';
import { twoJointRobot } from '../../helpers/fixtures.js';

describe('cli/plannerOptions: planner.margin', () => {
  const space = ActionSpace.commandRange(twoJointRobot().actuators);

  it('keeps a tenth of the tick budget free by default', () => {
    const o = plannerOptions(plannerSchema.parse({}), 1, space, 16);
    assert.ok(Math.abs(o.timeMarginMs! - 1.6) < 1e-9, `margin ${o.timeMarginMs}`);
  });

  it('keeps the configured fraction free, and refuses one that leaves nothing to plan in', () => {
    const o = plannerOptions(plannerSchema.parse({ margin: 0.25 }), 1, space, 16);
    assert.equal(o.timeMarginMs, 4);
    const r = plannerSchema.safeParse({ margin: 1 });
    assert.equal(r.success, false);
  });
});
