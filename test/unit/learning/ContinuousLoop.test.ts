import assert from 'node:assert/strict';
import type { EpisodeRunner } from '../../../src/control/EpisodeRunner.js';
import { PolicySwitch } from '../../../src/control/PolicySwitch.js';
import { RandomPolicy } from '../../../src/control/RandomPolicy.js';
import { ContinuousLoop } from '../../../src/learning/ContinuousLoop.js';
import type { HotSwap } from '../../../src/learning/HotSwap.js';
import type { ModelSource } from '../../../src/learning/ModelSource.js';
import { silentLogger } from '../../../src/util/logger.js';

/**
 * A runner that ticks only when the test says (observe() is what a tick calls), and a source that
 * counts the watcher's looks. The watcher's timer is 10 s of wall time: it never fires here.
 */
function setup() {
  const random = new RandomPolicy(
    [{ name: 'm', joint: 'j', interface: 'effort', commandLimits: [-1, 1] }],
    { scale: 1, seed: 1 },
  );
  let now = 0;
  let stopped = false;
  let release: () => void = () => {};
  const runner = {
    records: [],
    get stopped() {
      return stopped;
    },
    runEpisodes: () => new Promise<void>((r) => (release = r)),
    stop: () => {
      stopped = true;
      release();
    },
    releaseTrajectories: () => {},
  } as unknown as EpisodeRunner;
  let looks = 0;
  const models: ModelSource = {
    episodesDone: () => {},
    next: () => {
      looks++;
      return Promise.resolve(null);
    },
  };
  const loop = new ContinuousLoop({
    runner,
    policy: new PolicySwitch(random),
    random,
    models,
    swap: {} as unknown as HotSwap, // no version arrives: never asked
    pollMs: 10_000,
    nowMs: () => now,
    logger: silentLogger(),
  });
  return {
    loop,
    runner,
    looks: () => looks,
    tickAt: async (ms: number, step: number) => {
      now = ms;
      loop.observe(0, step);
      await new Promise((r) => setImmediate(r)); // the look started by the tick settles
    },
  };
}

describe('learning/ContinuousLoop: the watcher looks right after a tick', () => {
  it('looks after the first tick, then after the first tick at least pollMs later, never between', async () => {
    const { loop, runner, looks, tickAt } = setup();
    const running = loop.run();
    await tickAt(0, 1);
    assert.equal(looks(), 1, 'the first tick starts a look');
    await tickAt(5_000, 2);
    await tickAt(9_999, 3);
    assert.equal(looks(), 1, 'not due before pollMs');
    await tickAt(10_000, 4);
    assert.equal(looks(), 2, 'due at pollMs after the last look');
    runner.stop();
    await running;
  });
});
