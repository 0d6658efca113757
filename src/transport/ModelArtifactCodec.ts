/**
 * Model artifacts: a JSON manifest plus binary weights, as one MQTT payload (kind 2). The folder
 * form on disk (manifest.json + weights.bin) is ModelArtifactDir. Layouts in docs/transport.md.
 * Pure: no file system or network work.
 */

import { createHash } from 'node:crypto';
import type { EnsembleArchitecture } from '../dynamics/architecture.js';
import { paramSpecs, shapeSize } from '../dynamics/architecture.js';
import { importSnapshot } from '../dynamics/EnsembleSnapshot.js';
import type { Normalisers } from '../dynamics/Normaliser.js';
import type { ModelMetrics, ModelVersion } from '../dynamics/ModelVersion.js';
import { isStriderError } from '../util/StriderError.js';
import { encodeManifestPayload, fail, splitManifestPayload } from './binary.js';
import type { DecodeFailureCode } from './binary.js';
import type { DecodeResult } from './types.js';

/** Manifest format tag and version (independent of the MQTT header version). */
const MANIFEST_FORMAT = 'strider-model';
const MANIFEST_VERSION = 1;

/** Numeric fields of {@link ModelMetrics}; non-finite values are stored as JSON null. */
const METRIC_NUMBERS = [
  'train_loss',
  'val_loss',
  'h_step_error',
  'h_step_baseline',
  'h_step_error_previous',
  'train_transitions',
  'rand_transitions',
  'rl_transitions',
  'epochs',
  'train_seconds',
  'sample_passes_per_s',
] as const satisfies readonly (keyof ModelMetrics)[];

/** The manifest: what a reader needs to check and rebuild the model. */
export interface ModelManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly format_version: typeof MANIFEST_VERSION;
  /** Model version, a non-negative integer chosen by the trainer. */
  readonly version: number;
  /** ISO-8601 UTC time the artifact was written. */
  readonly created_at: string;
  readonly architecture: EnsembleArchitecture;
  /** Raw-unit statistics (see Normalisers), as plain number arrays. */
  readonly normalisers: {
    readonly inputMean: number[];
    readonly inputStd: number[];
    readonly deltaMean: number[];
    readonly deltaStd: number[];
  };
  /** Transitions the model was trained on. */
  readonly data: {
    readonly train_transitions: number;
    readonly rand_transitions: number;
    readonly rl_transitions: number;
  };
  /** Validation figures; a non-finite number is written as null and read back as NaN. */
  readonly metrics: { readonly [K in keyof ModelMetrics]: ModelMetrics[K] | null };
  readonly weights: {
    readonly dtype: 'float32le';
    readonly byte_length: number;
    /** Lower-case hex SHA-256 of the weight bytes. */
    readonly sha256: string;
    /** Tensors in {@link paramSpecs} order; their bytes are concatenated in this order. */
    readonly tensors: readonly { readonly name: string; readonly shape: readonly number[] }[];
  };
}

/** A decoded, validated artifact: the model plus the manifest it came with. */
export interface DecodedModelArtifact {
  readonly model: ModelVersion;
  readonly manifest: ModelManifest;
}

/** Options of the encoders. */
export interface EncodeModelOptions {
  /** Creation time written to the manifest; default now. */
  readonly createdAt?: Date;
}

/**
 * Builds the manifest and the weight bytes of a model. Values are written as given (the
 * decoder is the one that validates), so tests can build bad artifacts with it.
 */
export function buildModelArtifact(
  model: ModelVersion,
  options: EncodeModelOptions = {},
): { manifest: ModelManifest; weights: Buffer } {
  const snap = model.snapshot;
  let total = 0;
  for (const w of snap.weights) total += w.length;
  const weights = Buffer.alloc(total * 4);
  let o = 0;
  for (const w of snap.weights) {
    for (let i = 0; i < w.length; i++, o += 4) weights.writeFloatLE(w[i]!, o);
  }
  const m = model.metrics;
  const metrics = { backend: m.backend } as Record<string, number | string | null>;
  for (const k of METRIC_NUMBERS) metrics[k] = Number.isFinite(m[k]) ? m[k] : null;
  const n = snap.normalisers;
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    format_version: MANIFEST_VERSION,
    version: model.version,
    created_at: (options.createdAt ?? new Date()).toISOString(),
    architecture: { ...snap.architecture, hiddenSizes: [...snap.architecture.hiddenSizes] },
    normalisers: {
      inputMean: Array.from(n.inputMean),
      inputStd: Array.from(n.inputStd),
      deltaMean: Array.from(n.deltaMean),
      deltaStd: Array.from(n.deltaStd),
    },
    data: {
      train_transitions: m.train_transitions,
      rand_transitions: m.rand_transitions,
      rl_transitions: m.rl_transitions,
    },
    metrics: metrics as unknown as ModelManifest['metrics'],
    weights: {
      dtype: 'float32le',
      byte_length: weights.length,
      sha256: sha256Hex(weights),
      tensors: paramSpecs(snap.architecture).map((s) => ({ name: s.name, shape: [...s.shape] })),
    },
  };
  return { manifest, weights };
}

/** Encodes a model as one MQTT payload: header, u32 manifest length, manifest, pad to 4, weights. */
export function encodeModelArtifact(model: ModelVersion, options: EncodeModelOptions = {}): Buffer {
  const { manifest, weights } = buildModelArtifact(model, options);
  return encodeManifestPayload('model', JSON.stringify(manifest), weights);
}

/**
 * Decodes and validates a model payload. Never throws. Failure codes: PAYLOAD_INVALID /
 * PAYLOAD_VERSION (header), ARTIFACT_INVALID (manifest or length), ARTIFACT_CHECKSUM (sha256),
 * MODEL_SHAPE_MISMATCH (tensors vs architecture), NON_FINITE (weights or normalisers).
 */
export function decodeModelArtifact(bytes: Uint8Array): DecodeResult<DecodedModelArtifact> {
  const parts = splitManifestPayload(bytes, 'model');
  if (!parts.ok) return parts;
  return decodeModelArtifactParts(parts.value.manifestJson, parts.value.weights);
}

/**
 * Decodes and validates the two parts of an artifact: the manifest's JSON text and the weight
 * bytes (the folder form's manifest.json and weights.bin). Never throws; failure codes as
 * {@link decodeModelArtifact}.
 */
export function decodeModelArtifactParts(
  manifestJson: string,
  weights: Uint8Array,
): DecodeResult<DecodedModelArtifact> {
  let json: unknown;
  try {
    json = JSON.parse(manifestJson);
  } catch (err) {
    return fail('ARTIFACT_INVALID', `manifest: not JSON (${String(err)})`);
  }
  const parsed = parseManifest(json);
  if (!parsed.ok) return parsed;
  const manifest = parsed.value;
  const wm = manifest.weights;
  if (weights.length !== wm.byte_length) {
    return fail(
      'ARTIFACT_INVALID',
      `weights: ${weights.length} bytes, manifest says ${wm.byte_length}` +
        (weights.length < wm.byte_length ? ' (truncated)' : ''),
    );
  }
  const digest = sha256Hex(weights);
  if (digest !== wm.sha256) {
    return fail('ARTIFACT_CHECKSUM', `weights.sha256: ${digest}, manifest says ${wm.sha256}`);
  }
  const arch = manifest.architecture;
  const specs = paramSpecs(arch);
  const names = specs.map((s) => `${s.name}[${s.shape.join('x')}]`).join(', ');
  const got = wm.tensors.map((t) => `${t.name}[${t.shape.join('x')}]`).join(', ');
  if (names !== got) {
    return fail('MODEL_SHAPE_MISMATCH', `weights.tensors: ${got}; the architecture needs ${names}`);
  }
  let floats = 0;
  for (const s of specs) floats += shapeSize(s.shape);
  if (wm.byte_length !== floats * 4) {
    return fail(
      'MODEL_SHAPE_MISMATCH',
      `weights: ${wm.byte_length / 4} floats, the architecture needs ${floats}`,
    );
  }
  // little-endian f32 (the manifest's format) copied as bytes: every platform Node supports here
  // is little-endian (a float at a time through a DataView took about half of a 2 MB decode)
  let o = 0;
  const arrays = specs.map((s) => {
    const a = new Float32Array(shapeSize(s.shape));
    new Uint8Array(a.buffer).set(weights.subarray(o, o + a.byteLength));
    o += a.byteLength;
    return a;
  });
  const n = manifest.normalisers;
  const normalisers: Normalisers = {
    inputMean: Float32Array.from(n.inputMean),
    inputStd: Float32Array.from(n.inputStd),
    deltaMean: Float32Array.from(n.deltaMean),
    deltaStd: Float32Array.from(n.deltaStd),
  };
  let snapshot;
  try {
    snapshot = importSnapshot({ architecture: arch, normalisers, weights: arrays });
  } catch (err) {
    if (isStriderError(err, 'NON_FINITE') || isStriderError(err, 'MODEL_SHAPE_MISMATCH')) {
      return fail(err.code as DecodeFailureCode, err.message);
    }
    return fail('ARTIFACT_INVALID', `snapshot: ${String(err)}`);
  }
  const mm = manifest.metrics;
  const metrics = { backend: mm.backend } as Record<string, number | string>;
  for (const k of METRIC_NUMBERS) metrics[k] = mm[k] ?? Number.NaN;
  return {
    ok: true,
    value: {
      manifest,
      model: {
        version: manifest.version,
        snapshot,
        metrics: metrics as unknown as ModelMetrics,
      },
    },
  };
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validates the manifest's structure and types (not the weights). */
function parseManifest(json: unknown): DecodeResult<ModelManifest> {
  const bad = (field: string, what: string): DecodeResult<never> =>
    fail('ARTIFACT_INVALID', `manifest.${field}: ${what}`);
  if (!isObj(json)) return bad('', 'not an object');
  if (json['format'] !== MANIFEST_FORMAT) return bad('format', `expected "${MANIFEST_FORMAT}"`);
  if (json['format_version'] !== MANIFEST_VERSION) {
    return fail(
      'PAYLOAD_VERSION',
      `manifest.format_version: ${String(json['format_version'])}, this build reads ${MANIFEST_VERSION}`,
    );
  }
  if (!isNonNegInt(json['version'])) return bad('version', 'expected a non-negative integer');
  if (typeof json['created_at'] !== 'string' || Number.isNaN(Date.parse(json['created_at']))) {
    return bad('created_at', 'expected an ISO-8601 time');
  }
  const a = json['architecture'];
  if (!isObj(a)) return bad('architecture', 'expected an object');
  for (const k of ['stateDim', 'actionDim', 'ensembleSize'] as const) {
    if (!isNonNegInt(a[k]) || a[k] < 1)
      return bad(`architecture.${k}`, 'expected a positive integer');
  }
  const hs = a['hiddenSizes'];
  if (!Array.isArray(hs) || hs.length === 0 || !hs.every((h) => isNonNegInt(h) && h >= 1)) {
    return bad('architecture.hiddenSizes', 'expected a non-empty array of positive integers');
  }
  if (a['activation'] !== 'swish' && a['activation'] !== 'relu') {
    return bad('architecture.activation', 'expected swish|relu');
  }
  if (a['output'] !== 'gaussian' && a['output'] !== 'deterministic') {
    return bad('architecture.output', 'expected gaussian|deterministic');
  }
  const n = json['normalisers'];
  if (!isObj(n)) return bad('normalisers', 'expected an object');
  for (const k of ['inputMean', 'inputStd', 'deltaMean', 'deltaStd'] as const) {
    const arr = n[k];
    if (!Array.isArray(arr)) return bad(`normalisers.${k}`, 'expected an array of numbers');
    for (let i = 0; i < arr.length; i++) {
      const x: unknown = arr[i];
      if (x === null)
        return fail('NON_FINITE', `manifest.normalisers.${k}[${i}]: non-finite (null)`);
      if (typeof x !== 'number') return bad(`normalisers.${k}[${i}]`, 'expected a number');
    }
  }
  const d = json['data'];
  if (!isObj(d)) return bad('data', 'expected an object');
  for (const k of ['train_transitions', 'rand_transitions', 'rl_transitions'] as const) {
    if (!isNonNegInt(d[k])) return bad(`data.${k}`, 'expected a non-negative integer');
  }
  const m = json['metrics'];
  if (!isObj(m)) return bad('metrics', 'expected an object');
  for (const k of METRIC_NUMBERS) {
    if (m[k] !== null && typeof m[k] !== 'number')
      return bad(`metrics.${k}`, 'expected a number or null');
  }
  if (typeof m['backend'] !== 'string') return bad('metrics.backend', 'expected a string');
  const w = json['weights'];
  if (!isObj(w)) return bad('weights', 'expected an object');
  if (w['dtype'] !== 'float32le') return bad('weights.dtype', 'expected "float32le"');
  if (!isNonNegInt(w['byte_length']))
    return bad('weights.byte_length', 'expected a non-negative integer');
  if (typeof w['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(w['sha256'])) {
    return bad('weights.sha256', 'expected 64 lower-case hex digits');
  }
  const ts = w['tensors'];
  if (!Array.isArray(ts)) return bad('weights.tensors', 'expected an array');
  for (let i = 0; i < ts.length; i++) {
    const t: unknown = ts[i];
    if (
      !isObj(t) ||
      typeof t['name'] !== 'string' ||
      !Array.isArray(t['shape']) ||
      !t['shape'].every((s) => isNonNegInt(s))
    ) {
      return bad(`weights.tensors[${i}]`, 'expected {name: string, shape: integer[]}');
    }
  }
  return { ok: true, value: json as unknown as ModelManifest };
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
