import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initWeights, makeArchitecture } from '../../../src/dynamics/architecture.js';
import {
  FORMAT_VERSION,
  TRANSITIONS_VERSION,
  MANIFEST_FILE,
  Topics,
  WEIGHTS_FILE,
  decodeModelArtifact,
  decodeStatus,
  decodeTransitionBatch,
  encodeModelArtifact,
  encodeStatus,
  encodeTransitionBatch,
  hasExpertLabel,
  readModelArtifactDir,
  topicMatches,
  writeModelArtifactDir,
} from '../../../src/transport/index.js';
import type { DecodeResult } from '../../../src/transport/index.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';
import { sampleBatch, sampleModel } from './fixtures.js';

function failure<T>(r: DecodeResult<T>, what = ''): { code: string; reason: string } {
  if (r.ok) assert.fail(`expected a rejection ${what}`);
  return r;
}

describe('transport/topics', () => {
  it('builds and parses per-robot topics under a prefix', () => {
    const t = new Topics('fleet/a');
    assert.equal(t.topic('dog-1', 'transitions'), 'fleet/a/dog-1/transitions');
    assert.deepEqual(t.parse('fleet/a/dog-1/model'), {
      prefix: 'fleet/a',
      robotId: 'dog-1',
      channel: 'model',
    });
    assert.equal(t.parse('fleet/a/dog-1/other'), undefined);
    assert.equal(t.parse('strider/dog-1/model'), undefined);
    assert.equal(t.parse('fleet/a/x/y/model'), undefined);
    assert.equal(new Topics().topic('r', 'status'), 'strider/r/status');
    assert.equal(t.shared('trainers'), '$share/trainers/fleet/a/+/transitions');
  });

  it('rejects wildcards, empty levels and $ prefixes with CONFIG_INVALID', () => {
    for (const bad of ['', 'a/+', 'a//b', '#', '$SYS']) {
      assert.throws(
        () => new Topics(bad),
        (e) => isStriderError(e, 'CONFIG_INVALID'),
      );
    }
    assert.throws(() => new Topics().topic('a/b', 'model'), /robotId "a\/b"/);
  });

  it('matches filters, including shared subscriptions', () => {
    assert.ok(topicMatches('strider/+/transitions', 'strider/r1/transitions'));
    assert.ok(topicMatches('$share/g/strider/+/transitions', 'strider/r1/transitions'));
    assert.ok(topicMatches('strider/#', 'strider/r1/model'));
    assert.ok(!topicMatches('strider/+/transitions', 'strider/r1/model'));
    assert.ok(!topicMatches('+/x', '$SYS/x'));
  });
});

describe('transport/TransitionBatchCodec', () => {
  it('round-trips every field, with NaN marking an absent expert label', () => {
    const b = sampleBatch(3);
    const r = decodeTransitionBatch(encodeTransitionBatch(b));
    assert.ok(r.ok);
    assert.deepEqual({ ...r.value, expertActions: null }, { ...b, expertActions: null });
    assert.deepEqual(Array.from(r.value.expertActions), Array.from(b.expertActions));
    assert.ok(hasExpertLabel(r.value, 0));
    assert.ok(!hasExpertLabel(r.value, 1));
  });

  it('round-trips the command column (3 values per transition) as format version 2', () => {
    const b = sampleBatch(3);
    const commands = Float32Array.of(0.5, 0, 0.25, -0.5, 0.1, 0, 1, -1, 0.75);
    const enc = encodeTransitionBatch({ ...b, commands });
    assert.equal(enc[4], 2, 'format version');
    assert.equal(enc.length, encodeTransitionBatch(b).length + 3 * 3 * 4);
    const r = decodeTransitionBatch(enc);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(Array.from(r.value.commands ?? []), Array.from(commands));
    assert.deepEqual(
      { ...r.value, expertActions: null, commands: null },
      { ...b, expertActions: null, commands: null },
    );
    // without a command the batch has none
    const plain = decodeTransitionBatch(encodeTransitionBatch(b));
    assert.ok(plain.ok);
    assert.equal(plain.value.commands, undefined);
    assert.ok(!('commands' in plain.value));
  });

  it('decodes a format version 1 payload (no command column; reserved byte 0)', () => {
    // version 1 is version 2 with no command: its byte after the source was reserved 0
    const v1 = encodeTransitionBatch(sampleBatch(3));
    v1[4] = 1;
    const r = decodeTransitionBatch(v1);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.value.commands, undefined);
    assert.deepEqual(
      { ...r.value, expertActions: null },
      { ...sampleBatch(3), expertActions: null },
    );
    // a version 1 payload with a command width is not one this build wrote
    const L = 'dog-1'.length;
    const v1cmd = encodeTransitionBatch({ ...sampleBatch(1), commands: Float32Array.of(1, 2, 3) });
    v1cmd[4] = 1;
    assert.equal(v1cmd[34 + L], 3);
    const f = failure(decodeTransitionBatch(v1cmd));
    assert.equal(f.code, 'PAYLOAD_INVALID');
    assert.match(f.reason, /^reserved: 3, expected 0/);
  });

  it('rejects a command width other than 0 or 3, a non-finite command and a length off by the column', () => {
    const L = 'dog-1'.length;
    const withCmd = (): Buffer =>
      encodeTransitionBatch({ ...sampleBatch(2), commands: Float32Array.of(1, 2, 3, 4, 5, 6) });
    const w = withCmd();
    w[34 + L] = 2;
    assert.match(
      failure(decodeTransitionBatch(w)).reason,
      /^commandDim: 2, expected 0 or 3 \(vx, vy, yaw_rate\)/,
    );
    const cut = withCmd().subarray(0, withCmd().length - 12);
    assert.match(
      failure(decodeTransitionBatch(cut)).reason,
      /^length: .* commandDim 3 \(truncated\)/,
    );
    const nan = encodeTransitionBatch({
      ...sampleBatch(2),
      commands: Float32Array.of(1, 2, 3, 4, Number.NaN, 6),
    });
    const f = failure(decodeTransitionBatch(nan));
    assert.equal(f.code, 'NON_FINITE');
    assert.match(f.reason, /^transitions\[1\]\.command\[1\]: NaN/);
    assert.throws(
      () => encodeTransitionBatch({ ...sampleBatch(2), commands: Float32Array.of(1, 2, 3) }),
      RangeError,
    );
  });

  it('decodes from an unaligned slice of a larger buffer', () => {
    const enc = encodeTransitionBatch(sampleBatch(2));
    const big = Buffer.alloc(enc.length + 3);
    enc.copy(big, 3);
    assert.ok(decodeTransitionBatch(big.subarray(3)).ok);
  });

  it('rejects a payload truncated at every byte boundary, naming the field', () => {
    const enc = encodeTransitionBatch(sampleBatch(2));
    for (let n = 0; n < enc.length; n++) {
      const f = failure(decodeTransitionBatch(enc.subarray(0, n)));
      assert.equal(f.code, 'PAYLOAD_INVALID', `at ${n}: ${f.reason}`);
      assert.match(f.reason, /^(header|robotIdLength|robotId|batch fields|length): /, `at ${n}`);
    }
    assert.match(
      failure(decodeTransitionBatch(Buffer.concat([enc, Buffer.alloc(1)]))).reason,
      /trailing/,
    );
  });

  it('rejects bad magic, unknown version, wrong kind and flags', () => {
    const enc = () => encodeTransitionBatch(sampleBatch(1));
    const m = enc();
    m[0] = 0x58;
    assert.match(failure(decodeTransitionBatch(m)).reason, /^magic/);
    const v = enc();
    v[4] = TRANSITIONS_VERSION + 1;
    const fv = failure(decodeTransitionBatch(v));
    assert.equal(fv.code, 'PAYLOAD_VERSION');
    assert.match(fv.reason, /^version: 3, this build reads version 1 and 2 of transitions/);
    assert.equal(FORMAT_VERSION, 1, 'the other payload kinds stay at version 1');
    const k = enc();
    k[5] = 2;
    assert.match(failure(decodeTransitionBatch(k)).reason, /^kind: 2, expected 1/);
    const fl = enc();
    fl[6] = 1;
    assert.match(failure(decodeTransitionBatch(fl)).reason, /^flags/);
  });

  it('rejects non-finite states, actions, rewards and partial expert rows', () => {
    const cases: [string, (b: ReturnType<typeof sampleBatch>) => void, RegExp][] = [
      ['state', (b) => (b.states[4] = Number.NaN), /transitions\[1\]\.state\[1\]: NaN/],
      [
        'action',
        (b) => (b.actions[0] = Number.POSITIVE_INFINITY),
        /transitions\[0\]\.action\[0\]: Infinity/,
      ],
      ['next', (b) => (b.nextStates[2] = Number.NaN), /transitions\[0\]\.nextState\[2\]/],
      ['reward', (b) => (b.rewards[2] = Number.NaN), /transitions\[2\]\.reward: NaN/],
      [
        'expert partial',
        (b) => (b.expertActions[0] = Number.NaN),
        /transitions\[0\]\.expertAction: 1 of 2 values NaN/,
      ],
      [
        'expert inf',
        (b) => (b.expertActions[4] = Number.NEGATIVE_INFINITY),
        /transitions\[2\]\.expertAction: \[0\] is -Infinity/,
      ],
    ];
    for (const [name, mutate, pattern] of cases) {
      const b = sampleBatch(3);
      mutate(b);
      const f = failure(decodeTransitionBatch(encodeTransitionBatch(b)));
      assert.equal(f.code, 'NON_FINITE', name);
      assert.match(f.reason, pattern, name);
    }
  });

  it('rejects dims that do not match the length, zero counts, bad source, done and sequence', () => {
    const enc = encodeTransitionBatch(sampleBatch(2));
    const L = enc[8]!;
    const fixed = 9 + L;
    const withU16 = (off: number, v: number): Buffer => {
      const c = Buffer.from(enc);
      c.writeUInt16LE(v, off);
      return c;
    };
    assert.match(
      failure(decodeTransitionBatch(withU16(fixed + 20, 4))).reason,
      /^length: .* stateDim 4, actionDim 2 \(trailing|truncated/,
    );
    assert.match(
      failure(decodeTransitionBatch(withU16(fixed + 22, 3))).reason,
      /^length: .*actionDim 3/,
    );
    assert.match(failure(decodeTransitionBatch(withU16(fixed + 20, 0))).reason, /^stateDim: 0/);
    const zero = Buffer.from(enc);
    zero.writeUInt32LE(0, fixed + 16);
    assert.match(failure(decodeTransitionBatch(zero)).reason, /^count: 0/);
    const src = Buffer.from(enc);
    src[fixed + 24] = 9;
    assert.match(failure(decodeTransitionBatch(src)).reason, /^source: 9/);
    const done = Buffer.from(enc);
    done[enc.length - 1] = 2;
    assert.match(failure(decodeTransitionBatch(done)).reason, /transitions\[1\]\.done: 2/);
    const seq = Buffer.from(enc);
    seq.writeUInt32LE(99, fixed + 26);
    assert.match(
      failure(decodeTransitionBatch(seq)).reason,
      /transitions\[0\]\.seq: 99, expected 10/,
    );
    const big = Buffer.from(enc);
    big.writeUInt32LE(0x00400000, fixed + 12);
    assert.match(failure(decodeTransitionBatch(big)).reason, /^firstSeq/);
    const id = Buffer.from(enc);
    id[9] = 0x2f; // '/'
    assert.match(failure(decodeTransitionBatch(id)).reason, /^robotId/);
  });

  it('never throws on random garbage', () => {
    let seed = 1;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const good = encodeTransitionBatch(sampleBatch(2));
    for (let k = 0; k < 500; k++) {
      const b = Buffer.from(good);
      for (let j = 0; j < 3; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const r = decodeTransitionBatch(b.subarray(0, Math.floor(rnd() * b.length * 1.1)));
      assert.equal(typeof r.ok, 'boolean');
    }
  });
});

describe('transport/ModelArtifactCodec', () => {
  it('round-trips a ModelVersion exactly (weights, normalisers, metrics, manifest)', () => {
    const m = sampleModel(3);
    const createdAt = new Date('2026-01-02T03:04:05Z');
    const r = decodeModelArtifact(encodeModelArtifact(m, { createdAt }));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.value.model.version, 3);
    assert.deepEqual(r.value.model.metrics, m.metrics);
    assert.deepEqual(r.value.model.snapshot, m.snapshot);
    assert.equal(r.value.manifest.created_at, '2026-01-02T03:04:05.000Z');
    assert.match(r.value.manifest.weights.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      r.value.manifest.weights.tensors.map((t) => t.name),
      ['w0', 'b0', 'w1', 'b1', 'maxLogvar', 'minLogvar'],
    );
  });

  it('keeps a non-finite metric as NaN (JSON null)', () => {
    const m = sampleModel();
    const r = decodeModelArtifact(
      encodeModelArtifact({ ...m, metrics: { ...m.metrics, val_loss: Number.NaN } }),
    );
    assert.ok(r.ok);
    assert.ok(Number.isNaN(r.value.model.metrics.val_loss));
  });

  it('rejects flipped weight bytes (ARTIFACT_CHECKSUM), NaN (NON_FINITE), wrong shapes (MODEL_SHAPE_MISMATCH)', () => {
    const enc = encodeModelArtifact(sampleModel());
    const corrupt = Buffer.from(enc);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 5) ^ 0x40, corrupt.length - 5);
    assert.equal(failure(decodeModelArtifact(corrupt)).code, 'ARTIFACT_CHECKSUM');

    const nan = sampleModel();
    nan.snapshot.weights[2]![5] = Number.NaN;
    const fn = failure(decodeModelArtifact(encodeModelArtifact(nan)));
    assert.equal(fn.code, 'NON_FINITE');
    assert.match(fn.reason, /w1.*\[5\] is NaN/);

    const wrong = sampleModel();
    const other = makeArchitecture({
      stateDim: 3,
      actionDim: 2,
      ensembleSize: 2,
      hiddenSizes: [5],
    });
    const fs = failure(
      decodeModelArtifact(
        encodeModelArtifact({
          ...wrong,
          snapshot: { ...wrong.snapshot, weights: initWeights(other, 1) },
        }),
      ),
    );
    assert.equal(fs.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(fs.reason, /floats, the architecture needs/);

    const fewer = sampleModel();
    const fm = failure(
      decodeModelArtifact(
        encodeModelArtifact({
          ...fewer,
          snapshot: {
            ...fewer.snapshot,
            normalisers: { ...fewer.snapshot.normalisers, deltaStd: new Float32Array(2).fill(1) },
          },
        }),
      ),
    );
    assert.equal(fm.code, 'MODEL_SHAPE_MISMATCH');
  });

  it('rejects truncation at every boundary of the header and manifest, and truncated weights', () => {
    const enc = encodeModelArtifact(sampleModel());
    const manifestEnd = 12 + enc.readUInt32LE(8);
    for (let n = 0; n < manifestEnd; n++) {
      const f = failure(decodeModelArtifact(enc.subarray(0, n)));
      assert.ok(['PAYLOAD_INVALID', 'ARTIFACT_INVALID'].includes(f.code), `at ${n}: ${f.code}`);
    }
    for (const cut of [1, 4, 100]) {
      const f = failure(decodeModelArtifact(enc.subarray(0, enc.length - cut)));
      assert.equal(f.code, 'ARTIFACT_INVALID');
      assert.match(f.reason, /^weights: .*\(truncated\)/);
    }
  });

  it('rejects bad manifest fields with ARTIFACT_INVALID naming the field', () => {
    const enc = encodeModelArtifact(sampleModel());
    const len = enc.readUInt32LE(8);
    interface ManifestJson {
      version: number;
      format_version: number;
      metrics?: unknown;
      architecture: { activation: string };
      normalisers: { inputStd: (number | null)[] };
      weights: { sha256: string; tensors: { shape: number[] }[] };
    }
    const json = JSON.parse(enc.subarray(12, 12 + len).toString('utf8')) as ManifestJson;
    const rebuild = (mutate: (j: ManifestJson) => void): Buffer => {
      const j = structuredClone(json);
      mutate(j);
      const text = Buffer.from(JSON.stringify(j));
      const off = (12 + text.length + 3) & ~3;
      const out = Buffer.alloc(off + (enc.length - ((12 + len + 3) & ~3)));
      enc.copy(out, 0, 0, 8);
      out.writeUInt32LE(text.length, 8);
      text.copy(out, 12);
      enc.copy(out, off, (12 + len + 3) & ~3);
      return out;
    };
    assert.ok(decodeModelArtifact(rebuild(() => undefined)).ok);
    const cases: [(j: ManifestJson) => void, string, RegExp][] = [
      [(j) => (j.version = -1), 'ARTIFACT_INVALID', /manifest\.version/],
      [(j) => delete j.metrics, 'ARTIFACT_INVALID', /manifest\.metrics/],
      [(j) => (j.architecture.activation = 'tanh'), 'ARTIFACT_INVALID', /architecture\.activation/],
      [(j) => (j.weights.sha256 = 'xyz'), 'ARTIFACT_INVALID', /weights\.sha256/],
      [(j) => (j.format_version = 9), 'PAYLOAD_VERSION', /format_version: 9/],
      [(j) => (j.normalisers.inputStd[0] = null), 'NON_FINITE', /inputStd\[0\]/],
      [(j) => (j.weights.sha256 = '0'.repeat(64)), 'ARTIFACT_CHECKSUM', /sha256/],
      [
        (j) => (j.weights.tensors[0]!.shape = [2, 6, 4]),
        'MODEL_SHAPE_MISMATCH',
        /weights\.tensors: w0\[2x6x4\]/,
      ],
    ];
    for (const [mutate, code, pattern] of cases) {
      const f = failure(decodeModelArtifact(rebuild(mutate)), String(pattern));
      assert.equal(f.code, code, f.reason);
      assert.match(f.reason, pattern);
    }
    const notJson = Buffer.from(enc);
    notJson[12] = 0x7a;
    assert.match(failure(decodeModelArtifact(notJson)).reason, /manifest: not JSON/);
  });

  it('writes and reads the folder form (manifest.json + weights.bin)', async () => {
    const tmp = tempDir();
    try {
      const dir = join(tmp.dir, 'model-v2');
      const m = sampleModel(2);
      await writeModelArtifactDir(dir, m);
      const r = await readModelArtifactDir(dir);
      assert.ok(r.ok);
      assert.deepEqual(r.value.model.snapshot, m.snapshot);
      const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as {
        version: number;
      };
      assert.equal(manifest.version, 2);
      const w = readFileSync(join(dir, WEIGHTS_FILE));
      w.writeUInt8(w.readUInt8(0) ^ 1, 0);
      writeFileSync(join(dir, WEIGHTS_FILE), w);
      assert.equal(failure(await readModelArtifactDir(dir)).code, 'ARTIFACT_CHECKSUM');
      assert.equal(failure(await readModelArtifactDir(join(tmp.dir, 'missing'))).code, 'IO');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('transport/StatusCodec', () => {
  it('round-trips and validates', () => {
    const s = {
      robotId: 'r',
      role: 'controller',
      state: 'online',
      timeMs: 5,
      modelVersion: null,
      counters: { queued: 3 },
    } as const;
    const r = decodeStatus(encodeStatus(s));
    assert.ok(r.ok);
    assert.deepEqual(r.value, s);
    const bad = encodeStatus(s);
    bad[5] = 1;
    assert.match(failure(decodeStatus(bad)).reason, /^kind/);
    const j = Buffer.concat([bad.subarray(0, 8), Buffer.from('{"robot_id":"r"}')]);
    j[5] = 3;
    assert.match(failure(decodeStatus(j)).reason, /status\.role/);
  });
});
