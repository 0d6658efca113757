import { StriderError } from '../util/StriderError.js';
import type {
  ExecuteKind,
  NominalAction,
  OptimizerKind,
  PlannerOptions,
  Propagation,
} from './types.js';

/** Defaults applied by resolvePlannerOptions (documented on PlannerOptions). */
export const PLANNER_DEFAULTS = {
  discount: 1,
  maxIterations: { random: 1, cem: 5, mppi: 3, icem: 5 },
  propagation: 'ts_inf',
  execute: 'best',
  nominal: 'zero',
  noiseBeta: 0,
  timeMarginMs: 0,
  seedShare: 0,
  cem: {
    eliteFraction: 0.1,
    alpha: 0.1,
    initStdFraction: 0.25,
    minStdFraction: 0.01,
    keepEliteFraction: 0,
  },
  icem: { populationDecay: 1.25 },
  mppi: { temperature: 1, noiseStdFraction: 0.25 },
} as const;

/** The sizes the planner takes from its EnsembleStepper. */
export interface PlannerDims {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  readonly maxBatchPerMember: number;
}

/** PlannerOptions with every default filled in, checked against the stepper's sizes. */
export interface ResolvedPlannerOptions {
  readonly optimizer: OptimizerKind;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  readonly horizon: number;
  readonly population: number;
  readonly particles: number;
  /** B = K * P / E rows per member in each stepper call. */
  readonly batchPerMember: number;
  readonly actionLow: Float32Array;
  readonly actionHigh: Float32Array;
  readonly discount: number;
  readonly maxIterations: number;
  readonly nominal: NominalAction;
  /** A: the nominal action (zeros unless given), not yet clipped to the bounds. */
  readonly nominalAction: Float32Array;
  readonly noiseBeta: number;
  readonly timeMarginMs: number;
  /** Share of each iteration's population taken from the seed source, [0, 0.5]. */
  readonly seedShare: number;
  readonly propagation: Propagation;
  readonly execute: ExecuteKind;
  readonly icem: { readonly populationDecay: number };
  readonly cem: {
    readonly elites: number;
    readonly alpha: number;
    readonly initStdFraction: number;
    readonly minStdFraction: number;
    /** Elites carried over, 0 <= keptElites <= min(elites, K - 1). */
    readonly keptElites: number;
  };
  readonly mppi: { readonly temperature: number; readonly noiseStdFraction: number };
}

function invalid(name: string, expected: string, got: unknown): StriderError {
  return new StriderError(
    'PLANNER_INVALID',
    `planner option "${name}" must be ${expected}, got ${String(got)}`,
    { context: { option: name, value: got } },
  );
}

function integerIn(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw invalid(name, `an integer in [${lo}, ${hi}]`, value);
  }
  return value;
}

function numberIn(
  name: string,
  value: number,
  range: {
    readonly lo: number;
    readonly hi: number;
    readonly loOpen?: boolean;
    readonly hiOpen?: boolean;
  },
): number {
  const belowLo = range.loOpen === true ? value <= range.lo : value < range.lo;
  const aboveHi = range.hiOpen === true ? value >= range.hi : value > range.hi;
  if (!Number.isFinite(value) || belowLo || aboveHi) {
    const open = range.loOpen === true ? '(' : '[';
    const close = range.hiOpen === true ? ')' : ']';
    throw invalid(name, `a number in ${open}${range.lo}, ${range.hi}${close}`, value);
  }
  return value;
}

function bounds(name: string, values: ArrayLike<number>, actionDim: number): Float32Array {
  if (values.length !== actionDim) {
    throw invalid(name, `of length actionDim=${actionDim}`, `length ${values.length}`);
  }
  const out = new Float32Array(actionDim);
  for (let i = 0; i < actionDim; i++) {
    const v = values[i] ?? Number.NaN;
    if (!Number.isFinite(v)) throw invalid(`${name}[${i}]`, 'finite', v);
    out[i] = v;
  }
  return out;
}

/**
 * Fill in defaults and check every option against the stepper's sizes. Called once at planner
 * construction; throws StriderError('PLANNER_INVALID') naming the offending option.
 */
export function resolvePlannerOptions(
  options: PlannerOptions,
  dims: PlannerDims,
): ResolvedPlannerOptions {
  const optimizer = options.optimizer;
  switch (optimizer) {
    case 'random':
    case 'cem':
    case 'mppi':
    case 'icem':
      break;
    default: {
      const never: never = optimizer;
      throw invalid('optimizer', "one of 'random', 'cem', 'mppi', 'icem'", never);
    }
  }
  const E = dims.ensembleSize;
  const horizon = integerIn('horizon', options.horizon, 1, 100_000);
  const population = integerIn('population', options.population, 2, 10_000_000);
  const particles = integerIn('particles', options.particles ?? E, 1, 100_000);
  const rows = population * particles;
  if (rows % E !== 0) {
    throw new StriderError(
      'PLANNER_INVALID',
      `planner options "population" x "particles" (${population} x ${particles} = ${rows}) must be ` +
        `divisible by the ensemble size ${E}`,
      { context: { option: 'particles', population, particles, ensembleSize: E } },
    );
  }
  const batchPerMember = rows / E;
  if (batchPerMember > dims.maxBatchPerMember) {
    throw new StriderError(
      'PLANNER_INVALID',
      `planner options "population" x "particles" / ensemble size (${population} x ${particles} / ` +
        `${E} = ${batchPerMember}) exceeds the stepper's maxBatchPerMember ${dims.maxBatchPerMember}`,
      {
        context: {
          option: 'population',
          batchPerMember,
          maxBatchPerMember: dims.maxBatchPerMember,
        },
      },
    );
  }
  const actionLow = bounds('actionLow', options.actionLow, dims.actionDim);
  const actionHigh = bounds('actionHigh', options.actionHigh, dims.actionDim);
  for (let i = 0; i < dims.actionDim; i++) {
    if (actionHigh[i]! < actionLow[i]!) {
      throw invalid(`actionHigh[${i}]`, `>= actionLow[${i}]=${actionLow[i]!}`, actionHigh[i]);
    }
  }
  const nominalAction =
    options.nominalAction === undefined
      ? new Float32Array(dims.actionDim)
      : bounds('nominalAction', options.nominalAction, dims.actionDim);
  const nominal = options.nominal ?? PLANNER_DEFAULTS.nominal;
  switch (nominal) {
    case 'zero':
    case 'last':
      break;
    default: {
      const never: never = nominal;
      throw invalid('nominal', "'zero' or 'last'", never);
    }
  }

  const cem = options.cem ?? {};
  const defaultElites = Math.min(
    population,
    Math.max(2, Math.round(PLANNER_DEFAULTS.cem.eliteFraction * population)),
  );
  const elites = integerIn('cem.elites', cem.elites ?? defaultElites, 1, population);
  const keepEliteFraction = numberIn(
    'cem.keepEliteFraction',
    cem.keepEliteFraction ?? PLANNER_DEFAULTS.cem.keepEliteFraction,
    { lo: 0, hi: 1 },
  );
  const mppi = options.mppi ?? {};
  const propagation = options.propagation ?? PLANNER_DEFAULTS.propagation;
  switch (propagation) {
    case 'ts_inf':
    case 'ts1':
      break;
    default: {
      const never: never = propagation;
      throw invalid('propagation', "'ts_inf' or 'ts1'", never);
    }
  }
  const execute = options.execute ?? PLANNER_DEFAULTS.execute;
  switch (execute) {
    case 'best':
      break;
    case 'mean':
      if (optimizer === 'random') {
        throw invalid(
          'execute',
          "'best' with optimizer 'random' (it has no distribution mean)",
          execute,
        );
      }
      break;
    default: {
      const never: never = execute;
      throw invalid('execute', "'best' or 'mean'", never);
    }
  }

  return {
    optimizer,
    stateDim: dims.stateDim,
    actionDim: dims.actionDim,
    ensembleSize: E,
    horizon,
    population,
    particles,
    batchPerMember,
    actionLow,
    actionHigh,
    discount: numberIn('discount', options.discount ?? PLANNER_DEFAULTS.discount, {
      lo: 0,
      hi: 1,
      loOpen: true,
    }),
    maxIterations: integerIn(
      'maxIterations',
      options.maxIterations ?? PLANNER_DEFAULTS.maxIterations[optimizer],
      1,
      1_000_000,
    ),
    nominal,
    nominalAction,
    noiseBeta: numberIn('noiseBeta', options.noiseBeta ?? PLANNER_DEFAULTS.noiseBeta, {
      lo: 0,
      hi: 10,
    }),
    timeMarginMs: numberIn('timeMarginMs', options.timeMarginMs ?? PLANNER_DEFAULTS.timeMarginMs, {
      lo: 0,
      hi: Number.MAX_VALUE,
    }),
    seedShare: numberIn('seedShare', options.seedShare ?? PLANNER_DEFAULTS.seedShare, {
      lo: 0,
      hi: 0.5,
    }),
    propagation,
    execute,
    icem: {
      populationDecay: numberIn(
        'icem.populationDecay',
        options.icem?.populationDecay ?? PLANNER_DEFAULTS.icem.populationDecay,
        { lo: 1, hi: 100 },
      ),
    },
    cem: {
      elites,
      alpha: numberIn('cem.alpha', cem.alpha ?? PLANNER_DEFAULTS.cem.alpha, {
        lo: 0,
        hi: 1,
        hiOpen: true,
      }),
      initStdFraction: numberIn(
        'cem.initStdFraction',
        cem.initStdFraction ?? PLANNER_DEFAULTS.cem.initStdFraction,
        { lo: 0, hi: 10, loOpen: true },
      ),
      minStdFraction: numberIn(
        'cem.minStdFraction',
        cem.minStdFraction ?? PLANNER_DEFAULTS.cem.minStdFraction,
        { lo: 0, hi: 10 },
      ),
      keptElites: Math.min(elites, population - 1, Math.floor(keepEliteFraction * elites)),
    },
    mppi: {
      temperature: numberIn(
        'mppi.temperature',
        mppi.temperature ?? PLANNER_DEFAULTS.mppi.temperature,
        { lo: 0, hi: Number.MAX_VALUE, loOpen: true },
      ),
      noiseStdFraction: numberIn(
        'mppi.noiseStdFraction',
        mppi.noiseStdFraction ?? PLANNER_DEFAULTS.mppi.noiseStdFraction,
        { lo: 0, hi: 10, loOpen: true },
      ),
    },
  };
}
