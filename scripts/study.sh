#!/usr/bin/env bash
# The headline study of docs/evaluation.md: a population of policies on three tasks, the same seeds in physics
# and in A2World-sim, then the correlation report.
#   1. the population (scripts/train_zoo.sh, `a2w policy zoo`): behaviour cloning snapshots from early to
#      converged, the final snapshot with action noise 0.3 and 0.6, and random actions, in ZOO/manifest.jsonl;
#   2. a2w eval over both backends (resumable: rerun after an interruption);
#   3. a2w correlate: report.json, report.csv, report.html.
# Usage: scripts/study.sh [WORK_DIR]   (env: ZOO=runs/zoo EPISODES=50 TASKS=a,b,c BACKENDS=physics,wm
#        CHECKPOINT=models/a2world-default.a2wm THREADS=0)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-runs/study}
ZOO=${ZOO:-runs/zoo}
EPISODES=${EPISODES:-50}
TASKS=${TASKS:-a2w/LiftCube-v0,a2w/PushCube-v0,a2w/PressButton-v0}
BACKENDS=${BACKENDS:-physics,wm}
CHECKPOINT=${CHECKPOINT:-}
THREADS=${THREADS:-0}
A2W=build/a2w
mkdir -p "$WORK"

[ -f "$ZOO/manifest.jsonl" ] || { echo "no $ZOO/manifest.jsonl: run scripts/train_zoo.sh first" >&2; exit 1; }
policies="$ZOO/manifest.jsonl"

ckpt=()
[ -n "$CHECKPOINT" ] && ckpt=(--checkpoint "$CHECKPOINT")
"$A2W" eval --policies "$policies" --tasks "$TASKS" --episodes "$EPISODES" --backends "$BACKENDS" \
  --threads "$THREADS" --out "$WORK/results.jsonl" "${ckpt[@]}"
"$A2W" correlate --results "$WORK/results.jsonl" --out "$WORK/report" --title "a2w: A2World-sim vs physics"
echo "report: $WORK/report.html"
