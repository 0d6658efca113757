import type { ActionSource } from '../../../src/control/types.js';
import type { TransitionBatch } from '../../../src/transport/types.js';
import { Rng } from '../../../src/util/rng.js';

export const S = 4;
export const A = 2;

/**
 * One synthetic episode of a stable linear system s' = M s + B a (S 4, A 2) as a single batch:
 * states chain exactly (s'_t = s_{t+1}), actions uniform in [-1, 1], done on the last transition
 * unless `done` is false.
 */
export function linearEpisode(o: {
  robotId?: string;
  runId?: number;
  episode: number;
  firstSeq: number;
  steps: number;
  source?: ActionSource;
  done?: boolean;
  seed?: number;
}): TransitionBatch {
  const N = o.steps;
  const rng = new Rng(o.seed ?? o.episode + 1);
  const states = new Float32Array(N * S);
  const next = new Float32Array(N * S);
  const actions = new Float32Array(N * A);
  let s = Float32Array.from({ length: S }, () => rng.next() - 0.5);
  for (let t = 0; t < N; t++) {
    states.set(s, t * S);
    const a = Float32Array.from({ length: A }, () => 2 * rng.next() - 1);
    actions.set(a, t * A);
    const n = new Float32Array(S);
    for (let i = 0; i < S; i++) {
      const j = (i + 1) % S;
      n[i] = 0.9 * (s[i] ?? 0) + 0.1 * (s[j] ?? 0) + 0.2 * (a[i % A] ?? 0);
    }
    next.set(n, t * S);
    s = n;
  }
  const dones = new Uint8Array(N);
  if (o.done ?? true) dones[N - 1] = 1;
  return {
    robotId: o.robotId ?? 'robot0',
    runId: o.runId ?? 7,
    episode: o.episode,
    firstSeq: o.firstSeq,
    count: N,
    stateDim: S,
    actionDim: A,
    source: o.source ?? 'random',
    states,
    actions,
    expertActions: new Float32Array(N * A).fill(Number.NaN),
    nextStates: next,
    rewards: Float32Array.from({ length: N }, (_, i) => i / N),
    dones,
  };
}

/** Cuts a batch into consecutive batches of the given sizes (copies). */
export function cut(b: TransitionBatch, sizes: readonly number[]): TransitionBatch[] {
  const out: TransitionBatch[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push({
      ...b,
      firstSeq: b.firstSeq + at,
      count: n,
      states: b.states.slice(at * S, (at + n) * S),
      actions: b.actions.slice(at * A, (at + n) * A),
      expertActions: b.expertActions.slice(at * A, (at + n) * A),
      nextStates: b.nextStates.slice(at * S, (at + n) * S),
      rewards: b.rewards.slice(at, at + n),
      dones: b.dones.slice(at, at + n),
    });
    at += n;
  }
  return out;
}
