/**
 * The distilled policy as one MQTT payload (kind 4, retained on `<prefix>/<robot>/policy`):
 * header, u32 manifest length, manifest JSON, pad to 4, weights (f32 little-endian, in
 * policyParamSpecs order, then inputMean, inputStd, actionLow, actionHigh). The manifest carries
 * version, round, architecture (with the input layout: state_dim state values, then the task
 * command's named values, e.g. ["vx", "vy", "yaw_rate"], or none; and, for a policy that turns
 * its input into the robot's heading frame, where the state's quaternion and world-frame velocity
 * sit), imitation loss, label count and the weights' sha256 and length.
 */

import { createHash } from 'node:crypto';
import {
  makePolicyArchitecture,
  POLICY_COMMAND,
  policyParamSpecs,
  policyStateDim,
  policySnapshotProblem,
  type PolicyArchitecture,
  type PolicySnapshot,
} from '../dynamics/policy/PolicyNetwork.js';
import type { HeadingFrame } from '../dynamics/policy/headingFrame.js';
import { encodeManifestPayload, fail, splitManifestPayload } from './binary.js';
import type { DecodeResult } from './types.js';

/** The manifest of a policy artifact. */
export interface PolicyManifest {
  readonly format: 'strider-policy';
  readonly version: number;
  readonly round: number;
  readonly architecture: {
    readonly input_dim: number;
    /** The input's layout: state_dim state values, then the named command values (maybe none). */
    readonly input_layout?: {
      readonly state_dim: number;
      readonly command: readonly string[];
      /** Absent: the state is taken as it is (older payloads, policy.frame world). */
      readonly heading_frame?: { readonly quat_w: number; readonly linvel_x: number | null };
    };
    readonly action_dim: number;
    readonly hidden: readonly number[];
    readonly activation: 'tanh';
  };
  readonly imitation_loss: number | null;
  readonly labelled: number;
  readonly weights: { readonly byte_length: number; readonly sha256: string };
}

function floatCount(a: PolicyArchitecture): number {
  let n = 2 * a.inputDim + 2 * a.actionDim;
  for (const s of policyParamSpecs(a)) n += s.shape[0] * s.shape[1];
  return n;
}

/** Encodes a snapshot (assumed valid: the trainer built it). */
export function encodePolicyArtifact(snap: PolicySnapshot): Buffer {
  const a = snap.architecture;
  const floats = new Float32Array(floatCount(a));
  let o = 0;
  for (const part of [
    ...snap.weights,
    snap.inputMean,
    snap.inputStd,
    snap.actionLow,
    snap.actionHigh,
  ]) {
    floats.set(part, o);
    o += part.length;
  }
  const weights = new Uint8Array(floats.buffer);
  const manifest: PolicyManifest = {
    format: 'strider-policy',
    version: snap.version,
    round: snap.round,
    architecture: {
      input_dim: a.inputDim,
      input_layout: {
        state_dim: policyStateDim(a),
        command: a.commandDim ? [...POLICY_COMMAND] : [],
        ...(a.headingFrame !== undefined
          ? {
              heading_frame: { quat_w: a.headingFrame.quatW, linvel_x: a.headingFrame.linvelX },
            }
          : {}),
      },
      action_dim: a.actionDim,
      hidden: [...a.hiddenSizes],
      activation: 'tanh',
    },
    imitation_loss: Number.isFinite(snap.imitationLoss) ? snap.imitationLoss : null,
    labelled: snap.labelled,
    weights: { byte_length: weights.length, sha256: sha256Hex(weights) },
  };
  return encodeManifestPayload('policy', JSON.stringify(manifest), weights);
}

/**
 * Decodes and checks a policy payload. Never throws. Codes: PAYLOAD_INVALID / PAYLOAD_VERSION
 * (header), ARTIFACT_INVALID (manifest, length, truncation), ARTIFACT_CHECKSUM (sha256),
 * MODEL_SHAPE_MISMATCH (sizes against the architecture, or against `expect`: its state and
 * action widths, and a command input the task cannot feed), NON_FINITE. A manifest without
 * input_layout (older payloads) is a state-only policy.
 */
export function decodePolicyArtifact(
  bytes: Uint8Array,
  expect?: {
    readonly stateDim: number;
    readonly actionDim: number;
    /** The command values the controller can feed (0: the task has none). */
    readonly commandDim?: number;
    /**
     * Where this robot's state has its quaternion and velocity (null: no base.quat): a policy
     * that turns its input into the heading frame must name the same places.
     */
    readonly headingFrame?: HeadingFrame | null;
  },
): DecodeResult<PolicySnapshot> {
  const parts = splitManifestPayload(bytes, 'policy');
  if (!parts.ok) return parts;
  let json: unknown;
  try {
    json = JSON.parse(parts.value.manifestJson);
  } catch (err) {
    return fail('ARTIFACT_INVALID', `manifest: not JSON (${String(err)})`);
  }
  const problem = manifestProblem(json);
  if (problem !== undefined) return fail('ARTIFACT_INVALID', problem);
  const m = json as PolicyManifest;
  const weights = parts.value.weights;
  if (weights.length !== m.weights.byte_length) {
    return fail(
      'ARTIFACT_INVALID',
      `weights: ${weights.length} bytes, manifest says ${m.weights.byte_length}` +
        (weights.length < m.weights.byte_length ? ' (truncated)' : ''),
    );
  }
  const digest = sha256Hex(weights);
  if (digest !== m.weights.sha256) {
    return fail(
      'ARTIFACT_CHECKSUM',
      `weights.sha256: ${digest}, manifest says ${m.weights.sha256}`,
    );
  }
  let arch: PolicyArchitecture;
  const frame = m.architecture.input_layout?.heading_frame;
  try {
    arch = makePolicyArchitecture({
      inputDim: m.architecture.input_dim,
      commandDim: m.architecture.input_layout?.command.length ?? 0,
      actionDim: m.architecture.action_dim,
      hiddenSizes: m.architecture.hidden,
      ...(frame !== undefined
        ? { headingFrame: { quatW: frame.quat_w, linvelX: frame.linvel_x } }
        : {}),
    });
  } catch (err) {
    return fail('ARTIFACT_INVALID', `architecture: ${(err as Error).message}`);
  }
  const S = policyStateDim(arch);
  const C = arch.commandDim ?? 0;
  if (expect !== undefined && (S !== expect.stateDim || arch.actionDim !== expect.actionDim)) {
    return fail(
      'MODEL_SHAPE_MISMATCH',
      `architecture: ${S} inputs x ${arch.actionDim} actions, this robot has ${expect.stateDim} x ${expect.actionDim}`,
    );
  }
  if (expect !== undefined && C > 0 && C !== (expect.commandDim ?? 0)) {
    return fail(
      'MODEL_SHAPE_MISMATCH',
      `input_layout: the policy takes a ${C}-value command, this task has ${expect.commandDim ?? 0}`,
    );
  }
  const mine = expect?.headingFrame;
  if (
    frame !== undefined &&
    mine !== undefined &&
    (mine === null || mine.quatW !== frame.quat_w || mine.linvelX !== frame.linvel_x)
  ) {
    return fail(
      'MODEL_SHAPE_MISMATCH',
      `input_layout.heading_frame: quat at ${frame.quat_w}, linvel at ${String(frame.linvel_x)}; ` +
        (mine === null
          ? 'this robot has no base.quat in its state'
          : `this robot's state has them at ${mine.quatW} and ${String(mine.linvelX)}`),
    );
  }
  const n = floatCount(arch);
  if (weights.length !== 4 * n) {
    return fail(
      'MODEL_SHAPE_MISMATCH',
      `weights: ${weights.length / 4} floats, architecture needs ${n}`,
    );
  }
  const floats = new Float32Array(n);
  new Uint8Array(floats.buffer).set(weights);
  let o = 0;
  const take = (k: number): Float32Array => floats.subarray(o, (o += k));
  const w = policyParamSpecs(arch).map((s) => take(s.shape[0] * s.shape[1]));
  const snap: PolicySnapshot = {
    version: m.version,
    round: m.round,
    architecture: arch,
    weights: w,
    inputMean: take(arch.inputDim),
    inputStd: take(arch.inputDim),
    actionLow: take(arch.actionDim),
    actionHigh: take(arch.actionDim),
    imitationLoss: m.imitation_loss ?? Number.NaN,
    labelled: m.labelled,
  };
  const p = policySnapshotProblem(snap);
  if (p !== undefined) return fail(p.code, p.reason);
  return { ok: true, value: snap };
}

function manifestProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return 'manifest: expected an object';
  const m = json as Record<string, unknown>;
  const isInt = (v: unknown, min: number): boolean => Number.isInteger(v) && (v as number) >= min;
  if (m['format'] !== 'strider-policy')
    return `format: ${String(m['format'])}, expected "strider-policy"`;
  if (!isInt(m['version'], 1)) return 'version: expected an integer >= 1';
  if (!isInt(m['round'], 0)) return 'round: expected an integer >= 0';
  const a = m['architecture'] as Record<string, unknown> | null | undefined;
  if (
    typeof a !== 'object' ||
    a === null ||
    !isInt(a['input_dim'], 1) ||
    !isInt(a['action_dim'], 1) ||
    !Array.isArray(a['hidden']) ||
    a['activation'] !== 'tanh'
  ) {
    return 'architecture: expected {input_dim, action_dim, hidden: integer[], activation: "tanh"}';
  }
  const layout = a['input_layout'] as Record<string, unknown> | null | undefined;
  if (layout !== undefined) {
    const cmd = layout?.['command'];
    const names = POLICY_COMMAND as readonly string[];
    if (
      typeof layout !== 'object' ||
      layout === null ||
      !isInt(layout['state_dim'], 1) ||
      !Array.isArray(cmd) ||
      !(cmd.length === 0 || (cmd.length === names.length && cmd.every((c, i) => c === names[i])))
    ) {
      return `architecture.input_layout: expected {state_dim, command: [] or ${JSON.stringify(names)}}`;
    }
    const hf = layout['heading_frame'] as Record<string, unknown> | null | undefined;
    if (
      hf !== undefined &&
      (typeof hf !== 'object' ||
        hf === null ||
        !isInt(hf['quat_w'], 0) ||
        !(hf['linvel_x'] === null || isInt(hf['linvel_x'], 0)))
    ) {
      return 'architecture.input_layout.heading_frame: expected {quat_w: integer >= 0, linvel_x: integer >= 0 or null}';
    }
    if ((layout['state_dim'] as number) + cmd.length !== a['input_dim']) {
      return `architecture.input_layout: state_dim ${String(layout['state_dim'])} + ${cmd.length} command values != input_dim ${String(a['input_dim'])}`;
    }
  }
  const w = m['weights'] as Record<string, unknown> | null | undefined;
  if (
    typeof w !== 'object' ||
    w === null ||
    !isInt(w['byte_length'], 0) ||
    typeof w['sha256'] !== 'string' ||
    !/^[0-9a-f]{64}$/.test(w['sha256'])
  ) {
    return 'weights: expected {byte_length: integer, sha256: 64 hex digits}';
  }
  const loss = m['imitation_loss'];
  if (loss !== null && typeof loss !== 'number') return 'imitation_loss: expected a number or null';
  if (!isInt(m['labelled'], 0)) return 'labelled: expected an integer >= 0';
  return undefined;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
