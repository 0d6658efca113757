/**
 * Turns the transition stream (in-order batches from a TransitionInbox) back into episodes. Per
 * (robotId, runId) it collects transitions and emits a piece of an episode when
 * - a transition with the done flag arrives (the episode ended normally: ending `done`);
 * - a transition of another episode of the same run arrives (the episode ended without a done
 *   flag: the simulator went unstable, or the controller stopped it: `next_episode`);
 * - a transition of another run of the same robot arrives (the controller restarted with a new
 *   runId; its previous run will send nothing more: `run_ended`);
 * - the stream breaks inside an episode: s'_t differs from s_{t+1} beyond the tolerance, sequence
 *   numbers skip (the inbox gave up on a gap), or the source, the dimensions or the presence of
 *   the command column change (`split`; the
 *   rest of the episode becomes the next piece);
 * - the stream has been silent for a while ({@link EpisodeAssembler.closeIdle}, `idle`): a
 *   controller that waits for a model between episodes sends no next episode.
 * Pieces shorter than `minTransitions` are dropped and counted. Pure computation, no I/O.
 */

import type { ActionSource } from '../control/types.js';
import type { Trajectory } from '../dynamics/Trajectory.js';
import { COMMAND_DIM } from '../transport/TransitionBatchCodec.js';
import type { TransitionBatch } from '../transport/types.js';

/** Why a piece of an episode was emitted. */
export type EpisodeEnding = 'done' | 'next_episode' | 'run_ended' | 'idle' | 'split';

/** One complete episode (or, after a split, one contiguous piece of one). */
export interface Episode {
  readonly robotId: string;
  readonly runId: number;
  /** Episode index within the run. */
  readonly episode: number;
  /** 0 for the first piece of an episode, 1.. after splits. */
  readonly part: number;
  readonly source: ActionSource;
  /** T, transitions in the piece (>= 1). */
  readonly steps: number;
  /** States (T+1) x S and actions T x A, raw units, row-major. */
  readonly trajectory: Trajectory;
  /**
   * The same T transitions as one contiguous batch (sequence numbers firstSeq..firstSeq+T-1,
   * rewards, done flags, expert labels): what the EpisodeStore writes.
   */
  readonly transitions: TransitionBatch;
}

/** Counts since construction. */
export interface AssemblerCounters {
  /** Pieces emitted (complete episodes plus pieces of split ones). */
  pieces: number;
  /** Pieces emitted because a continuity check, a sequence gap or a source change cut an episode. */
  splits: number;
  /** Fragments shorter than `minTransitions`, dropped. */
  fragmentsDropped: number;
  /** Transitions in those fragments. */
  fragmentTransitionsDropped: number;
  /** Transitions already seen in this stream (re-delivered), dropped. */
  duplicates: number;
}

export interface EpisodeAssemblerOptions {
  /** Called for each emitted piece, in stream order. Must not throw. */
  readonly onEpisode: (episode: Episode, ending: EpisodeEnding) => void;
  /**
   * Continuity tolerance: s'_t and s_{t+1} match when |a - b| <= tolerance * max(1, |a|, |b|)
   * for every component. Default 1e-5 (float32 copies of one value match exactly).
   */
  readonly tolerance?: number;
  /** Pieces with fewer transitions are dropped (and counted). Default 2. */
  readonly minTransitions?: number;
  /** Monotonic clock, ms (for {@link EpisodeAssembler.closeIdle}). Default performance.now. */
  readonly nowMs?: () => number;
}

interface Slice {
  readonly b: TransitionBatch;
  readonly from: number;
  readonly to: number;
}

interface Piece {
  readonly episode: number;
  readonly part: number;
  readonly source: ActionSource;
  readonly stateDim: number;
  readonly actionDim: number;
  /** The piece's batches carry the task's command (all or none of them). */
  readonly command: boolean;
  readonly slices: Slice[];
  count: number;
}

interface Stream {
  readonly robotId: string;
  readonly runId: number;
  /** Last sequence number taken in; -1 before any. */
  lastSeq: number;
  /** s' of the last transition taken in (a view into its batch). */
  lastNext: Float32Array | undefined;
  /** Episode of the last transition taken in, and the part count of that episode so far. */
  lastEpisode: number;
  parts: number;
  open: Piece | undefined;
  /** When a batch was last taken in (ms, the injected clock). */
  lastPushMs: number;
}

export class EpisodeAssembler {
  readonly counters: AssemblerCounters = {
    pieces: 0,
    splits: 0,
    fragmentsDropped: 0,
    fragmentTransitionsDropped: 0,
    duplicates: 0,
  };
  readonly #o: EpisodeAssemblerOptions;
  readonly #tol: number;
  readonly #min: number;
  readonly #streams = new Map<string, Stream>();
  readonly #now: () => number;

  constructor(options: EpisodeAssemblerOptions) {
    this.#o = options;
    this.#now = options.nowMs ?? (() => performance.now());
    this.#tol = options.tolerance ?? 1e-5;
    this.#min = options.minTransitions ?? 2;
  }

  /**
   * Tells the assembler that `lastSeq` of this (robot, run) is already stored (after a restart), so
   * re-delivered transitions up to it are dropped as duplicates.
   */
  seed(robotId: string, runId: number, lastSeq: number): void {
    const s = this.#stream(robotId, runId);
    s.lastSeq = Math.max(s.lastSeq, lastSeq);
  }

  /** Takes one batch in (in sequence order per stream, as the inbox delivers). */
  push(b: TransitionBatch): void {
    const s = this.#stream(b.robotId, b.runId);
    s.lastPushMs = this.#now();
    const end = b.firstSeq + b.count; // exclusive
    if (end - 1 <= s.lastSeq) {
      this.counters.duplicates += b.count;
      return;
    }
    const skip = b.firstSeq <= s.lastSeq ? s.lastSeq - b.firstSeq + 1 : 0;
    this.counters.duplicates += skip;
    // another run of this robot: its open episodes will not continue
    for (const other of this.#streams.values()) {
      if (other !== s && other.robotId === b.robotId && other.open !== undefined) {
        this.#close(other, 'run_ended');
      }
    }
    const S = b.stateDim;
    const first = b.firstSeq + skip;
    if (s.open !== undefined) {
      const o = s.open;
      if (o.episode !== b.episode) {
        this.#close(s, 'next_episode');
      } else if (
        o.source !== b.source ||
        o.stateDim !== S ||
        o.actionDim !== b.actionDim ||
        o.command !== (b.commands !== undefined) ||
        first !== s.lastSeq + 1 ||
        (s.lastNext !== undefined && !this.#same(s.lastNext, b.states, skip * S, S))
      ) {
        this.#close(s, 'split');
      }
    }
    if (s.lastEpisode !== b.episode) {
      s.lastEpisode = b.episode;
      s.parts = 0;
    }
    let from = skip;
    for (let i = skip; i < b.count; i++) {
      if (i > from && !this.#same(b.nextStates.subarray((i - 1) * S, i * S), b.states, i * S, S)) {
        this.#append(s, b, from, i);
        this.#close(s, 'split');
        from = i;
      }
      if (b.dones[i] === 1) {
        this.#append(s, b, from, i + 1);
        this.#close(s, 'done');
        from = i + 1;
      }
    }
    if (from < b.count) this.#append(s, b, from, b.count);
    s.lastSeq = end - 1;
    s.lastNext = b.nextStates.subarray((b.count - 1) * S, b.count * S);
  }

  /**
   * Completes the open episodes of streams that took nothing in for `idleMs` (ending `idle`).
   * Transitions of such an episode arriving later start a new piece. Returns how many closed.
   */
  closeIdle(idleMs: number): number {
    const now = this.#now();
    let n = 0;
    for (const s of this.#streams.values()) {
      if (s.open !== undefined && now - s.lastPushMs >= idleMs) {
        this.#close(s, 'idle');
        n++;
      }
    }
    return n;
  }

  /**
   * The open (not yet complete) pieces, as batches, for persisting at shutdown; the assembler
   * keeps them. Feeding them to a new assembler's {@link push} resumes where this one stopped.
   */
  openPieces(): TransitionBatch[] {
    const out: TransitionBatch[] = [];
    for (const s of this.#streams.values()) {
      if (s.open !== undefined) out.push(concat(s, s.open));
    }
    return out;
  }

  /** Transitions waiting in open pieces. */
  get openTransitions(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.open?.count ?? 0;
    return n;
  }

  #stream(robotId: string, runId: number): Stream {
    const key = `${robotId}\u0000${runId}`;
    let s = this.#streams.get(key);
    if (s === undefined) {
      s = {
        robotId,
        runId,
        lastSeq: -1,
        lastNext: undefined,
        lastEpisode: -1,
        parts: 0,
        open: undefined,
        lastPushMs: this.#now(),
      };
      this.#streams.set(key, s);
    }
    return s;
  }

  #append(s: Stream, b: TransitionBatch, from: number, to: number): void {
    if (to <= from) return;
    s.open ??= {
      episode: b.episode,
      part: s.parts++,
      source: b.source,
      stateDim: b.stateDim,
      actionDim: b.actionDim,
      command: b.commands !== undefined,
      slices: [],
      count: 0,
    };
    s.open.slices.push({ b, from, to });
    s.open.count += to - from;
  }

  #close(s: Stream, ending: EpisodeEnding): void {
    const p = s.open;
    s.open = undefined;
    if (p === undefined) return;
    if (p.count < this.#min) {
      this.counters.fragmentsDropped++;
      this.counters.fragmentTransitionsDropped += p.count;
      return;
    }
    const transitions = concat(s, p);
    this.counters.pieces++;
    if (ending === 'split') this.counters.splits++;
    this.#o.onEpisode(episodeFromBatch(transitions, p.part), ending);
  }

  #same(a: Float32Array, b: Float32Array, offset: number, n: number): boolean {
    for (let j = 0; j < n; j++) {
      const x = a[j] ?? Number.NaN;
      const y = b[offset + j] ?? Number.NaN;
      if (!(Math.abs(x - y) <= this.#tol * Math.max(1, Math.abs(x), Math.abs(y)))) return false;
    }
    return true;
  }
}

/** Copies a piece's slices into one contiguous batch (with the command column when it has one). */
function concat(s: Stream, p: Piece): TransitionBatch {
  const { stateDim: S, actionDim: A, count: N } = p;
  const C = COMMAND_DIM;
  const commands = p.command ? new Float32Array(N * C) : undefined;
  const out: TransitionBatch = {
    robotId: s.robotId,
    runId: s.runId,
    episode: p.episode,
    firstSeq: 0,
    count: N,
    stateDim: S,
    actionDim: A,
    source: p.source,
    states: new Float32Array(N * S),
    actions: new Float32Array(N * A),
    expertActions: new Float32Array(N * A),
    ...(commands === undefined ? {} : { commands }),
    nextStates: new Float32Array(N * S),
    rewards: new Float32Array(N),
    dones: new Uint8Array(N),
  };
  let row = 0;
  for (const { b, from, to } of p.slices) {
    out.states.set(b.states.subarray(from * S, to * S), row * S);
    out.actions.set(b.actions.subarray(from * A, to * A), row * A);
    out.expertActions.set(b.expertActions.subarray(from * A, to * A), row * A);
    if (commands !== undefined && b.commands !== undefined)
      commands.set(b.commands.subarray(from * C, to * C), row * C);
    out.nextStates.set(b.nextStates.subarray(from * S, to * S), row * S);
    out.rewards.set(b.rewards.subarray(from, to), row);
    out.dones.set(b.dones.subarray(from, to), row);
    row += to - from;
  }
  const firstSeq = p.slices[0] === undefined ? 0 : p.slices[0].b.firstSeq + p.slices[0].from;
  return { ...out, firstSeq };
}

/**
 * The episode view of a contiguous batch of one episode: states (T+1) x S are s_0..s_{T-1} then
 * s'_{T-1}; actions are the executed actions (a view into the batch).
 */
export function episodeFromBatch(transitions: TransitionBatch, part: number): Episode {
  const { count: T, stateDim: S } = transitions;
  const states = new Float32Array((T + 1) * S);
  states.set(transitions.states, 0);
  states.set(transitions.nextStates.subarray((T - 1) * S, T * S), T * S);
  return {
    robotId: transitions.robotId,
    runId: transitions.runId,
    episode: transitions.episode,
    part,
    source: transitions.source,
    steps: T,
    trajectory: { states, actions: transitions.actions },
    transitions,
  };
}
