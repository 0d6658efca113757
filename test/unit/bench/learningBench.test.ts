import * as assert from 'node:assert/strict';
import {
  assembleLearningReport,
  episodeLine,
  gymProtocolOverrides,
  inPool,
  learningCurveSpec,
  parseLearningBenchOptions,
  seedResult,
  type RunReportSubset,
} from '../../../src/bench/learningBench.js';
import { parseCliArgs } from '../../../src/cli/args.js';
import { isStriderError } from '../../../src/util/StriderError.js';

const MACHINE = { cpus: 2, cpu: 'test', node: 'v20' };

function runReport(returns: readonly number[], sources: readonly string[]): RunReportSubset {
  return {
    status: 'completed',
    episodes: returns.map((r, i) => ({
      index: i,
      steps: 1000,
      return: r,
      source: sources[i] ?? 'mpc',
    })),
    ticks: { count: 1000 * returns.length, misses: 3 },
    swaps: [{ decision: 'accepted' }, { decision: 'rejected' }, { decision: 'accepted' }],
    models: [{ version: 1 }, { version: 2 }, { version: 3 }],
    planner: { optimizer: 'random' },
  };
}

describe('strider bench --learning', () => {
  describe('arguments', () => {
    it('parses --learning, --seeds and --steps for bench', () => {
      const parsed = parseCliArgs([
        'bench',
        '--learning',
        '--seeds',
        '2',
        '--steps',
        '10k',
        '--set',
        'robot.model=/m.xml',
      ]);
      assert.equal(parsed.kind, 'command');
      assert.equal(parsed.args.learning, true);
      assert.deepEqual(parseLearningBenchOptions(parsed.args), {
        seeds: 2,
        steps: 10_000,
        jobs: 1,
      });
      assert.deepEqual(parsed.args.set, ['robot.model=/m.xml']);
    });

    it('defaults to 3 seeds of 50k steps, one at a time', () => {
      assert.deepEqual(parseLearningBenchOptions({}), { seeds: 3, steps: 50_000, jobs: 1 });
    });

    it('takes --jobs, capped at the number of seeds', () => {
      const parsed = parseCliArgs(['bench', '--learning', '--seeds', '3', '--jobs', '2']);
      assert.equal(parsed.kind, 'command');
      assert.equal(parseLearningBenchOptions(parsed.args).jobs, 2);
      assert.equal(parseLearningBenchOptions({ seeds: '2', jobs: '8' }).jobs, 2);
    });

    it('refuses a bad --seeds or --steps, and the options on other commands', () => {
      for (const flags of [
        { seeds: '0' },
        { seeds: 'x' },
        { steps: '-5' },
        { steps: '1.5' },
        { jobs: '0' },
      ]) {
        assert.throws(
          () => parseLearningBenchOptions(flags),
          (e: unknown) => isStriderError(e) && e.code === 'CLI_USAGE',
        );
      }
      assert.throws(
        () => parseCliArgs(['run', '--learning']),
        (e: unknown) => isStriderError(e) && e.code === 'CLI_USAGE',
      );
      assert.throws(
        () => parseCliArgs(['run', '--seeds', '2']),
        (e: unknown) => isStriderError(e) && e.code === 'CLI_USAGE',
      );
      assert.throws(
        () => parseCliArgs(['run', '--jobs', '2']),
        (e: unknown) => isStriderError(e) && e.code === 'CLI_USAGE',
      );
    });
  });

  describe('seeds at once (inPool)', () => {
    /** A run per index that ends when its gate is opened; records how many were in flight. */
    function gatedRuns(): {
      run: (i: number) => Promise<string>;
      open: (i: number) => void;
      started: number[];
      peak: () => number;
    } {
      const gates = new Map<number, () => void>();
      const started: number[] = [];
      let inFlight = 0;
      let peak = 0;
      return {
        started,
        peak: () => peak,
        open: (i) => gates.get(i)?.(),
        run: (i) =>
          new Promise<string>((resolve) => {
            started.push(i);
            inFlight++;
            peak = Math.max(peak, inFlight);
            gates.set(i, () => {
              inFlight--;
              resolve(`seed ${i}`);
            });
          }),
      };
    }
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

    it('runs at most `jobs` at once, starts the next as one ends, and keeps index order', async () => {
      const g = gatedRuns();
      const all = inPool(3, 2, g.run);
      await tick();
      assert.deepEqual(g.started, [0, 1]);
      g.open(1); // seed 1 ends first: seed 2 takes its place
      await tick();
      assert.deepEqual(g.started, [0, 1, 2]);
      g.open(2);
      g.open(0);
      assert.deepEqual(await all, ['seed 0', 'seed 1', 'seed 2']);
      assert.equal(g.peak(), 2);
    });

    it('runs one at a time with jobs 1', async () => {
      const g = gatedRuns();
      const all = inPool(2, 1, g.run);
      await tick();
      assert.deepEqual(g.started, [0]);
      g.open(0);
      await tick();
      assert.deepEqual(g.started, [0, 1]);
      g.open(1);
      assert.deepEqual(await all, ['seed 0', 'seed 1']);
      assert.equal(g.peak(), 1);
    });

    it('rejects with a failure once the runs in flight have ended', async () => {
      let ended = false;
      const all = inPool(2, 2, (i) =>
        i === 0
          ? Promise.reject(new Error('seed 0 failed'))
          : new Promise<string>((r) =>
              setTimeout(() => {
                ended = true;
                r('ok');
              }, 20),
            ),
      );
      await assert.rejects(all, /seed 0 failed/);
      assert.equal(ended, true);
    });
  });

  describe('gym protocol overrides', () => {
    it('sets the protocol, derives the episode counts from the steps, and puts user overrides last', () => {
      const sets = gymProtocolOverrides({
        steps: 10_000,
        seed: 2,
        user: ['robot.model=/cheetah.xml'],
      });
      for (const s of [
        'run.steps_per_episode=1000',
        'control.rate_hz=20',
        'control.budget_ms=40',
        'task.reward=forward_speed',
        'task.ctrl_cost_weight=0.1',
        'robot.mujoco.pacing=lockstep',
        'trainer.mode=child',
        'learning.random_episodes=1',
        'learning.iterations=9',
        'learning.episodes_per_iteration=1',
        'run.seed=2',
      ]) {
        assert.ok(sets.includes(s), s);
      }
      assert.equal(sets.at(-1), 'robot.model=/cheetah.xml');
    });

    it('rounds up to whole episodes and honours user episode lengths and random episodes', () => {
      const sets = gymProtocolOverrides({
        steps: 1050,
        seed: 0,
        user: ['run.steps_per_episode=200', 'learning.random_episodes=2'],
      });
      // ceil(1050 / 200) = 6 episodes, 2 random
      assert.ok(sets.includes('learning.iterations=4'));
      assert.ok(
        sets.indexOf('learning.random_episodes=2') > sets.indexOf('learning.random_episodes=1'),
      );
    });
  });

  describe('report', () => {
    it('assembles per-seed episodes, env steps, ticks over budget and accepted versions', () => {
      const s0 = seedResult(0, runReport([-100, 10, 20, 30, 40], ['random']), 12.5, '/r0.json');
      const s1 = seedResult(1, runReport([-50, 0, 60, 90, 120], ['random']), 13, '/r1.json');
      assert.deepEqual(s0.episodes[0], { steps: 1000, return: -100, source: 'random' });
      assert.equal(s0.episodes[1]!.source, 'mpc');
      assert.equal(s0.env_steps, 5000);
      assert.equal(s0.wall_time_s, 12.5);
      assert.equal(s0.ticks_over_budget, 3);
      assert.equal(s0.model_versions_accepted, 2);
      assert.equal(s0.model_versions_trained, 3);
      assert.equal(s0.last3_mean, 30);
      assert.equal(s0.random_mean, -100);
      const r = assembleLearningReport(
        { seeds: 2, steps: 5000, jobs: 2, overrides: ['a=1'] },
        [s0, s1],
        MACHINE,
      );
      assert.equal(r.learning.seeds.length, 2);
      assert.equal(r.learning.seeds[1]!.episodes[4]!.return, 120);
      assert.equal(r.learning.last3_mean, (30 + 90) / 2);
      assert.equal(r.learning.last3_min, 30);
      assert.equal(r.learning.ticks_over_budget_fraction, 6 / 10_000);
      assert.deepEqual(r.learning.protocol, {
        steps: 5000,
        seeds: 2,
        jobs: 2,
        overrides: ['a=1'],
      });
      // it is plain JSON
      assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
    });

    it('counts a seed without a report as failed with no episodes', () => {
      const s = seedResult(3, {}, 1, '/missing.json');
      assert.equal(s.status, 'failed');
      assert.deepEqual(s.episodes, []);
      assert.ok(Number.isNaN(s.last3_mean));
      const r = assembleLearningReport(
        { seeds: 1, steps: 1000, jobs: 1, overrides: [] },
        [s],
        MACHINE,
      );
      assert.ok(Number.isNaN(r.learning.last3_mean));
    });
  });

  describe('learning curve', () => {
    it('plots mean, min and max over seeds per source against env steps', () => {
      const s0 = seedResult(0, runReport([-100, 10, 20], ['random']), 1, '');
      const s1 = seedResult(1, runReport([-50, 30, 60], ['random']), 1, '');
      const spec = learningCurveSpec([s0, s1], 't');
      const byName = new Map(spec.series.map((s) => [s.name, s.points]));
      assert.deepEqual(byName.get('random mean (2 seeds)'), [{ x: 1000, y: -75 }]);
      assert.deepEqual(byName.get('mpc mean (2 seeds)'), [
        { x: 2000, y: 20 },
        { x: 3000, y: 40 },
      ]);
      assert.deepEqual(
        byName.get('mpc min')?.map((p) => p.y),
        [10, 20],
      );
      assert.deepEqual(
        byName.get('mpc max')?.map((p) => p.y),
        [30, 60],
      );
    });

    it('uses the seeds that have an episode when one seed stopped early', () => {
      const s0 = seedResult(0, runReport([-100, 10, 20], ['random']), 1, '');
      const s1 = seedResult(1, runReport([-50, 30], ['random']), 1, '');
      const mpc = learningCurveSpec([s0, s1], 't').series.find((s) =>
        s.name.startsWith('mpc mean'),
      )!;
      assert.deepEqual(mpc.points.at(-1), { x: 3000, y: 20 });
    });
  });

  it('prints one progress line per episode with seed, steps and return', () => {
    assert.equal(
      episodeLine(1, { index: 2, steps: 1000, return: 12.345, source: 'mpc' }, 3000),
      'seed 1  episode 3 (mpc)  steps 3000  return 12.3',
    );
  });
});
