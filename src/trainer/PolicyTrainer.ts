/**
 * DAgger's learner side (Ross et al. 2011; Nagabandi et al. 2017, sec. V-A): every transition the
 * expert labelled, whoever acted, joins one aggregated set; each refit fits the policy on all of
 * it (warm-started) and produces the next versioned snapshot. Runs in the trainer, never on a tick.
 */

import type { EnsembleSnapshot } from '../dynamics/EnsembleSnapshot.js';
import type { DifferentiableReward } from '../dynamics/onnx/buildPolicyReturnGraph.js';
import { PolicyFitter, type PolicyFitOptions } from '../dynamics/policy/PolicyFitter.js';
import { PolicyForward } from '../dynamics/policy/PolicyForward.js';
import {
  PolicyReturnFitter,
  type PolicyReturnResult,
} from '../dynamics/policy/PolicyReturnFitter.js';
import {
  makePolicyArchitecture,
  type PolicyArchitecture,
  type PolicySnapshot,
} from '../dynamics/policy/PolicyNetwork.js';
import { toHeadingFrame, type HeadingFrame } from '../dynamics/policy/headingFrame.js';
import { StriderError } from '../util/StriderError.js';
import { COMMAND_DIM } from '../transport/TransitionBatchCodec.js';
import type { TransitionBatch } from '../transport/types.js';

export interface PolicyTrainerOptions {
  readonly stateDim: number;
  /** C: command values after the state in every input (0: none; 3: vx, vy, yaw rate). */
  readonly commandDim?: number;
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  readonly hiddenSizes: readonly number[];
  /** policy.frame heading: where the state's orientation and velocity sit (absent: as it is). */
  readonly headingFrame?: HeadingFrame | null;
  readonly fit: PolicyFitOptions;
  /**
   * policy.ensemble: with K > 1, each refit fits K members (their own seeds) on the labels and
   * the exported policy on the members' mean answer instead of the labels. 1 or absent: the
   * policy fits the labels.
   */
  readonly members?: number;
  /** Oldest labels are dropped beyond this many (memory bound). */
  readonly maxLabels: number;
  /** Versions issued before this trainer (a replaced one's): the first train() issues this + 1. */
  readonly versionsBefore?: number;
  /**
   * The return term (policy.return_*): after the cloning epochs of each train(), `steps` Adam
   * steps on cloning MSE - weight x the model's predicted reward per step (PolicyReturnFitter),
   * through the model `model()` serves then; none while it serves none.
   */
  readonly returnTerm?: PolicyReturnTerm;
}

/** policy.return_* with the model and reward it works on. */
export interface PolicyReturnTerm {
  readonly weight: number;
  readonly horizon: number;
  readonly steps: number;
  readonly starts: number;
  readonly model: () => EnsembleSnapshot | null;
  readonly reward: DifferentiableReward;
}

/** What comes with a labelled state besides its label. */
export interface LabelContext {
  /** The task's command (commandDim values) when the policy takes one; zeros when absent. */
  readonly command?: ArrayLike<number> | undefined;
  /**
   * The state the transition led to (S values): the other half of the temporal term's pair
   * (policy.temporal_smoothness). Absent: the row pairs with itself (no pull).
   */
  readonly nextState?: ArrayLike<number> | undefined;
}

/** Targets are kept inside tanh's range, where its gradient does not vanish. */
const TARGET_LIMIT = 0.98;

export class PolicyTrainer {
  readonly architecture: PolicyArchitecture;
  readonly #o: PolicyTrainerOptions;
  /** maxLabels x I raw inputs (I = S + C), maxLabels x A expert actions, as a ring. */
  readonly #states: Float32Array;
  readonly #labels: Float32Array;
  /** maxLabels x I: each row's next state as an input (temporal term only; else empty). */
  readonly #next: Float32Array;
  #count = 0;
  #head = 0;
  /** Labels received in total, and those from states the policy (alone or mixed) visited. */
  #received = 0;
  #fromPolicy = 0;
  #version = 0;
  #round = 0;
  #fitter: PolicyFitter | null = null;
  /** policy.ensemble's members (empty with one). */
  readonly #members: PolicyFitter[] = [];
  #lastReturn: PolicyReturnResult | null = null;

  constructor(options: PolicyTrainerOptions) {
    if (options.returnTerm !== undefined && options.headingFrame) {
      throw new StriderError(
        'CONFIG_INVALID',
        "policy.frame heading with a return term: the term's graph feeds the policy the model's states as they are; set policy.frame: world",
      );
    }
    this.#o = options;
    this.#version = options.versionsBefore ?? 0;
    this.architecture = makePolicyArchitecture({
      inputDim: options.stateDim + (options.commandDim ?? 0),
      commandDim: options.commandDim ?? 0,
      actionDim: options.actionLow.length,
      hiddenSizes: options.hiddenSizes,
      ...(options.headingFrame ? { headingFrame: options.headingFrame } : {}),
    });
    this.#states = new Float32Array(options.maxLabels * this.architecture.inputDim);
    this.#labels = new Float32Array(options.maxLabels * options.actionLow.length);
    const temporal = (options.fit.temporalSmoothness ?? 0) > 0;
    this.#next = new Float32Array(temporal ? options.maxLabels * this.architecture.inputDim : 0);
  }

  /** The action bounds the policy's tanh output is mapped onto (A values each). */
  get actionLow(): Float32Array {
    return this.#o.actionLow;
  }

  get actionHigh(): Float32Array {
    return this.#o.actionHigh;
  }

  /** The last version train() issued (versionsBefore until the first). */
  get version(): number {
    return this.#version;
  }

  /** Labelled transitions held. */
  get size(): number {
    return this.#count;
  }

  /** Labels taken in from states visited by the policy (source policy or mixed). */
  get policyVisited(): number {
    return this.#fromPolicy;
  }

  get received(): number {
    return this.#received;
  }

  /** policy.return_steps (0 without a return term). */
  get returnSteps(): number {
    return this.#o.returnTerm?.steps ?? 0;
  }

  /** What the last train()'s return term did (null: none ran). */
  get lastReturnTerm(): PolicyReturnResult | null {
    return this.#lastReturn;
  }

  /**
   * Adds one labelled state (copied; turned into the heading frame where the policy takes it so,
   * which is what recent() then returns), with the task's command when the policy takes one and,
   * for the temporal term, the state the transition led to (`context`).
   */
  add(
    state: ArrayLike<number>,
    expert: ArrayLike<number>,
    visitedBy: 'expert' | 'policy',
    context: LabelContext = {},
  ): void {
    const I = this.architecture.inputDim;
    const A = this.architecture.actionDim;
    const i = this.#head;
    this.#writeInput(this.#states, i * I, state, context.command);
    if (this.#next.length > 0) {
      this.#writeInput(this.#next, i * I, context.nextState ?? state, context.command);
    }
    for (let k = 0; k < A; k++) this.#labels[i * A + k] = expert[k]!;
    this.#head = (i + 1) % this.#o.maxLabels;
    this.#count = Math.min(this.#count + 1, this.#o.maxLabels);
    this.#received++;
    if (visitedBy === 'policy') this.#fromPolicy++;
  }

  /** One input row at `offset`: the state, then the command (zeros when absent), as the policy sees it. */
  #writeInput(
    into: Float32Array,
    offset: number,
    state: ArrayLike<number>,
    command: ArrayLike<number> | undefined,
  ): void {
    const S = this.#o.stateDim;
    const I = this.architecture.inputDim;
    for (let k = 0; k < S; k++) into[offset + k] = state[k]!;
    for (let k = S; k < I; k++) into[offset + k] = command?.[k - S] ?? 0;
    const frame = this.architecture.headingFrame;
    if (frame !== undefined) toHeadingFrame(frame, into, offset);
  }

  /**
   * Adds every labelled row of a batch (rows whose expert row is NaN carry no label), each with
   * its command when the batch carries one (zeros otherwise, as add()) and its next state.
   */
  addBatch(b: TransitionBatch): number {
    const S = b.stateDim;
    const A = b.actionDim;
    const C = COMMAND_DIM;
    const commands = b.commands;
    const by = b.source === 'policy' || b.source === 'mixed' ? 'policy' : 'expert';
    let n = 0;
    for (let i = 0; i < b.count; i++) {
      if (Number.isNaN(b.expertActions[i * A]!)) continue;
      this.add(
        b.states.subarray(i * S, i * S + S),
        b.expertActions.subarray(i * A, i * A + A),
        by,
        {
          command: commands?.subarray(i * C, i * C + C),
          nextState: b.nextStates.subarray(i * S, i * S + S),
        },
      );
      n++;
    }
    return n;
  }

  /**
   * The newest labels, up to `n`: inputs n x I, expert actions n x A and, with the temporal term,
   * the next states' inputs n x I (copies).
   */
  recent(n: number): {
    states: Float32Array;
    labels: Float32Array;
    next: Float32Array | null;
    count: number;
  } {
    const S = this.architecture.inputDim;
    const A = this.architecture.actionDim;
    const count = Math.min(n, this.#count);
    const states = new Float32Array(count * S);
    const labels = new Float32Array(count * A);
    const next = this.#next.length > 0 ? new Float32Array(count * S) : null;
    const cap = this.#o.maxLabels;
    for (let r = 0; r < count; r++) {
      const i = (this.#head - count + r + cap) % cap;
      states.set(this.#states.subarray(i * S, i * S + S), r * S);
      labels.set(this.#labels.subarray(i * A, i * A + A), r * A);
      next?.set(this.#next.subarray(i * S, i * S + S), r * S);
    }
    return { states, labels, next, count };
  }

  /**
   * Fits the next policy on every label held (DAgger round `round`). Returns null while fewer
   * than 2 labels exist.
   */
  async train(round: number, signal?: AbortSignal): Promise<PolicySnapshot | null> {
    const N = this.#count;
    if (N < 2) return null;
    const S = this.architecture.inputDim;
    const stateDim = this.#o.stateDim;
    const A = this.architecture.actionDim;
    const { actionLow: low, actionHigh: high } = this.#o;
    const mean = new Float32Array(S);
    const std = new Float32Array(S);
    for (let i = 0; i < N; i++)
      for (let k = 0; k < stateDim; k++) mean[k]! += this.#states[i * S + k]! / N;
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < stateDim; k++) std[k]! += (this.#states[i * S + k]! - mean[k]!) ** 2 / N;
    }
    for (let k = 0; k < stateDim; k++) std[k] = Math.max(Math.sqrt(std[k]!), 1e-3);
    // the command enters unnormalised (mean 0, std 1): a run that held one command would
    // otherwise scale any other command by 1 / 1e-3
    for (let k = stateDim; k < S; k++) std[k] = 1;
    const normalised = (rows: Float32Array): Float32Array =>
      Float32Array.from({ length: N * S }, (_, j) => (rows[j]! - mean[j % S]!) / std[j % S]!);
    const x = normalised(this.#states);
    const temporal = this.#next.length > 0;
    const xNext = temporal ? normalised(this.#next) : undefined;
    const y = new Float32Array(N * A);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < A; k++) {
        const u = toUnit(this.#labels[i * A + k]!, low[k]!, high[k]!);
        y[i * A + k] = Math.max(-TARGET_LIMIT, Math.min(TARGET_LIMIT, u));
      }
    }
    const fit = {
      ...this.#o.fit,
      inputNoiseColumns: stateDim,
      ...(signal !== undefined ? { signal } : {}),
    };
    this.#fitter ??= await PolicyFitter.create(this.architecture, this.#o.fit.seed, temporal);
    const loss =
      (this.#o.members ?? 1) > 1
        ? await this.#fitConsensus({ x, y, xNext, N, mean, std, round }, fit)
        : await this.#fitter.fit(x, y, N, fit, xNext);
    const weights = await this.#returnTerm(x, y, N, mean, std, signal);
    this.#version++;
    this.#round = round;
    return {
      version: this.#version,
      round: this.#round,
      architecture: this.architecture,
      inputMean: mean,
      inputStd: std,
      actionLow: Float32Array.from(low),
      actionHigh: Float32Array.from(high),
      weights,
      imitationLoss: loss,
      labelled: N,
    };
  }

  /**
   * policy.ensemble: K members fit the labels (each warm-started from its own last fit, seeded
   * apart), then the served policy fits their mean answer at the labelled states, without input
   * noise (the mean carries no label noise to smooth over). One fit's answer depends on where its
   * seed's steps left it on the labels' noise; the mean of K averages that part away (test:
   * PolicyEnsemble.test.ts). Returns the members' mean fit loss.
   */
  async #fitConsensus(
    d: {
      x: Float32Array;
      y: Float32Array;
      xNext: Float32Array | undefined;
      N: number;
      mean: Float32Array;
      std: Float32Array;
      round: number;
    },
    fit: PolicyFitOptions,
  ): Promise<number> {
    const K = this.#o.members ?? 1;
    const { N } = d;
    const I = this.architecture.inputDim;
    const A = this.architecture.actionDim;
    const { actionLow: low, actionHigh: high } = this.#o;
    const targets = new Float32Array(N * A);
    const a = new Float32Array(A);
    const temporal = d.xNext !== undefined;
    let loss = 0;
    for (let k = 0; k < K; k++) {
      const seed = this.#o.fit.seed + 7919 * (k + 1);
      const member = (this.#members[k] ??= await PolicyFitter.create(
        this.architecture,
        seed,
        temporal,
      ));
      loss += (await member.fit(d.x, d.y, N, fit, d.xNext)) / K;
      const forward = new PolicyForward({
        version: 0,
        round: d.round,
        architecture: this.architecture,
        inputMean: d.mean,
        inputStd: d.std,
        actionLow: low,
        actionHigh: high,
        weights: member.getWeights(),
        imitationLoss: Number.NaN,
        labelled: N,
      });
      for (let i = 0; i < N; i++) {
        forward.act(this.#states.subarray(i * I, i * I + I), a);
        for (let j = 0; j < A; j++) {
          targets[i * A + j]! += toUnit(a[j]!, low[j]!, high[j]!) / K;
        }
      }
    }
    await this.#fitter!.fit(d.x, targets, N, { ...fit, inputNoise: 0 }, d.xNext);
    return loss;
  }

  /** The fitter's weights after the return term (when configured and a model serves). */
  async #returnTerm(
    x: Float32Array,
    y: Float32Array,
    N: number,
    mean: Float32Array,
    std: Float32Array,
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const fitter = this.#fitter!;
    this.#lastReturn = null;
    const term = this.#o.returnTerm;
    const model = term !== undefined && term.weight > 0 ? term.model() : null;
    if (term === undefined || model === null) return fitter.getWeights();
    const ret = await PolicyReturnFitter.create({
      policy: this.architecture,
      inputMean: mean,
      inputStd: std,
      actionLow: this.#o.actionLow,
      actionHigh: this.#o.actionHigh,
      model,
      reward: term.reward,
      horizon: term.horizon,
    });
    try {
      const res = await ret.improve(
        fitter.getWeights(),
        { x, y, states: this.#states.subarray(0, N * this.architecture.inputDim), count: N },
        {
          weight: term.weight,
          steps: term.steps,
          starts: term.starts,
          learningRate: this.#o.fit.learningRate,
          batchSize: this.#o.fit.batchSize,
          seed: this.#o.fit.seed + this.#version,
          ...(signal !== undefined ? { signal } : {}),
        },
      );
      fitter.setWeights(res.weights);
      this.#lastReturn = res;
      return res.weights;
    } finally {
      await ret.close();
    }
  }

  async close(): Promise<void> {
    await this.#fitter?.close();
    this.#fitter = null;
    for (const m of this.#members) await m.close();
    this.#members.length = 0;
  }
}

/** An action value in [low, high] as the fit sees it, in [-1, 1]. */
function toUnit(value: number, low: number, high: number): number {
  return (2 * (value - low)) / (high - low) - 1;
}
