/**
 * Byte-level helpers shared by the payload codecs: the common 8-byte header and CRC-32.
 * Every payload starts with the same header (all little-endian):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `STRD` (0x53 0x54 0x52 0x44) |
 * | 4 | 1 | format version (1; transition batches: this build writes 2 and reads 1 and 2) |
 * | 5 | 1 | kind: 1 transition batch, 2 model artifact, 3 status, 4 policy artifact |
 * | 6 | 2 | flags, must be 0 in version 1 |
 */

import type { DecodeResult, PayloadKind } from './types.js';

/** `STRD` as a little-endian u32. */
const MAGIC = 0x44525453;
/** The payload format version this build writes and the only one it reads. */
export const FORMAT_VERSION = 1;
/** Header size in bytes. */
export const HEADER_BYTES = 8;

/** Wire values of the payload kinds. */
const KIND_CODES = { transitions: 1, model: 2, status: 3, policy: 4 } as const satisfies Record<
  PayloadKind,
  number
>;

/** Writes the common header at offset 0 of `view` (format `version`, default FORMAT_VERSION). */
export function writeHeader(view: DataView, kind: PayloadKind, version = FORMAT_VERSION): void {
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, version);
  view.setUint8(5, KIND_CODES[kind]);
  view.setUint16(6, 0, true);
}

/** A DataView over exactly the bytes of `bytes` (which may be a slice of a pooled Buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Checks the common header: magic, version (one of `versions`, default [FORMAT_VERSION]), kind
 * and flags. Returns the failure for the first field at fault, or undefined when it is good.
 */
export function checkHeader(
  view: DataView,
  kind: PayloadKind,
  versions: readonly number[] = [FORMAT_VERSION],
): (DecodeResult<never> & { ok: false }) | undefined {
  if (view.byteLength < HEADER_BYTES) {
    return fail(
      'PAYLOAD_INVALID',
      `header: ${view.byteLength} bytes, need at least ${HEADER_BYTES}`,
    );
  }
  const magic = view.getUint32(0, true);
  if (magic !== MAGIC) {
    return fail(
      'PAYLOAD_INVALID',
      `magic: 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)} ("STRD")`,
    );
  }
  const version = view.getUint8(4);
  if (!versions.includes(version)) {
    return fail(
      'PAYLOAD_VERSION',
      `version: ${version}, this build reads version ${versions.join(' and ')} of ${kind}`,
    );
  }
  const k = view.getUint8(5);
  if (k !== KIND_CODES[kind]) {
    return fail('PAYLOAD_INVALID', `kind: ${k}, expected ${KIND_CODES[kind]} (${kind})`);
  }
  const flags = view.getUint16(6, true);
  if (flags !== 0) return fail('PAYLOAD_INVALID', `flags: 0x${flags.toString(16)}, expected 0`);
  return undefined;
}

/** A failed decode result. */
export function fail(
  code: DecodeFailureCode,
  reason: string,
): { ok: false; code: DecodeFailureCode; reason: string } {
  return { ok: false, code, reason };
}

/** Codes a decode can fail with. */
export type DecodeFailureCode =
  | 'PAYLOAD_INVALID'
  | 'PAYLOAD_VERSION'
  | 'ARTIFACT_INVALID'
  | 'ARTIFACT_CHECKSUM'
  | 'MODEL_SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'IO';

const CRC_TABLE = makeCrcTable();

function makeCrcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 (IEEE 802.3, the zlib one) of `bytes`. Used per spool record. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A payload of a manifest and weights (model and policy artifacts): the common header of `kind`,
 * the manifest's byte length (u32 LE), the manifest (UTF-8 JSON), zero padding to a multiple of 4,
 * then the weights.
 */
export function encodeManifestPayload(
  kind: PayloadKind,
  manifestJson: string,
  weights: Uint8Array,
): Buffer {
  const json = Buffer.from(manifestJson, 'utf8');
  const weightsOffset = align4(HEADER_BYTES + 4 + json.length);
  const out = Buffer.alloc(weightsOffset + weights.length);
  const v = viewOf(out);
  writeHeader(v, kind);
  v.setUint32(HEADER_BYTES, json.length, true);
  out.set(json, HEADER_BYTES + 4);
  out.set(weights, weightsOffset);
  return out;
}

/**
 * The parts of a payload {@link encodeManifestPayload} wrote: the manifest's text and the weight
 * bytes (a view). Never throws: PAYLOAD_INVALID / PAYLOAD_VERSION for the header, ARTIFACT_INVALID
 * for a length or padding cut short.
 */
export function splitManifestPayload(
  bytes: Uint8Array,
  kind: PayloadKind,
): DecodeResult<{ manifestJson: string; weights: Uint8Array }> {
  const v = viewOf(bytes);
  const bad = checkHeader(v, kind);
  if (bad !== undefined) return bad;
  if (bytes.length < HEADER_BYTES + 4) {
    return fail('ARTIFACT_INVALID', `manifestLength: truncated (${bytes.length} bytes)`);
  }
  const len = v.getUint32(HEADER_BYTES, true);
  const start = HEADER_BYTES + 4;
  if (bytes.length < start + len) {
    return fail(
      'ARTIFACT_INVALID',
      `manifest: truncated (${bytes.length - start} of ${len} bytes)`,
    );
  }
  const weightsOffset = align4(start + len);
  if (bytes.length < weightsOffset) return fail('ARTIFACT_INVALID', 'padding: truncated');
  const manifestJson = Buffer.from(bytes.buffer, bytes.byteOffset + start, len).toString('utf8');
  return { ok: true, value: { manifestJson, weights: bytes.subarray(weightsOffset) } };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
