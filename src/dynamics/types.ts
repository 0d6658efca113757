/**
 * Batched one-step prediction by an ensemble of dynamics models, laid out for TS-inf propagation
 * (Chua et al. 2018): particle b of member e keeps member e for the whole horizon, so a call
 * carries B particles for each of the E members.
 *
 * Implementations: the ONNX Runtime ensemble on the control path; analytic systems in tests.
 */
export interface EnsembleStepper {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ensembleSize: number;
  /** Largest B accepted by step(); buffers are sized for it at construction. */
  readonly maxBatchPerMember: number;
  /**
   * Predict next states.
   * @param states  E x B x S, row-major, raw units (the stepper normalises internally).
   * @param actions E x B x A, row-major, raw units.
   * @param batchPerMember B, 1 <= B <= maxBatchPerMember.
   * @param out     E x B x S next states, raw units (s + predicted delta). Owned by the caller.
   * Resolves when `out` is filled. Does not allocate per call after its first call.
   */
  step(
    states: Float32Array,
    actions: Float32Array,
    batchPerMember: number,
    out: Float32Array,
  ): Promise<void>;
}
