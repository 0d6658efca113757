import { paramSpecs, inputDim, type EnsembleArchitecture } from './architecture.js';
import { initTfjs, tf } from './tfjsRuntime.js';
import {
  DEFAULT_OPTIMISER,
  type OptimiserOptions,
  type TrainingBackend,
} from './TrainingBackend.js';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';

/** Options of {@link TfjsTrainingBackend.create}. */
export interface TfjsTrainingBackendOptions {
  readonly architecture: EnsembleArchitecture;
  readonly initialWeights: readonly Float32Array[];
  readonly optimiser?: Partial<OptimiserOptions>;
  readonly logger?: Logger;
}

/**
 * The TensorFlow.js reference implementation of the training step (autodiff + tf.train.adam).
 * Each member's layers are separate 2-D variables because the wasm backend runs one 2-D matMul
 * per member ~10x faster than a batched 3-D one (docs FACTS). All work happens inside tf.tidy;
 * the only long-lived tensors are the variables and Adam's accumulators.
 */
export class TfjsTrainingBackend implements TrainingBackend {
  readonly kind = 'tfjs' as const;
  readonly engine: string;
  readonly architecture: EnsembleArchitecture;
  readonly #optimiser: OptimiserOptions;
  /** [param][member] variables, each the member's slice of the stacked shape (E dropped). */
  readonly #vars: tf.Variable[][];
  readonly #varList: tf.Variable[];
  #adam: tf.AdamOptimizer;
  #disposed = false;

  private constructor(options: TfjsTrainingBackendOptions, backend: string) {
    this.architecture = options.architecture;
    this.engine = `tfjs ${backend}`;
    this.#optimiser = { ...DEFAULT_OPTIMISER, ...options.optimiser };
    const E = this.architecture.ensembleSize;
    const specs = paramSpecs(this.architecture);
    if (options.initialWeights.length !== specs.length) {
      throw new StriderError(
        'MODEL_SHAPE_MISMATCH',
        `expected ${specs.length} parameter arrays, got ${options.initialWeights.length}`,
      );
    }
    this.#vars = specs.map((spec, i) => {
      const rows = spec.shape[1] ?? 1;
      const cols = spec.shape[2] ?? 1;
      const data = options.initialWeights[i] ?? new Float32Array(0);
      const per = rows * cols;
      // tfjs names variables uniquely; tidy frees the initial value tensors.
      return Array.from({ length: E }, (_, e) =>
        tf.tidy(() => tf.variable(tf.tensor2d(data.slice(e * per, (e + 1) * per), [rows, cols]))),
      );
    });
    this.#varList = this.#vars.flat();
    this.#adam = this.#makeAdam();
  }

  /** Initialises the tfjs backend (see initTfjs) and creates the variables. */
  static async create(options: TfjsTrainingBackendOptions): Promise<TfjsTrainingBackend> {
    const backend = await initTfjs(options.logger ?? silentLogger());
    return new TfjsTrainingBackend(options, backend);
  }

  #makeAdam(): tf.AdamOptimizer {
    const o = this.#optimiser;
    return tf.train.adam(o.learningRate, o.beta1, o.beta2, o.epsilon);
  }

  #checkOpen(): void {
    if (this.#disposed)
      throw new StriderError('LOOP_STATE', 'training backend used after dispose()');
  }

  getWeights(): Float32Array[] {
    return this.#vars.map((members) =>
      concatMembers(members.map((v) => v.dataSync() as Float32Array)),
    );
  }

  setWeights(weights: readonly Float32Array[]): void {
    this.#checkOpen();
    this.#vars.forEach((members, i) => {
      const data = weights[i];
      const per = members[0]?.size ?? 0;
      if (data?.length !== per * members.length) {
        throw new StriderError('MODEL_SHAPE_MISMATCH', `parameter ${i} has the wrong length`);
      }
      members.forEach((v, e) => {
        tf.tidy(() => {
          v.assign(tf.tensor(data.subarray(e * per, (e + 1) * per), v.shape));
        });
      });
    });
  }

  resetOptimizer(): void {
    this.#adam.dispose();
    this.#adam = this.#makeAdam();
  }

  /** Member e's forward pass on a B x D input: the output layer result, B x outDim. */
  #forward(e: number, x: tf.Tensor2D): tf.Tensor2D {
    const nLayers = this.architecture.hiddenSizes.length + 1;
    let h = x;
    for (let l = 0; l < nLayers; l++) {
      const w = this.#vars[2 * l]?.[e] as tf.Variable;
      const b = this.#vars[2 * l + 1]?.[e] as tf.Variable;
      const z = tf.add<tf.Tensor2D>(tf.matMul(h, w), b);
      if (l === nLayers - 1) return z;
      h = this.architecture.activation === 'swish' ? tf.mul(z, tf.sigmoid(z)) : tf.relu(z);
    }
    return h;
  }

  #boundedLogvar(e: number, raw: tf.Tensor2D): tf.Tensor2D {
    const nLayers = this.architecture.hiddenSizes.length + 1;
    const maxLv = this.#vars[2 * nLayers]?.[e] as tf.Variable;
    const minLv = this.#vars[2 * nLayers + 1]?.[e] as tf.Variable;
    const lv1 = tf.sub(maxLv, tf.softplus(tf.sub(maxLv, raw)));
    return tf.add(minLv, tf.softplus(tf.sub(lv1, minLv)));
  }

  /** Summed loss (with penalties) and per-member losses (without). Call inside a tidy. */
  #loss(x: Float32Array, y: Float32Array, B: number): { total: tf.Scalar; perMember: tf.Tensor1D } {
    const arch = this.architecture;
    const S = arch.stateDim;
    const D = inputDim(arch);
    const nLayers = arch.hiddenSizes.length + 1;
    const o = this.#optimiser;
    const losses: tf.Scalar[] = [];
    let total: tf.Scalar = tf.scalar(0);
    for (let e = 0; e < arch.ensembleSize; e++) {
      const xe = tf.tensor2d(x.subarray(e * B * D, (e + 1) * B * D), [B, D]);
      const ye = tf.tensor2d(y.subarray(e * B * S, (e + 1) * B * S), [B, S]);
      const out = this.#forward(e, xe);
      let le: tf.Scalar;
      if (arch.output === 'gaussian') {
        const mu = tf.slice(out, [0, 0], [B, S]);
        const lv = this.#boundedLogvar(e, tf.slice(out, [0, S], [B, S]));
        const d = tf.sub(mu, ye);
        le = tf.mean(tf.add(tf.mul(tf.square(d), tf.exp(tf.neg(lv))), lv));
        const maxLv = this.#vars[2 * nLayers]?.[e] as tf.Variable;
        const minLv = this.#vars[2 * nLayers + 1]?.[e] as tf.Variable;
        total = tf.add(total, tf.mul(o.logvarBoundPenalty, tf.sub(tf.sum(maxLv), tf.sum(minLv))));
      } else {
        le = tf.mean(tf.square(tf.sub(out, ye)));
      }
      if (o.weightDecay > 0) {
        for (let l = 0; l < nLayers; l++) {
          const w = this.#vars[2 * l]?.[e] as tf.Variable;
          total = tf.add(total, tf.mul(o.weightDecay / 2, tf.sum(tf.square(w))));
        }
      }
      losses.push(le);
      total = tf.add(total, le);
    }
    return { total, perMember: tf.stack(losses) as tf.Tensor1D };
  }

  async trainStep(
    x: Float32Array,
    y: Float32Array,
    batchPerMember: number,
    lossOut: Float32Array,
  ): Promise<void> {
    this.#checkOpen();
    const kept: { losses: tf.Tensor | null } = { losses: null };
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const r = this.#loss(x, y, batchPerMember);
        kept.losses = tf.keep(r.perMember);
        return r.total;
      }, this.#varList);
      // variableGrads returns plain gradient tensors keyed by variable name; Adam only reads them.
      this.#adam.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    });
    const losses = kept.losses;
    if (losses === null) return;
    lossOut.set(await losses.data());
    losses.dispose();
  }

  gradients(x: Float32Array, y: Float32Array, batchPerMember: number): Promise<Float32Array[]> {
    this.#checkOpen();
    const byName = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => this.#loss(x, y, batchPerMember).total,
        this.#varList,
      );
      return this.#vars.map((members) =>
        members.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array),
      );
    });
    return Promise.resolve(byName.map(concatMembers));
  }

  predict(
    x: Float32Array,
    batchPerMember: number,
    meanOut: Float32Array,
    logvarOut: Float32Array | null,
  ): Promise<void> {
    this.#checkOpen();
    const arch = this.architecture;
    const S = arch.stateDim;
    const D = inputDim(arch);
    const B = batchPerMember;
    for (let e = 0; e < arch.ensembleSize; e++) {
      tf.tidy(() => {
        const out = this.#forward(e, tf.tensor2d(x.subarray(e * B * D, (e + 1) * B * D), [B, D]));
        if (arch.output !== 'gaussian') {
          meanOut.set(out.dataSync(), e * B * S);
          return;
        }
        meanOut.set(tf.slice(out, [0, 0], [B, S]).dataSync(), e * B * S);
        if (logvarOut !== null) {
          const lv = this.#boundedLogvar(e, tf.slice(out, [0, S], [B, S]));
          logvarOut.set(lv.dataSync(), e * B * S);
        }
      });
    }
    return Promise.resolve();
  }

  dispose(): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    this.#disposed = true;
    this.#adam.dispose();
    for (const v of this.#varList) v.dispose();
    return Promise.resolve();
  }
}

/** One parameter's per-member slices joined in member order: the stacked E x ... layout. */
function concatMembers(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
