import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { StriderError } from '../../../src/util/StriderError.js';

/** The planar runner's session with these overrides, opened (real MuJoCo WASM). */
async function openSession(overrides: string[]): Promise<RunSession> {
  const { config } = loadConfig(join('config', 'planar_runner.yaml'), { overrides });
  const session = new RunSession({ config, logger: silentLogger() });
  await session.open();
  return session;
}

describe('planner.tilt_cost reaches the planner of a run (real MuJoCo WASM)', function () {
  this.timeout(60000);

  it('on a state without the base quaternion the run stops at the start, naming the key', async () => {
    const session = await openSession(['planner.tilt_cost=5', 'state.base=[pos_z, linvel]']);
    try {
      assert.throws(
        () => session.mpcPolicyFactory(),
        (err: unknown) =>
          err instanceof StriderError &&
          err.code === 'CONFIG_INVALID' &&
          /planner\.tilt_cost/.test(err.message),
      );
    } finally {
      await session.close();
    }
  });

  it('the same state with tilt_cost 0 plans with the task reward alone (no error)', async () => {
    const session = await openSession(['planner.tilt_cost=0', 'state.base=[pos_z, linvel]']);
    try {
      assert.equal(typeof session.mpcPolicyFactory(), 'function');
    } finally {
      await session.close();
    }
  });
});
