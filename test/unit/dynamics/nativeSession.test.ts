import * as assert from 'node:assert/strict';
import { initWeights, makeArchitecture, OnnxEnsemble } from '../../../src/dynamics/index.js';
import { EnsembleSessions } from '../../../src/dynamics/EnsembleSessions.js';
import { createNativeSession } from '../../../src/dynamics/onnx/nativeSession.js';
import { Rng } from '../../../src/util/rng.js';
import { maxAbsDiff, randomArray } from './fixtures.js';

const S = 5;
const A = 2;
const E = 3;
const B = 4;

function snapshot() {
  const arch = makeArchitecture({ stateDim: S, actionDim: A, ensembleSize: E, hiddenSizes: [16] });
  const rng = new Rng(5);
  return {
    architecture: arch,
    normalisers: {
      inputMean: randomArray(S + A, rng, -1, 1),
      inputStd: randomArray(S + A, rng, 0.5, 2),
      deltaMean: randomArray(S, rng, -0.1, 0.1),
      deltaStd: randomArray(S, rng, 0.05, 0.5),
    },
    weights: initWeights(arch, 2),
  };
}

/** Ten model steps back to back, as a planner iteration makes them; whether a setImmediate queued before ran in between. */
async function tenSteps(ens: OnnxEnsemble): Promise<{ out: Float32Array; interleaved: boolean }> {
  const rng = new Rng(1);
  let states: Float32Array = randomArray(E * B * S, rng, -1, 1);
  const actions = randomArray(E * B * A, rng);
  let out: Float32Array = new Float32Array(E * B * S);
  let interleaved = false;
  setImmediate(() => {
    interleaved = true;
  });
  for (let t = 0; t < 10; t++) {
    await ens.step(states, actions, B, out);
    [states, out] = [out, states];
  }
  const seen = interleaved;
  await new Promise((r) => setImmediate(r));
  return { out: states, interleaved: seen };
}

describe('dynamics: the native (synchronous) ONNX Runtime session', function () {
  this.timeout(30000);

  it('is there in this onnxruntime-node: a model it cannot load is ONNX Runtime\u2019s error, not a silent null', () => {
    assert.throws(() => createNativeSession(Uint8Array.of(1, 2, 3), {}));
  });

  it('on kept sessions a plan runs without an event-loop turn between model calls, with the outputs of the public asynchronous path', async () => {
    const sessions = new EnsembleSessions();
    const shared = await OnnxEnsemble.create(snapshot(), { maxBatchPerMember: B, sessions });
    const own = await OnnxEnsemble.create(snapshot(), { maxBatchPerMember: B });
    try {
      const sync = await tenSteps(shared);
      const async = await tenSteps(own);
      assert.equal(sync.interleaved, false, 'nothing else ran between the ten calls');
      assert.equal(async.interleaved, true, 'the public run() gives the event loop a turn');
      assert.ok(
        maxAbsDiff(sync.out, async.out) < 1e-4,
        `difference ${maxAbsDiff(sync.out, async.out)}`,
      );
      // off the tick (a new model's warm-up) the same kept session gives the loop its turns
      shared.synchronous = false;
      assert.equal((await tenSteps(shared)).interleaved, true);
    } finally {
      await shared.close();
      await own.close();
      await sessions.close();
    }
  });
});
