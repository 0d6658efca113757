import type { Trajectory } from '../dynamics/Trajectory.js';

/** Timestamped vectors, sorted by time: N samples of D values. */
export interface TimeSeries {
  /** N times, seconds from the bag's start. */
  readonly timesSec: Float64Array;
  /** N x D, row-major. */
  readonly values: Float32Array;
  readonly dim: number;
}

/** Times this close are the same instant (the grid t0 + k * period drifts by float rounding). */
const EPS_SEC = 1e-9;

export interface ResampleOptions {
  /** The control period: the grid step, seconds. */
  readonly periodSec: number;
  /** Two state samples further apart than this do not bracket a grid point: a gap. */
  readonly maxGapSec: number;
  /** A command older than this is missing (a gap); 0: it holds until the next one. */
  readonly actionTimeoutSec: number;
  /** Longer runs are cut into episodes of this length. */
  readonly episodeSec: number;
  /** Shorter episodes (transitions) are dropped and counted. */
  readonly minEpisodeSteps: number;
  /** Offset of a w,x,y,z quaternion in the state (renormalised after interpolation), or -1. */
  readonly quatOffset: number;
}

export interface ResampleResult {
  readonly episodes: Trajectory[];
  /** Grid points with a state and a command. */
  readonly validSteps: number;
  /** Grid points inside a gap (state samples too far apart, or no command in force). */
  readonly gapSteps: number;
  /** Runs broken by a gap. */
  readonly gaps: number;
  /** Episodes dropped for being shorter than minEpisodeSteps. */
  readonly droppedEpisodes: number;
}

/**
 * Aligns a state series and a command series on the control-period grid and cuts episodes.
 *
 * Grid: t_k = t_0 + k * periodSec from the later of the first state and first command to the last
 * state. State at t_k: a sample at t_k (within 1 ns; the last of several) as it is, else linear
 * interpolation between the samples that bracket it (a quaternion is interpolated componentwise,
 * sign-aligned and renormalised: nlerp). Command at t_k: the last one
 * at or before t_k (zero-order hold, as a robot's driver holds it). A grid point whose bracketing
 * states are more than maxGapSec apart, or with no command in force, is a gap: it ends the current
 * run. Each run is cut into episodes of episodeSec; a_k is applied over [t_k, t_k+1).
 */
export function resample(
  state: TimeSeries,
  action: TimeSeries,
  o: ResampleOptions,
): ResampleResult {
  const S = state.dim;
  const A = action.dim;
  const ns = state.timesSec.length;
  const na = action.timesSec.length;
  const episodes: Trajectory[] = [];
  let validSteps = 0;
  let gapSteps = 0;
  let gaps = 0;
  let dropped = 0;
  if (ns < 2 || na === 0) return { episodes, validSteps, gapSteps, gaps, droppedEpisodes: dropped };
  const t0 = Math.max(state.timesSec[0]!, action.timesSec[0]!);
  const tEnd = state.timesSec[ns - 1]!;
  const perEpisode = Math.max(1, Math.round(o.episodeSec / o.periodSec));
  let runStates: number[] = [];
  let runActions: number[] = [];
  const s = new Float32Array(S);
  const flush = (): void => {
    const points = runStates.length / S;
    for (let k0 = 0; k0 + 1 < points; k0 += perEpisode) {
      const n = Math.min(perEpisode, points - 1 - k0);
      if (n < o.minEpisodeSteps) {
        dropped++;
        continue;
      }
      episodes.push({
        states: Float32Array.from(runStates.slice(k0 * S, (k0 + n + 1) * S)),
        actions: Float32Array.from(runActions.slice(k0 * A, (k0 + n) * A)),
      });
    }
    runStates = [];
    runActions = [];
  };
  let i = 0;
  let j = -1;
  for (let k = 0; ; k++) {
    const t = t0 + k * o.periodSec;
    if (t > tEnd + EPS_SEC) break;
    while (i + 2 < ns && state.timesSec[i + 1]! <= t + EPS_SEC) i++;
    while (j + 1 < na && action.timesSec[j + 1]! <= t + EPS_SEC) j++;
    const ta = state.timesSec[i]!;
    const tb = state.timesSec[i + 1]!;
    // on a sample (within EPS_SEC) a point needs no neighbour; between two it needs them close
    const onSample = Math.abs(t - ta) <= EPS_SEC || Math.abs(t - tb) <= EPS_SEC;
    const stateOk = ta <= t + EPS_SEC && t - EPS_SEC <= tb && (onSample || tb - ta <= o.maxGapSec);
    const actionOk =
      j >= 0 &&
      (o.actionTimeoutSec === 0 || t - action.timesSec[j]! <= o.actionTimeoutSec + EPS_SEC);
    if (!stateOk || !actionOk) {
      gapSteps++;
      if (runStates.length > 0) gaps++;
      flush();
      continue;
    }
    const previous = runStates.length >= S ? runStates.slice(-S) : null;
    if (!onSample) interpolate(state, i, t, s, o.quatOffset, previous);
    // on a sample: that sample as recorded (the later one where both are), bit for bit
    else copySample(state, Math.abs(t - tb) <= EPS_SEC ? i + 1 : i, s, o.quatOffset, previous);
    for (let d = 0; d < S; d++) runStates.push(s[d]!);
    for (let d = 0; d < A; d++) runActions.push(action.values[j * A + d]!);
    validSteps++;
  }
  flush();
  return { episodes, validSteps, gapSteps, gaps, droppedEpisodes: dropped };
}

function copySample(
  series: TimeSeries,
  i: number,
  out: Float32Array,
  quatOffset: number,
  previous: readonly number[] | null,
): void {
  const S = series.dim;
  out.set(series.values.subarray(i * S, (i + 1) * S));
  if (quatOffset < 0 || previous === null) return;
  let dot = 0;
  for (let q = 0; q < 4; q++) dot += previous[quatOffset + q]! * out[quatOffset + q]!;
  if (dot < 0) for (let q = 0; q < 4; q++) out[quatOffset + q] = -out[quatOffset + q]!;
}

function interpolate(
  series: TimeSeries,
  i: number,
  t: number,
  out: Float32Array,
  quatOffset: number,
  previous: readonly number[] | null,
): void {
  const S = series.dim;
  const ta = series.timesSec[i]!;
  const tb = series.timesSec[i + 1]!;
  const w = tb > ta ? Math.min(1, Math.max(0, (t - ta) / (tb - ta))) : 0;
  const a = i * S;
  const b = (i + 1) * S;
  const v = series.values;
  let sign = 1;
  if (quatOffset >= 0) {
    let dot = 0;
    for (let q = 0; q < 4; q++) dot += v[a + quatOffset + q]! * v[b + quatOffset + q]!;
    if (dot < 0) sign = -1;
  }
  for (let d = 0; d < S; d++) {
    const inQuat = quatOffset >= 0 && d >= quatOffset && d < quatOffset + 4;
    out[d] = (1 - w) * v[a + d]! + w * (inQuat ? sign : 1) * v[b + d]!;
  }
  if (quatOffset < 0) return;
  let norm = 0;
  for (let q = 0; q < 4; q++) norm += out[quatOffset + q]! ** 2;
  norm = Math.sqrt(norm) || 1;
  // keep q and -q (the same rotation) from alternating inside an episode
  let dotPrev = 0;
  if (previous !== null)
    for (let q = 0; q < 4; q++) dotPrev += previous[quatOffset + q]! * out[quatOffset + q]!;
  const flip = dotPrev < 0 ? -1 : 1;
  for (let q = 0; q < 4; q++) out[quatOffset + q] = (flip * out[quatOffset + q]!) / norm;
}
