import * as assert from 'node:assert/strict';
import {
  initWeights,
  makeArchitecture,
  OnnxEnsemble,
  type Normalisers,
} from '../../../src/dynamics/index.js';
import { EnsembleSessions } from '../../../src/dynamics/EnsembleSessions.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { Rng } from '../../../src/util/rng.js';
import { maxAbsDiff, randomArray } from './fixtures.js';

const S = 5;
const A = 2;
const E = 3;

function normalisers(rng: Rng): Normalisers {
  return {
    inputMean: randomArray(S + A, rng, -1, 1),
    inputStd: randomArray(S + A, rng, 0.5, 2),
    deltaMean: randomArray(S, rng, -0.1, 0.1),
    deltaStd: randomArray(S, rng, 0.05, 0.5),
  };
}

describe('dynamics/EnsembleSessions', function () {
  this.timeout(30000);

  for (const prediction of ['mean', 'sample'] as const) {
    it(`runs every version of an architecture on one session, each with its own weights (${prediction})`, async () => {
      const arch = makeArchitecture({
        stateDim: S,
        actionDim: A,
        ensembleSize: E,
        hiddenSizes: [16, 16],
      });
      const rng = new Rng(3);
      const versions = [1, 2].map((seed) => ({
        architecture: arch,
        normalisers: normalisers(rng),
        weights: initWeights(arch, seed),
      }));
      const B = 6;
      const states = randomArray(E * B * S, rng, -2, 2);
      const actions = randomArray(E * B * A, rng);
      const sessions = new EnsembleSessions();
      const run = async (ens: OnnxEnsemble): Promise<Float32Array> => {
        const out = new Float32Array(E * B * S);
        await ens.step(states, actions, B, out);
        return out;
      };
      try {
        // the same noise draws in both: the same seed
        const opts = (shared: boolean) => ({
          maxBatchPerMember: B,
          prediction,
          rng: new Rng(9),
          ...(shared ? { sessions } : {}),
        });
        const own = await Promise.all(versions.map((v) => OnnxEnsemble.create(v, opts(false))));
        const shared = [];
        for (const v of versions) shared.push(await OnnxEnsemble.create(v, opts(true)));
        assert.equal(sessions.size, 1, 'one session for both versions');
        const ownOut = [await run(own[0]!), await run(own[1]!)];
        const sharedOut = [await run(shared[0]!), await run(shared[1]!)];
        for (let i = 0; i < 2; i++) {
          assert.ok(
            maxAbsDiff(ownOut[i]!, sharedOut[i]!) < 1e-5,
            `version ${i + 1} differs from its own session`,
          );
        }
        assert.ok(
          maxAbsDiff(sharedOut[0]!, sharedOut[1]!) > 1e-3,
          'the two versions predicted alike',
        );
        // closing one version leaves the session to the other
        await shared[0]!.close();
        const again = await run(shared[1]!);
        if (prediction === 'mean') assert.ok(maxAbsDiff(again, ownOut[1]!) < 1e-5);
        else assert.ok(again.every(Number.isFinite) && maxAbsDiff(again, sharedOut[1]!) > 0);
        for (const e of [...own, shared[1]!]) await e.close();
      } finally {
        await sessions.close();
      }
    });
  }

  it('keys sessions by architecture and settings, and refuses use after close()', async () => {
    const sessions = new EnsembleSessions();
    const rng = new Rng(4);
    const snap = (hidden: number[]) => {
      const architecture = makeArchitecture({
        stateDim: S,
        actionDim: A,
        ensembleSize: E,
        hiddenSizes: hidden,
      });
      return { architecture, normalisers: normalisers(rng), weights: initWeights(architecture, 1) };
    };
    const a = await OnnxEnsemble.create(snap([8]), { maxBatchPerMember: 2, sessions });
    const b = await OnnxEnsemble.create(snap([12]), { maxBatchPerMember: 2, sessions });
    const c = await OnnxEnsemble.create(snap([8]), {
      maxBatchPerMember: 2,
      sessions,
      intraOpNumThreads: 1,
    });
    assert.equal(sessions.size, 3);
    assert.ok(
      sessions.has({
        architecture: snap([8]).architecture,
        prediction: 'mean',
        intraOpNumThreads: 2,
        spin: true,
      }),
    );
    for (const e of [a, b, c]) await e.close();
    await sessions.close();
    await assert.rejects(OnnxEnsemble.create(snap([8]), { maxBatchPerMember: 2, sessions }), (e) =>
      isStriderError(e, 'LOOP_STATE'),
    );
  });
});
