import { Rng } from '../util/rng.js';
import { StriderError } from '../util/StriderError.js';

/** Hidden-layer activation. swish (x * sigmoid(x)) as in PETS; relu as in Nagabandi et al. */
export type Activation = 'swish' | 'relu';

/**
 * What each member predicts for the normalised state delta:
 * - gaussian: mean and log-variance (PETS), trained by Gaussian NLL;
 * - deterministic: the mean only, trained by MSE (Nagabandi et al. 2017).
 */
export type OutputKind = 'gaussian' | 'deterministic';

/** Shape of the ensemble network. Dimensions come from the robot model, not from YAML. */
export interface EnsembleArchitecture {
  /** S, state dimension. */
  readonly stateDim: number;
  /** A, action dimension. */
  readonly actionDim: number;
  /** E, number of members. */
  readonly ensembleSize: number;
  /** Hidden layer widths, e.g. [200, 200, 200]. */
  readonly hiddenSizes: readonly number[];
  readonly activation: Activation;
  readonly output: OutputKind;
}

/** Defaults for the optional parts of an architecture (PETS: E=5, 200x3 swish, gaussian). */
export const DEFAULT_ARCHITECTURE = {
  ensembleSize: 5,
  hiddenSizes: [200, 200, 200],
  activation: 'swish',
  output: 'gaussian',
} as const satisfies Omit<EnsembleArchitecture, 'stateDim' | 'actionDim'>;

/** Nagabandi et al. 2017: 2 x 500 ReLU, deterministic (MSE). */
export const NAGABANDI_ARCHITECTURE = {
  ensembleSize: 1,
  hiddenSizes: [500, 500],
  activation: 'relu',
  output: 'deterministic',
} as const satisfies Omit<EnsembleArchitecture, 'stateDim' | 'actionDim'>;

/** Architecture options: state and action dimensions required, the rest defaulted. */
export type EnsembleArchitectureOptions = Pick<EnsembleArchitecture, 'stateDim' | 'actionDim'> &
  Partial<Omit<EnsembleArchitecture, 'stateDim' | 'actionDim'>>;

/** Fills defaults and validates positive integer sizes (CONFIG_INVALID otherwise). */
export function makeArchitecture(options: EnsembleArchitectureOptions): EnsembleArchitecture {
  const arch: EnsembleArchitecture = {
    stateDim: options.stateDim,
    actionDim: options.actionDim,
    ensembleSize: options.ensembleSize ?? DEFAULT_ARCHITECTURE.ensembleSize,
    hiddenSizes: [...(options.hiddenSizes ?? DEFAULT_ARCHITECTURE.hiddenSizes)],
    activation: options.activation ?? DEFAULT_ARCHITECTURE.activation,
    output: options.output ?? DEFAULT_ARCHITECTURE.output,
  };
  const sizes: [string, number][] = [
    ['stateDim', arch.stateDim],
    ['actionDim', arch.actionDim],
    ['ensembleSize', arch.ensembleSize],
    ...arch.hiddenSizes.map((h, i): [string, number] => [`hiddenSizes[${i}]`, h]),
  ];
  for (const [name, v] of sizes) {
    if (!Number.isInteger(v) || v < 1) {
      throw new StriderError(
        'CONFIG_INVALID',
        `ensemble ${name} must be a positive integer, got ${v}`,
      );
    }
  }
  if (arch.hiddenSizes.length === 0) {
    throw new StriderError('CONFIG_INVALID', 'ensemble hiddenSizes must name at least one layer');
  }
  return arch;
}

/** Network input width: S + A. */
export function inputDim(arch: EnsembleArchitecture): number {
  return arch.stateDim + arch.actionDim;
}

/** Network output width: 2S (mean, raw log-variance) for gaussian, S for deterministic. */
export function outputDim(arch: EnsembleArchitecture): number {
  return arch.output === 'gaussian' ? 2 * arch.stateDim : arch.stateDim;
}

/** One parameter tensor of the stacked ensemble. */
export interface ParamSpec {
  /** Stable name, e.g. `w0`, `b0`, `maxLogvar`. */
  readonly name: string;
  /** Shape with E first, e.g. [E, in, out] for weights, [E, 1, out] for biases. */
  readonly shape: readonly number[];
  readonly kind: 'weight' | 'bias' | 'logvarBound';
}

/**
 * The parameter list, in the order of `EnsembleWeights.weights`: for each layer l (hidden layers,
 * then the output layer) `w{l}` E x in x out and `b{l}` E x 1 x out, all row-major; for gaussian
 * output then `maxLogvar` and `minLogvar`, each E x 1 x S.
 */
export function paramSpecs(arch: EnsembleArchitecture): ParamSpec[] {
  const E = arch.ensembleSize;
  const widths = [inputDim(arch), ...arch.hiddenSizes, outputDim(arch)];
  const specs: ParamSpec[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] ?? 0;
    const fanOut = widths[l + 1] ?? 0;
    specs.push({ name: `w${l}`, shape: [E, fanIn, fanOut], kind: 'weight' });
    specs.push({ name: `b${l}`, shape: [E, 1, fanOut], kind: 'bias' });
  }
  if (arch.output === 'gaussian') {
    specs.push({ name: 'maxLogvar', shape: [E, 1, arch.stateDim], kind: 'logvarBound' });
    specs.push({ name: 'minLogvar', shape: [E, 1, arch.stateDim], kind: 'logvarBound' });
  }
  return specs;
}

/** Element count of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Multiply-adds of one sample through one member's forward pass. */
export function forwardMacsPerSample(arch: EnsembleArchitecture): number {
  const widths = [inputDim(arch), ...arch.hiddenSizes, outputDim(arch)];
  let macs = 0;
  for (let l = 0; l + 1 < widths.length; l++) macs += (widths[l] ?? 0) * (widths[l + 1] ?? 0);
  return macs;
}

/** PETS initial log-variance bounds. */
export const INITIAL_MAX_LOGVAR = 0.5;
export const INITIAL_MIN_LOGVAR = -10;

/**
 * Fresh weights: truncated normal (2 sd) with sd 1 / (2 sqrt(fanIn)) as in PETS, zero biases,
 * log-variance bounds at +0.5 / -10. Deterministic for a given seed.
 */
export function initWeights(arch: EnsembleArchitecture, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return paramSpecs(arch).map((spec) => {
    const data = new Float32Array(shapeSize(spec.shape));
    if (spec.kind === 'weight') {
      const sd = 1 / (2 * Math.sqrt(spec.shape[1] ?? 1));
      for (let i = 0; i < data.length; i++) {
        let z = rng.normal();
        while (Math.abs(z) > 2) z = rng.normal();
        data[i] = z * sd;
      }
    } else if (spec.name === 'maxLogvar') {
      data.fill(INITIAL_MAX_LOGVAR);
    } else if (spec.name === 'minLogvar') {
      data.fill(INITIAL_MIN_LOGVAR);
    }
    return data;
  });
}
