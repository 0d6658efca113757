/**
 * One sampling-based optimiser over action sequences, driven by MpcPlanner once per iteration:
 * sample() -> (planner rolls out and scores) -> update(). The planner owns the population and
 * returns buffers and the incumbent plan; an optimiser owns only its own distribution state.
 * All methods run on the control path and must not allocate.
 */
export interface SequenceOptimiser {
  /**
   * Start a plan() call. `warmStart` (H x A) is the previous plan already shifted by one step;
   * the optimiser centres its distribution there and shifts anything else it carries across
   * ticks (iCEM's kept elites), with warmStart's last row as the new tail.
   */
  begin(warmStart: Float32Array): void;
  /**
   * Fill `population` (K x H x A, row-major) with candidates within the action bounds. Row 0 is
   * always the current centre (the distribution mean, or for random shooting `incumbent`, the
   * best plan so far, H x A), so the centre is scored every iteration. Returns how many
   * sequences it filled, K_i <= K (iCEM's population shrinks over the iterations; K_i * P stays
   * divisible by E); only those are scored.
   */
  sample(population: Float32Array, incumbent: Float32Array): number;
  /** Refit the distribution from the scored population; `returns` has K_i valid entries. */
  update(population: Float32Array, returns: Float64Array): void;
  /**
   * The distribution's centre after the last update() (H x A, borrowed), which the planner
   * returns with execute 'mean'. Absent where there is no distribution (random shooting).
   */
  centre?(): Float32Array;
  /**
   * The predicted return that goes with centre(), from the last update()'s scores: MPPI's
   * weight-averaged return, CEM's mean over the elites. The centre itself is not rolled out
   * again (that would cost an iteration's model calls).
   */
  centreReturn?(): number;
  /** Forget everything carried across ticks (episode boundary). */
  reset(): void;
}
