#!/usr/bin/env bash
# DAgger against plain behaviour cloning, side by side (issue 13): the same run twice with the same
# seed, policy.imitation dagger then bc (bc: the MPC expert acts in every round, so the policy is
# fitted on MPC-only states), then both policies alone in the evaluation episodes, the expert
# labelling every state they visit. Prints, per run, the label count the final policy was fitted
# on, its imitation error on its own states, and mean return by source.
#
#   scripts/daggerVsBc.sh OUT_DIR [--set key=value ...]   (extra --set go to both runs)
#
# Defaults: the planar runner, 3 random + 15 MPC episodes of 200 steps, 5 DAgger rounds of 2
# episodes, 3 evaluation episodes (about 30-60 min per run on a 2-core machine).
set -euo pipefail
out=${1:?usage: scripts/daggerVsBc.sh OUT_DIR [--set key=value ...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
common=(
  --set control.policy=dagger --set run.seed=1
  --set learning.random_episodes=3 --set learning.iterations=15 --set run.steps_per_episode=200
  --set policy.rounds=5 --set policy.episodes_per_round=2 --set policy.eval_episodes=3
)
for mode in dagger bc; do
  node "$here/bin/strider.js" run --out "$out/$mode" "${common[@]}" --set "policy.imitation=$mode" "$@"
done
node -e '
const fs = require("fs");
for (const mode of ["dagger", "bc"]) {
  const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + mode + "/report.json", "utf8"));
  const p = r.policy;
  const by = {};
  for (const e of r.episodes) (by[e.source] ??= []).push(e.return);
  const mean = Object.fromEntries(
    Object.entries(by).map(([s, v]) => [s, +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)]),
  );
  console.log(JSON.stringify({
    mode, labels: p && p.labels, imitation_error_own_states: p && p.imitation_error_own_states,
    own_state_labels: p && p.own_state_labels, mean_return_by_source: mean,
  }));
}' "$out"
