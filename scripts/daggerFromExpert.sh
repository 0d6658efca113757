#!/usr/bin/env bash
# DAgger from a trained planar-runner expert, with the settings of docs/learning.md's "return term"
# table (issue 13): 10 rounds of 2 episodes, 6 episodes of the policy alone, a 2 x 256 policy fitted
# in this process; extra --set go to the run (e.g. --set policy.return_weight=1 --set run.seed=2).
#
#   scripts/daggerFromExpert.sh EXPERT_MODEL_DIR OUT_DIR [--set key=value ...]
#
# EXPERT_MODEL_DIR: a model version folder (manifest.json + weights.bin), e.g. the one
# scripts/daggerVsBc.sh prints as "expert:". Prints the mean return by source at the end; about
# 4 minutes on a 2-core machine.
set -euo pipefail
model=${1:?usage: scripts/daggerFromExpert.sh EXPERT_MODEL_DIR OUT_DIR [--set key=value ...]}
out=${2:?usage: scripts/daggerFromExpert.sh EXPERT_MODEL_DIR OUT_DIR [--set key=value ...]}
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
node "$here/bin/strider.js" run --out "$out" --set run.steps_per_episode=200 \
  --set control.policy=dagger --set "model.initial=$model" --set learning.random_episodes=1 \
  --set learning.iterations=0 --set policy.rounds=10 --set policy.episodes_per_round=2 \
  --set policy.eval_episodes=6 --set 'policy.hidden=[256,256]' --set policy.epochs=60 \
  --set policy.max_labels=20000 --set trainer.mode=in_process --set planner.optimizer=mppi \
  --set planner.execute=mean "$@"
