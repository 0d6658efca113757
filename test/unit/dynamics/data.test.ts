import * as assert from 'node:assert/strict';
import {
  bootstrapIndices,
  exportSnapshot,
  fitNormalisers,
  importSnapshot,
  initWeights,
  makeArchitecture,
  identityNormalisers,
  splitByTrajectory,
  countTransitions,
  assertFiniteTrajectories,
  EnsembleTrainer,
  type EnsembleSnapshot,
} from '../../../src/dynamics/index.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { Rng } from '../../../src/util/rng.js';
import { linearSystemTrajectories } from './fixtures.js';

describe('dynamics/bootstrap and splits', () => {
  it('draws a different bootstrap (with replacement) for each member', () => {
    const boot = bootstrapIndices(1000, 5, new Rng(3));
    assert.equal(boot.length, 5);
    const keys = new Set(boot.map((b) => b.join(',')));
    assert.equal(keys.size, 5, 'members differ');
    for (const b of boot) {
      assert.equal(b.length, 1000);
      const unique = new Set(b).size;
      // with replacement: about 1 - 1/e = 63% distinct rows
      assert.ok(unique > 560 && unique < 700, `distinct ${unique}`);
      assert.ok(b.every((i) => i >= 0 && i < 1000));
    }
  });

  it('holds out whole trajectories, about the requested fraction, keeping one for training', () => {
    const data = linearSystemTrajectories({ count: 10, length: 20, seed: 1 });
    const rng = new Rng(5);
    const split = splitByTrajectory(data, {
      holdoutFraction: 0.2,
      stateDim: 4,
      actionDim: 2,
      random: () => rng.next(),
    });
    assert.equal(split.train.length + split.holdout.length, 10);
    assert.equal(split.holdout.length, 2);
    for (const t of split.holdout) assert.ok(!split.train.includes(t));
    const one = splitByTrajectory(data.slice(0, 1), {
      holdoutFraction: 0.5,
      stateDim: 4,
      actionDim: 2,
      random: () => 0.5,
    });
    assert.equal(one.holdout.length, 0);
  });

  it('sticky split: a trajectory keeps its side across calls; new ones top the hold-out up', () => {
    const data = linearSystemTrajectories({ count: 20, length: 20, seed: 2 });
    const rng = new Rng(3);
    const assigned = new WeakMap<(typeof data)[number], boolean>();
    const opts = {
      holdoutFraction: 0.2,
      stateDim: 4,
      actionDim: 2,
      random: () => rng.next(),
      assigned,
    };
    const first = splitByTrajectory(data.slice(0, 10), opts);
    assert.equal(first.holdout.length, 2);
    const second = splitByTrajectory(data, opts);
    for (const t of first.holdout)
      assert.ok(second.holdout.includes(t), 'held out once, held out always');
    for (const t of first.train)
      assert.ok(second.train.includes(t), 'trained on once, never held out');
    assert.equal(second.holdout.length, 4, 'topped up to the fraction of all 20');
  });

  it('checks trajectory shapes and finiteness', () => {
    const good = linearSystemTrajectories({ count: 1, length: 5, seed: 1 });
    assert.equal(countTransitions(good, 4, 2), 5);
    assert.throws(
      () =>
        countTransitions([{ states: new Float32Array(10), actions: new Float32Array(4) }], 4, 2),
      (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
    const bad = { states: good[0]!.states.slice(), actions: good[0]!.actions };
    bad.states[3] = Number.NaN;
    assert.throws(
      () => {
        assertFiniteTrajectories([bad]);
      },
      (e) => isStriderError(e, 'NON_FINITE'),
    );
  });
});

describe('dynamics/Normaliser', () => {
  it('standardises inputs and deltas and treats constant features safely', () => {
    const data = linearSystemTrajectories({ count: 3, length: 30, seed: 2 });
    for (const t of data) {
      for (let k = 0; k < t.actions.length / 2; k++) t.actions[k * 2 + 1] = 0.5; // constant action
    }
    const n = fitNormalisers(data, 4, 2);
    assert.equal(n.inputStd[5], 1, 'constant feature: std := 1');
    assert.ok(Math.abs(n.inputMean[5]! - 0.5) < 1e-6);
    for (const v of [...n.inputStd, ...n.deltaStd]) assert.ok(Number.isFinite(v) && v > 0);
  });
});

describe('dynamics/EnsembleSnapshot', () => {
  const arch = makeArchitecture({
    stateDim: 3,
    actionDim: 2,
    ensembleSize: 2,
    hiddenSizes: [8, 8],
  });
  const snap: EnsembleSnapshot = {
    architecture: arch,
    normalisers: identityNormalisers(3, 2),
    weights: initWeights(arch, 1),
  };

  it('round-trips as plain Float32Arrays (owned copies)', () => {
    const out = importSnapshot(exportSnapshot(snap));
    assert.deepEqual(out.architecture, arch);
    assert.equal(out.weights.length, snap.weights.length);
    out.weights.forEach((w, i) => {
      assert.deepEqual(w, snap.weights[i]);
    });
    assert.notEqual(out.weights[0], snap.weights[0]);
  });

  it('rejects wrong shapes with MODEL_SHAPE_MISMATCH', () => {
    const short = { ...snap, weights: snap.weights.slice(0, -1) };
    assert.throws(
      () => importSnapshot(short),
      (e) =>
        isStriderError(e, 'MODEL_SHAPE_MISMATCH') && /expected 8 weight arrays/.test(e.message),
    );
    const wrongLen = {
      ...snap,
      weights: snap.weights.map((w, i) => (i === 2 ? w.subarray(1) : w)),
    };
    assert.throws(
      () => importSnapshot(wrongLen),
      (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH') && /w1 \[2x8x8\]/.test(e.message),
    );
    const badNorm = {
      ...snap,
      normalisers: { ...snap.normalisers, deltaStd: new Float32Array(2) },
    };
    assert.throws(
      () => importSnapshot(badNorm),
      (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
    const badArch = { ...snap, architecture: { ...arch, hiddenSizes: [8, 0] } };
    assert.throws(
      () => importSnapshot(badArch),
      (e) => isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
  });

  it('rejects NaN / infinite weights and non-positive stds with NON_FINITE', () => {
    const nanW = exportSnapshot(snap);
    (nanW.weights[1] as Float32Array)[3] = Number.NaN;
    assert.throws(
      () => importSnapshot(nanW),
      (e) => isStriderError(e, 'NON_FINITE') && /b0/.test(e.message),
    );
    const infN = exportSnapshot(snap);
    infN.normalisers.inputMean[0] = Number.POSITIVE_INFINITY;
    assert.throws(
      () => importSnapshot(infN),
      (e) => isStriderError(e, 'NON_FINITE'),
    );
    const zeroStd = exportSnapshot(snap);
    zeroStd.normalisers.inputStd[0] = 0;
    assert.throws(
      () => importSnapshot(zeroStd),
      (e) => isStriderError(e, 'NON_FINITE'),
    );
  });

  it('warm-starts a new trainer from a snapshot and refuses a different architecture', async () => {
    const other = makeArchitecture({
      stateDim: 3,
      actionDim: 2,
      ensembleSize: 2,
      hiddenSizes: [8],
    });
    await assert.rejects(EnsembleTrainer.create({ architecture: other, initial: snap }), (e) =>
      isStriderError(e, 'MODEL_SHAPE_MISMATCH'),
    );
    const t = await EnsembleTrainer.create({ architecture: arch, initial: snap });
    t.snapshot().weights.forEach((w, i) => {
      assert.deepEqual(w, snap.weights[i]);
    });
    await t.dispose();
  });
});
