import { policyParamSpecs, type PolicySnapshot } from './PolicyNetwork.js';

/**
 * The distilled policy's forward pass in plain JavaScript: normalisation, the tanh MLP and the
 * mapping onto the action bounds, as buildPolicyInferenceGraph computes them. A 2 x 64 MLP is
 * about 6k multiply-adds, a few microseconds, below ONNX Runtime's per-run overhead;
 * OnnxPolicyNet acts through it on the tick (a test keeps it equal to the ONNX graph to 1e-5).
 *
 * The weights are kept transposed (out x in, row-major) in doubles, so each output is a dot
 * product summed in registers (four partial sums, so the adds do not wait on each other): no
 * float-to-double conversion and no store per multiply-add (the in x out order of the snapshot
 * stored every partial sum). Timings in docs/learning.md.
 * Buffers are allocated here; act() allocates nothing and is synchronous.
 */
export class PolicyForward {
  readonly inputDim: number;
  readonly actionDim: number;
  /** Per layer: the weights transposed (out x in, row-major), the biases (out), the widths. */
  readonly #w: Float64Array[];
  readonly #b: Float64Array[];
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
      const [n, m] = specs[l]!.shape;
      const w = snap.weights[l]!;
      const wt = new Float64Array(n * m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) wt[j * n + i] = w[i * m + j]!;
      this.#w.push(wt);
      this.#b.push(Float64Array.from(snap.weights[l + 1]!));
      this.#widths.push(m);
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
      const n4 = n - (n % 4);
      for (let j = 0; j < m; j++) {
        const row = j * n;
        // four partial sums: one running sum would wait on each add's latency
        let s0 = b[j]!;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let i = 0;
        for (; i < n4; i += 4) {
          s0 += x[i]! * w[row + i]!;
          s1 += x[i + 1]! * w[row + i + 1]!;
          s2 += x[i + 2]! * w[row + i + 2]!;
          s3 += x[i + 3]! * w[row + i + 3]!;
        }
        for (; i < n; i++) s0 += x[i]! * w[row + i]!;
        y[j] = Math.tanh(s0 + s1 + (s2 + s3));
      }
      const t = x;
      x = y;
      y = t;
    }
    for (let j = 0; j < this.actionDim; j++) out[j] = x[j]! * this.#half[j]! + this.#mid[j]!;
  }
}
