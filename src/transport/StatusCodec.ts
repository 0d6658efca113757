/** Status payload (kind 3): the common header followed by UTF-8 JSON of {@link StatusMessage}. */

import { HEADER_BYTES, checkHeader, fail, viewOf, writeHeader } from './binary.js';
import { topicNameProblem } from './topics.js';
import type { DecodeResult, StatusMessage } from './types.js';

/** Encodes a status message. */
export function encodeStatus(status: StatusMessage): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      robot_id: status.robotId,
      role: status.role,
      state: status.state,
      time_ms: status.timeMs,
      model_version: status.modelVersion,
      counters: status.counters,
    }),
    'utf8',
  );
  const out = Buffer.alloc(HEADER_BYTES + json.length);
  writeHeader(viewOf(out), 'status');
  out.set(json, HEADER_BYTES);
  return out;
}

/** Decodes and validates a status message. Never throws. */
export function decodeStatus(bytes: Uint8Array): DecodeResult<StatusMessage> {
  const bad = checkHeader(viewOf(bytes), 'status');
  if (bad !== undefined) return bad;
  let j: unknown;
  try {
    j = JSON.parse(
      Buffer.from(
        bytes.buffer,
        bytes.byteOffset + HEADER_BYTES,
        bytes.length - HEADER_BYTES,
      ).toString('utf8'),
    );
  } catch (err) {
    return fail('PAYLOAD_INVALID', `status: not JSON (${String(err)})`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    return fail('PAYLOAD_INVALID', 'status: not an object');
  }
  const o = j as Record<string, unknown>;
  const robotId = o['robot_id'];
  if (typeof robotId !== 'string' || topicNameProblem('robotId', robotId) !== undefined) {
    return fail('PAYLOAD_INVALID', 'status.robot_id: expected a robot id');
  }
  const role = o['role'];
  if (role !== 'controller' && role !== 'trainer') {
    return fail('PAYLOAD_INVALID', 'status.role: expected controller|trainer');
  }
  const state = o['state'];
  if (state !== 'online' && state !== 'offline') {
    return fail('PAYLOAD_INVALID', 'status.state: expected online|offline');
  }
  const timeMs = o['time_ms'];
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) {
    return fail('PAYLOAD_INVALID', 'status.time_ms: expected a finite number');
  }
  const mv = o['model_version'];
  if (mv !== null && !(typeof mv === 'number' && Number.isSafeInteger(mv) && mv >= 0)) {
    return fail('PAYLOAD_INVALID', 'status.model_version: expected a non-negative integer or null');
  }
  const c = o['counters'];
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    return fail('PAYLOAD_INVALID', 'status.counters: expected an object');
  }
  const counters: Record<string, number> = {};
  for (const [k, x] of Object.entries(c)) {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      return fail('PAYLOAD_INVALID', `status.counters.${k}: expected a finite number`);
    }
    counters[k] = x;
  }
  return { ok: true, value: { robotId, role, state, timeMs, modelVersion: mv, counters } };
}
