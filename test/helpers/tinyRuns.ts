/**
 * `--set` overrides shared by the integration tests that run `strider run` as a child process on
 * the planar runner with models and planners small enough for a shared 2-core CI machine.
 */

/** A tiny ensemble and planner for continuous-mode runs, and a hot-swap gate that lets them in. */
export const TINY_CONTINUOUS_MODEL = [
  'model.ensemble_size=2',
  'model.hidden=[16, 16]',
  'model.epochs_first=2',
  'model.h_step_horizon=5',
  'planner.population=20',
  'planner.horizon=5',
  'planner.iterations=1',
  'hotswap.max_disagreement=1000000',
  'hotswap.h_step_margin=100',
] as const;

/** control.policy dagger in one learning iteration and two short DAgger rounds. */
export const TINY_DAGGER_RUN = [
  'control.policy=dagger',
  'learning.random_episodes=1',
  'learning.iterations=1',
  'run.steps_per_episode=30',
  'model.hidden=[32,32]',
  'model.epochs_first=5',
  'model.epochs_per_round=2',
  'planner.horizon=5',
  'planner.population=20',
  'policy.rounds=2',
  'policy.beta_initial=0.5',
  'policy.eval_episodes=1',
  'policy.epochs=5',
  // a shared machine: a slow planner warm-up must not reject the only dynamics model
  'control.budget_ms=45',
] as const;
