#!/usr/bin/env bash
# DAgger against plain behaviour cloning, side by side, with one expert (issue 13).
#
#   scripts/daggerVsBc.sh OUT_DIR [--set key=value ...]   (extra --set go to all three runs)
#
# 1. OUT_DIR/expert: the learning loop (control.policy mpc: 3 random + 15 MPC episodes of 200
#    steps) trains the dynamics model; the version serving at its end is the expert's model.
# 2. OUT_DIR/dagger and OUT_DIR/bc start from that model (model.initial, no further learning
#    loop: one warm-up episode on it), so both imitate the same expert. Then 5 rounds of 2
#    episodes: dagger mixes the policy in (beta 1, 0.5, 0.25, ...), bc lets the expert act in
#    every round; then 3 episodes of the policy alone, the expert labelling every state it
#    visits. policy.max_labels (1500) gives both policies the same label count.
# EXPERT_DIR=DIR skips step 1 and takes the expert from an earlier `strider run --out DIR` of the
# learning loop (e.g. the quadruped's: EXPERT_DIR=runs/quad scripts/daggerVsBc.sh OUT --config
# config/quadruped.yaml --set run.steps_per_episode=500).
# Prints, per mode, the label count the final policy was fitted on, its imitation error on its
# own states and the mean return by source. About 8 minutes in all on a quiet 2-core machine.
set -euo pipefail
out=${1:?usage: scripts/daggerVsBc.sh OUT_DIR [--set key=value ...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
strider=(node "$here/bin/strider.js" run)
episodes=(--set run.steps_per_episode=200)

expert=${EXPERT_DIR:-$out/expert}
if [[ -z ${EXPERT_DIR:-} ]]; then
  "${strider[@]}" --out "$expert" "${episodes[@]}" --set control.policy=mpc \
    --set learning.random_episodes=3 --set learning.iterations=15 "$@"
fi

model=$(node -e '
const fs = require("fs");
const dir = process.argv[1];
const r = JSON.parse(fs.readFileSync(dir + "/report.json", "utf8"));
if (!r.model) { console.error("no model served at the end of " + dir); process.exit(1); }
if (r.model.initial) { console.log(r.model.initial); process.exit(0); } // a run on model.initial
for (const robot of fs.readdirSync(dir + "/trainer")) {
  const m = dir + "/trainer/" + robot + "/models/v" + r.model.version;
  if (fs.existsSync(m + "/manifest.json")) { console.log(m); process.exit(0); }
}
console.error("model v" + r.model.version + " not found under " + dir + "/trainer");
process.exit(1);' "$expert")
echo "expert: $model"

for mode in dagger bc; do
  "${strider[@]}" --out "$out/$mode" "${episodes[@]}" --set control.policy=dagger \
    --set "model.initial=$model" --set learning.random_episodes=1 --set learning.iterations=0 \
    --set policy.rounds=5 --set policy.episodes_per_round=2 --set policy.eval_episodes=3 \
    --set policy.max_labels=1500 --set "policy.imitation=$mode" "$@"
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
    mode, expert_model: process.argv[2], labels: p && p.labels,
    imitation_error_own_states: p && p.imitation_error_own_states,
    own_state_labels: p && p.own_state_labels, mean_return_by_source: mean,
  }));
}' "$out" "$model"
