import { policyParamSpecs, type PolicySnapshot } from './PolicyNetwork.js';

/**
 * The distilled policy's forward pass in plain JavaScript (Float32Array matrix-vector products,
 * double-precision sums): normalisation, the tanh MLP and the mapping onto the action bounds, as
 * buildPolicyInferenceGraph computes them. A 2 x 64 MLP is about 10k multiply-adds, a few
 * microseconds, below ONNX Runtime's per-run overhead; OnnxPolicyNet acts through it on the tick
 * (a test keeps it equal to the ONNX graph to 1e-5). Buffers are allocated here; act() allocates
 * nothing.
 */
export class PolicyForward {
  readonly inputDim: number;
  readonly actionDim: number;
  /** Per layer: the weights (in x out, row-major), the biases (out), the widths. */
  readonly #w: Float32Array[];
  readonly #b: Float32Array[];
  readonly #widths: number[];
  readonly #mean: Float32Array;
  readonly #stdInv: Float32Array;
  readonly #half: Float32Array;
  readonly #mid: Float32Array;
  /** Two activation buffers of the widest layer, used alternately. */
  readonly #h0: Float64Array;
  readonly #h1: Float64Array;

  /** @param snap a checked snapshot (policySnapshotProblem found nothing). */
  constructor(snap: PolicySnapshot) {
    const a = snap.architecture;
    this.inputDim = a.inputDim;
    this.actionDim = a.actionDim;
    const specs = policyParamSpecs(a);
    this.#w = [];
    this.#b = [];
    this.#widths = [a.inputDim];
    for (let l = 0; l < specs.length; l += 2) {
      this.#w.push(Float32Array.from(snap.weights[l]!));
      this.#b.push(Float32Array.from(snap.weights[l + 1]!));
      this.#widths.push(specs[l]!.shape[1]);
    }
    this.#mean = Float32Array.from(snap.inputMean);
    this.#stdInv = Float32Array.from(snap.inputStd, (s) => 1 / s);
    this.#half = Float32Array.from(snap.actionHigh, (h, i) => (h - snap.actionLow[i]!) / 2);
    this.#mid = Float32Array.from(snap.actionHigh, (h, i) => (h + snap.actionLow[i]!) / 2);
    const widest = Math.max(...this.#widths);
    this.#h0 = new Float64Array(widest);
    this.#h1 = new Float64Array(widest);
  }

  /** The action for one raw input (I values) into `out` (A values). */
  act(input: ArrayLike<number>, out: Float32Array): void {
    let x = this.#h0;
    let y = this.#h1;
    const I = this.inputDim;
    for (let k = 0; k < I; k++) x[k] = (input[k]! - this.#mean[k]!) * this.#stdInv[k]!;
    const layers = this.#w.length;
    for (let l = 0; l < layers; l++) {
      const n = this.#widths[l]!;
      const m = this.#widths[l + 1]!;
      const w = this.#w[l]!;
      const b = this.#b[l]!;
      for (let j = 0; j < m; j++) y[j] = b[j]!;
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        const row = i * m;
        for (let j = 0; j < m; j++) y[j]! += xi * w[row + j]!;
      }
      for (let j = 0; j < m; j++) y[j] = Math.tanh(y[j]!);
      const t = x;
      x = y;
      y = t;
    }
    for (let j = 0; j < this.actionDim; j++) out[j] = x[j]! * this.#half[j]! + this.#mid[j]!;
  }
}
