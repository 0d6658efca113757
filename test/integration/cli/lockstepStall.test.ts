import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunSession } from '../../../src/cli/RunSession.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/util/logger.js';

/**
 * Lockstep pacing: the simulator waits for the controller, so a slow controller cannot make its
 * state stale. The session's clock jumps 500 ms (over 3x safety.state_timeout_ms) after every
 * tick, as a stalled controller on a loaded machine sees it: no stale verdict, no latch, every
 * transition recorded.
 */
describe('strider run, lockstep pacing, with a controller stalled 500 ms per tick', function () {
  this.timeout(60_000);

  it('never latches the gate on stale state and records every step', async () => {
    const { config } = loadConfig(join('config', 'planar_runner.yaml'), {
      overrides: ['run.steps_per_episode=25'],
    });
    assert.equal(config.robot.mujoco.pacing, 'lockstep');
    assert.ok(config.safety.state_timeout_ms < 500);
    let nowMs = 0;
    const session = new RunSession({
      config,
      logger: silentLogger(),
      clock: { nowMs: () => nowMs },
      onStep: () => {
        nowMs += 500;
      },
    });
    try {
      const parts = await session.open();
      const records = await parts.runner.runEpisodes(2);
      assert.ok(nowMs >= 2 * 25 * 500, 'the clock did jump after every tick');
      assert.equal(parts.gate.latch, null);
      assert.deepEqual(
        records.map((r) => [r.steps, r.terminated]),
        [
          [25, null],
          [25, null],
        ],
      );
      assert.equal(parts.loop.stats.waiting, 0);
    } finally {
      await session.close();
    }
  });
});
