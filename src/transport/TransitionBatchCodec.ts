/**
 * Binary codec of {@link TransitionBatch} (payload kind 1). Format version 2 (written): the byte
 * after the source is C, the task's command values per record (0, or 3: vx, vy, yaw rate), and
 * each record carries them after the expert action. Version 1 (still read): that byte is reserved
 * 0 and records carry no command. Layout in docs/transport.md; all numbers little-endian, floats
 * IEEE-754 binary32.
 */

import type { ActionSource } from '../control/types.js';
import { HEADER_BYTES, checkHeader, fail, viewOf, writeHeader } from './binary.js';
import { topicNameProblem } from './topics.js';
import type { DecodeResult, TransitionBatch } from './types.js';

/** Wire codes of {@link ActionSource}. */
export const SOURCE_CODES = [
  'random',
  'mpc',
  'policy',
  'mixed',
] as const satisfies readonly ActionSource[];

/** Command values per transition when a batch carries the command: vx, vy, yaw rate. */
export const COMMAND_DIM = 3;
/** The transition batch format this build writes, and those it reads. */
export const TRANSITIONS_VERSION = 2;
const READ_VERSIONS = [1, TRANSITIONS_VERSION] as const;

const TWO_32 = 2 ** 32;
/** Largest high word of a u64 that keeps the value below 2^53. */
const MAX_HI = 2 ** 21 - 1;
/** Bytes after the robot id, before the records. */
const FIXED_BYTES = 4 + 4 + 8 + 4 + 2 + 2 + 1 + 1;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes of one record: seq u64, s S, a A, a* A, command C, s' S (f32), reward f32, done u8. */
function recordBytes(stateDim: number, actionDim: number, commandDim: number): number {
  return 8 + 4 * (2 * stateDim + 2 * actionDim + commandDim + 1) + 1;
}

/** Total encoded size of a batch. `robotIdBytes` is the UTF-8 length of the robot id. */
function transitionBatchBytes(
  robotIdBytes: number,
  count: number,
  stateDim: number,
  actionDim: number,
  commandDim: number,
): number {
  return (
    HEADER_BYTES +
    1 +
    robotIdBytes +
    FIXED_BYTES +
    count * recordBytes(stateDim, actionDim, commandDim)
  );
}

/**
 * Encodes a batch (format version 2; the command column when `batch.commands` is present). The
 * caller guarantees the array lengths match count, S, A and C (a broken contract throws
 * RangeError); values are written as given, so a receiver rejects what a sender should not have
 * sent. Off the control tick: allocates the output buffer.
 */
export function encodeTransitionBatch(batch: TransitionBatch): Buffer {
  const { count: N, stateDim: S, actionDim: A } = batch;
  const commands = batch.commands;
  const C = commands === undefined ? 0 : COMMAND_DIM;
  const id = utf8.encode(batch.robotId);
  if (
    (commands !== undefined && commands.length !== N * C) ||
    batch.states.length !== N * S ||
    batch.nextStates.length !== N * S ||
    batch.actions.length !== N * A ||
    batch.expertActions.length !== N * A ||
    batch.rewards.length !== N ||
    batch.dones.length !== N
  ) {
    throw new RangeError(
      `transition batch arrays do not match count ${N}, S ${S}, A ${A}, command ${C}`,
    );
  }
  const out = Buffer.alloc(transitionBatchBytes(id.length, N, S, A, C));
  const v = viewOf(out);
  writeHeader(v, 'transitions', TRANSITIONS_VERSION);
  let o = HEADER_BYTES;
  v.setUint8(o, id.length);
  out.set(id, o + 1);
  o += 1 + id.length;
  v.setUint32(o, batch.runId >>> 0, true);
  v.setUint32(o + 4, batch.episode >>> 0, true);
  writeU64(v, o + 8, batch.firstSeq);
  v.setUint32(o + 16, N, true);
  v.setUint16(o + 20, S, true);
  v.setUint16(o + 22, A, true);
  v.setUint8(o + 24, SOURCE_CODES.indexOf(batch.source));
  v.setUint8(o + 25, C);
  o += FIXED_BYTES;
  for (let i = 0; i < N; i++) {
    writeU64(v, o, batch.firstSeq + i);
    o += 8;
    o = writeF32(v, o, batch.states, i * S, S);
    o = writeF32(v, o, batch.actions, i * A, A);
    o = writeF32(v, o, batch.expertActions, i * A, A);
    if (commands !== undefined) o = writeF32(v, o, commands, i * C, C);
    o = writeF32(v, o, batch.nextStates, i * S, S);
    v.setFloat32(o, batch.rewards[i]!, true);
    v.setUint8(o + 4, batch.dones[i]! === 0 ? 0 : 1);
    o += 5;
  }
  return out;
}

/**
 * Decodes and validates a batch of format version 1 or 2. Never throws: a failure names the
 * field at fault. Checks the header, robot id (UTF-8, one topic level), u64 ranges, count/S/A
 * >= 1, the source code, the command width (version 2: 0 or 3; version 1: reserved 0), exact
 * length for count, S, A and C, contiguous sequence numbers, finite states, actions, commands,
 * next states and rewards, done in {0, 1}, and each expert row all-NaN (absent) or all-finite.
 * `commands` is set only when the batch carries them (never for version 1).
 */
export function decodeTransitionBatch(bytes: Uint8Array): DecodeResult<TransitionBatch> {
  const v = viewOf(bytes);
  const bad = checkHeader(v, 'transitions', READ_VERSIONS);
  if (bad !== undefined) return bad;
  let o = HEADER_BYTES;
  if (bytes.length < o + 1) return truncated('robotIdLength', bytes.length, o + 1);
  const L = v.getUint8(o);
  if (L === 0) return fail('PAYLOAD_INVALID', 'robotIdLength: 0, expected 1..255');
  if (bytes.length < o + 1 + L) return truncated('robotId', bytes.length, o + 1 + L);
  let robotId: string;
  try {
    robotId = utf8Strict.decode(bytes.subarray(o + 1, o + 1 + L));
  } catch (err) {
    return fail('PAYLOAD_INVALID', `robotId: not valid UTF-8 (${String(err)})`);
  }
  const idProblem = topicNameProblem('robotId', robotId);
  if (idProblem !== undefined) return fail('PAYLOAD_INVALID', `robotId: ${idProblem}`);
  o += 1 + L;
  if (bytes.length < o + FIXED_BYTES)
    return truncated('batch fields', bytes.length, o + FIXED_BYTES);
  const runId = v.getUint32(o, true);
  const episode = v.getUint32(o + 4, true);
  const firstSeq = readU64(v, o + 8);
  if (firstSeq < 0) return fail('PAYLOAD_INVALID', 'firstSeq: exceeds 2^53 - 1');
  const N = v.getUint32(o + 16, true);
  const S = v.getUint16(o + 20, true);
  const A = v.getUint16(o + 22, true);
  const sourceCode = v.getUint8(o + 24);
  const C = v.getUint8(o + 25);
  const version = v.getUint8(4);
  if (N === 0) return fail('PAYLOAD_INVALID', 'count: 0, expected >= 1');
  if (S === 0) return fail('PAYLOAD_INVALID', 'stateDim: 0, expected >= 1');
  if (A === 0) return fail('PAYLOAD_INVALID', 'actionDim: 0, expected >= 1');
  const source = SOURCE_CODES[sourceCode];
  if (source === undefined) {
    return fail(
      'PAYLOAD_INVALID',
      `source: ${sourceCode}, expected 0..3 (${SOURCE_CODES.join('|')})`,
    );
  }
  if (version === 1 && C !== 0) return fail('PAYLOAD_INVALID', `reserved: ${C}, expected 0`);
  if (C !== 0 && C !== COMMAND_DIM) {
    return fail(
      'PAYLOAD_INVALID',
      `commandDim: ${C}, expected 0 or ${COMMAND_DIM} (vx, vy, yaw_rate)`,
    );
  }
  if (firstSeq + N - 1 > Number.MAX_SAFE_INTEGER) {
    return fail('PAYLOAD_INVALID', 'firstSeq + count: exceeds 2^53 - 1');
  }
  o += FIXED_BYTES;
  const expected = o + N * recordBytes(S, A, C);
  if (bytes.length !== expected) {
    return fail(
      'PAYLOAD_INVALID',
      `length: ${bytes.length} bytes, expected ${expected} for count ${N}, stateDim ${S}, actionDim ${A}, commandDim ${C}` +
        (bytes.length < expected ? ' (truncated)' : ' (trailing bytes)'),
    );
  }
  const states = new Float32Array(N * S);
  const actions = new Float32Array(N * A);
  const expertActions = new Float32Array(N * A);
  const commands = new Float32Array(N * C);
  const nextStates = new Float32Array(N * S);
  const rewards = new Float32Array(N);
  const dones = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const seq = readU64(v, o);
    if (seq !== firstSeq + i) {
      return fail('PAYLOAD_INVALID', `transitions[${i}].seq: ${seq}, expected ${firstSeq + i}`);
    }
    o += 8;
    let bad: number;
    o = readF32(v, o, states, i * S, S);
    if ((bad = firstNonFinite(states, i * S, S)) >= 0)
      return nonFinite(i, 'state', bad, states[i * S + bad]!);
    o = readF32(v, o, actions, i * A, A);
    if ((bad = firstNonFinite(actions, i * A, A)) >= 0)
      return nonFinite(i, 'action', bad, actions[i * A + bad]!);
    o = readF32(v, o, expertActions, i * A, A);
    const expertProblem = expertRowProblem(expertActions, i * A, A);
    if (expertProblem !== undefined) {
      return fail('NON_FINITE', `transitions[${i}].expertAction: ${expertProblem}`);
    }
    o = readF32(v, o, commands, i * C, C);
    if ((bad = firstNonFinite(commands, i * C, C)) >= 0)
      return nonFinite(i, 'command', bad, commands[i * C + bad]!);
    o = readF32(v, o, nextStates, i * S, S);
    if ((bad = firstNonFinite(nextStates, i * S, S)) >= 0) {
      return nonFinite(i, 'nextState', bad, nextStates[i * S + bad]!);
    }
    const r = v.getFloat32(o, true);
    if (!Number.isFinite(r)) return fail('NON_FINITE', `transitions[${i}].reward: ${r}`);
    rewards[i] = r;
    const d = v.getUint8(o + 4);
    if (d > 1) return fail('PAYLOAD_INVALID', `transitions[${i}].done: ${d}, expected 0 or 1`);
    dones[i] = d;
    o += 5;
  }
  return {
    ok: true,
    value: {
      robotId,
      runId,
      episode,
      firstSeq,
      count: N,
      stateDim: S,
      actionDim: A,
      source,
      states,
      actions,
      expertActions,
      ...(C > 0 ? { commands } : {}),
      nextStates,
      rewards,
      dones,
    },
  };
}

/**
 * Reads only the identity fields of an encoded batch (robot id, run, first sequence number,
 * count) without validating the records; undefined when the bytes are too short or not a batch.
 * The outbox uses it to re-read spooled batches cheaply.
 */
export function peekTransitionBatch(
  bytes: Uint8Array,
): { robotId: string; runId: number; firstSeq: number; count: number } | undefined {
  const v = viewOf(bytes);
  if (checkHeader(v, 'transitions', READ_VERSIONS) !== undefined || bytes.length < HEADER_BYTES + 1)
    return undefined;
  const L = v.getUint8(HEADER_BYTES);
  const o = HEADER_BYTES + 1 + L;
  if (bytes.length < o + FIXED_BYTES) return undefined;
  const firstSeq = readU64(v, o + 8);
  if (firstSeq < 0) return undefined;
  return {
    robotId: Buffer.from(bytes.buffer, bytes.byteOffset + HEADER_BYTES + 1, L).toString('utf8'),
    runId: v.getUint32(o, true),
    firstSeq,
    count: v.getUint32(o + 16, true),
  };
}

function truncated(
  field: string,
  have: number,
  need: number,
): { ok: false; code: 'PAYLOAD_INVALID'; reason: string } {
  return fail('PAYLOAD_INVALID', `${field}: truncated (${have} bytes, need at least ${need})`) as {
    ok: false;
    code: 'PAYLOAD_INVALID';
    reason: string;
  };
}

function nonFinite(i: number, field: string, j: number, value: number): DecodeResult<never> {
  return fail('NON_FINITE', `transitions[${i}].${field}[${j}]: ${value}`);
}

/** Undefined when the row is all NaN (absent) or all finite; otherwise what is wrong. */
function expertRowProblem(a: Float32Array, off: number, n: number): string | undefined {
  let nan = 0;
  for (let j = 0; j < n; j++) {
    const x = a[off + j]!;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x))
      return `[${j}] is ${x} (absent is all-NaN, present is all-finite)`;
  }
  if (nan === 0 || nan === n) return undefined;
  return `${nan} of ${n} values NaN (absent is all-NaN, present is all-finite)`;
}

function firstNonFinite(a: Float32Array, off: number, n: number): number {
  for (let j = 0; j < n; j++) if (!Number.isFinite(a[off + j]!)) return j;
  return -1;
}

function writeF32(v: DataView, o: number, src: Float32Array, off: number, n: number): number {
  for (let j = 0; j < n; j++) v.setFloat32(o + 4 * j, src[off + j]!, true);
  return o + 4 * n;
}

function readF32(v: DataView, o: number, dst: Float32Array, off: number, n: number): number {
  for (let j = 0; j < n; j++) dst[off + j] = v.getFloat32(o + 4 * j, true);
  return o + 4 * n;
}

function writeU64(v: DataView, o: number, x: number): void {
  v.setUint32(o, x % TWO_32, true);
  v.setUint32(o + 4, Math.floor(x / TWO_32), true);
}

/** The u64 at `o`, or -1 when it is 2^53 or more. */
function readU64(v: DataView, o: number): number {
  const hi = v.getUint32(o + 4, true);
  if (hi > MAX_HI) return -1;
  return hi * TWO_32 + v.getUint32(o, true);
}
