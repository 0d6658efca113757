import type { ActionSource } from '../control/types.js';
import type { DecodeFailureCode } from './binary.js';

/** The payload kinds carried over MQTT; each has its own topic. */
export type PayloadKind = 'transitions' | 'model' | 'status' | 'policy';

/**
 * Outcome of decoding a payload from the network or disk. Decoders never throw on bad input:
 * a failure names the field at fault in `reason` and carries a stable error `code`.
 */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: DecodeFailureCode; readonly reason: string };

/**
 * N consecutive transitions of one robot, struct-of-arrays, all row-major Float32 (raw units).
 * Transition i has sequence number `firstSeq + i`. Sequence numbers are per (robotId, runId) and
 * run across episodes; together they identify a transition for de-duplication.
 */
export interface TransitionBatch {
  /** 1..255 bytes of UTF-8. */
  readonly robotId: string;
  /** u32 chosen by the controller at start: a restart begins a new sequence stream. */
  readonly runId: number;
  /** u32 episode index within the run. */
  readonly episode: number;
  /** u64 (< 2^53) sequence number of the first transition. */
  readonly firstSeq: number;
  /** N >= 1. */
  readonly count: number;
  /** S >= 1. */
  readonly stateDim: number;
  /** A >= 1. */
  readonly actionDim: number;
  /** Who produced the executed actions of this batch. */
  readonly source: ActionSource;
  /** N x S: s_t. */
  readonly states: Float32Array;
  /** N x A: the executed action a_t. */
  readonly actions: Float32Array;
  /**
   * N x A: the expert (MPC) label for s_t. A row that is all NaN means "no label"; every other
   * row is entirely finite. See {@link hasExpertLabel}.
   */
  readonly expertActions: Float32Array;
  /**
   * N x 3: the task's command (vx, vy, yaw rate) the controller held at s_t, present when the
   * task has one (a cmd_vel target); absent: the stream carries no command (and version 1
   * payloads never do). A robot's stream either carries it in every batch or in none.
   */
  readonly commands?: Float32Array;
  /** N x S: s_{t+1}. */
  readonly nextStates: Float32Array;
  /** N: r_t. */
  readonly rewards: Float32Array;
  /** N: 1 when s_{t+1} ended the episode, else 0. */
  readonly dones: Uint8Array;
}

/** True when transition `i` of `batch` carries an expert label (its expert row is not NaN). */
export function hasExpertLabel(batch: TransitionBatch, i: number): boolean {
  return !Number.isNaN(batch.expertActions[i * batch.actionDim]);
}

/** Who publishes a status message. */
export type StatusRole = 'controller' | 'trainer';

/** Liveness and counters, published retained on `<prefix>/<robot>/status`. */
export interface StatusMessage {
  readonly robotId: string;
  readonly role: StatusRole;
  /** 'online' while running; 'offline' is the last-will value. */
  readonly state: 'online' | 'offline';
  /** Wall-clock time, ms since the Unix epoch. */
  readonly timeMs: number;
  /** The model version serving (controller) or last published (trainer); null when none. */
  readonly modelVersion: number | null;
  /** Free-form counters (finite numbers), e.g. the outbox counters. */
  readonly counters: Readonly<Record<string, number>>;
}
