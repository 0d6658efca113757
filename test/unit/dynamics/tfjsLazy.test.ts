import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/**
 * TensorFlow.js (about 25 MB of source and code on a heap) loads only where a trainer runs it:
 * the controller imports the trainer's modules for the in-process mode, and a larger heap is a
 * longer major-GC pause on the control thread. A fresh process, so nothing else has loaded it.
 */
describe('dynamics: TensorFlow.js is loaded on demand', () => {
  it('importing the run session leaves it unloaded; a tfjs trainer loads it', function () {
    this.timeout(120_000);
    const script = `
      await import('./src/cli/RunSession.ts');
      const { EnsembleTrainer } = await import('./src/dynamics/EnsembleTrainer.ts');
      const { makeArchitecture } = await import('./src/dynamics/architecture.ts');
      const before = typeof globalThis._tfengine;
      const trainer = await EnsembleTrainer.create({
        architecture: makeArchitecture({ stateDim: 2, actionDim: 1, ensembleSize: 1, hiddenSizes: [4] }),
        backend: 'tfjs',
      });
      await trainer.dispose();
      process.stdout.write(JSON.stringify({ before, after: typeof globalThis._tfengine }));
    `;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), {
      before: 'undefined',
      after: 'object',
    });
  });
});
