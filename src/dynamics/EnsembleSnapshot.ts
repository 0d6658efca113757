import {
  paramSpecs,
  shapeSize,
  type Activation,
  type EnsembleArchitecture,
  type OutputKind,
} from './architecture.js';
import type { Normalisers } from './Normaliser.js';
import { StriderError } from '../util/StriderError.js';

/**
 * Everything needed to rebuild the ensemble in any engine: architecture, normalisers and the
 * parameters as plain Float32Arrays in {@link paramSpecs} order (stacked E x in x out, row-major).
 * The model-artifact writer (manifest + binary) serialises exactly this.
 */
export interface EnsembleSnapshot {
  readonly architecture: EnsembleArchitecture;
  readonly normalisers: Normalisers;
  readonly weights: readonly Float32Array[];
}

const ACTIVATIONS: readonly Activation[] = ['swish', 'relu'];
const OUTPUTS: readonly OutputKind[] = ['gaussian', 'deterministic'];

/** Deep copy of a snapshot (owned arrays), e.g. to hand to another process or engine. */
export function exportSnapshot(snapshot: EnsembleSnapshot): EnsembleSnapshot {
  const a = snapshot.architecture;
  const n = snapshot.normalisers;
  return {
    architecture: { ...a, hiddenSizes: [...a.hiddenSizes] },
    normalisers: {
      inputMean: n.inputMean.slice(),
      inputStd: n.inputStd.slice(),
      deltaMean: n.deltaMean.slice(),
      deltaStd: n.deltaStd.slice(),
    },
    weights: snapshot.weights.map((w) => w.slice()),
  };
}

/**
 * Validates an imported snapshot and returns an owned copy. Throws MODEL_SHAPE_MISMATCH when the
 * architecture is malformed or any array's length differs from what it requires, NON_FINITE when
 * any value is NaN or infinite (or a std is not positive).
 */
export function importSnapshot(snapshot: EnsembleSnapshot): EnsembleSnapshot {
  const a = snapshot.architecture;
  const dims: [string, unknown][] = [
    ['stateDim', a.stateDim],
    ['actionDim', a.actionDim],
    ['ensembleSize', a.ensembleSize],
    ...a.hiddenSizes.map((h, i): [string, unknown] => [`hiddenSizes[${i}]`, h]),
  ];
  for (const [name, v] of dims) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `architecture ${name} must be a positive integer, got ${String(v)}`,
      );
    }
  }
  if (
    a.hiddenSizes.length === 0 ||
    !ACTIVATIONS.includes(a.activation) ||
    !OUTPUTS.includes(a.output)
  ) {
    throw new StriderError(
      'MODEL_SHAPE_MISMATCH',
      `architecture needs >= 1 hidden layer, activation in ${ACTIVATIONS.join('|')}, output in ${OUTPUTS.join('|')}`,
    );
  }
  const S = a.stateDim;
  const D = a.stateDim + a.actionDim;
  const n = snapshot.normalisers;
  const norms: [string, Float32Array, number][] = [
    ['normalisers.inputMean', n.inputMean, D],
    ['normalisers.inputStd', n.inputStd, D],
    ['normalisers.deltaMean', n.deltaMean, S],
    ['normalisers.deltaStd', n.deltaStd, S],
  ];
  for (const [name, arr, len] of norms) {
    checkArray(name, arr, len);
    if (name.endsWith('Std') && arr.some((v) => v <= 0)) {
      throw new StriderError('NON_FINITE', `${name} has a non-positive std`);
    }
  }
  const specs = paramSpecs(a);
  if (snapshot.weights.length !== specs.length) {
    throw new StriderError(
      'MODEL_SHAPE_MISMATCH',
      `expected ${specs.length} weight arrays (${specs.map((s) => s.name).join(', ')}), got ${snapshot.weights.length}`,
    );
  }
  specs.forEach((spec, i) => {
    checkArray(
      `weights ${spec.name} [${spec.shape.join('x')}]`,
      snapshot.weights[i],
      shapeSize(spec.shape),
    );
  });
  return exportSnapshot(snapshot);
}

function checkArray(name: string, arr: Float32Array | undefined, length: number): void {
  if (!(arr instanceof Float32Array) || arr.length !== length) {
    throw new StriderError(
      'MODEL_SHAPE_MISMATCH',
      `${name} has ${arr instanceof Float32Array ? arr.length : 'no'} values, expected ${length}`,
      { context: { name, expected: length } },
    );
  }
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i])) {
      throw new StriderError('NON_FINITE', `${name}[${i}] is ${arr[i]}`, {
        context: { name, index: i },
      });
    }
  }
}
