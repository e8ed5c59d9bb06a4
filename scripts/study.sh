#!/usr/bin/env bash
# The headline study of docs/evaluation.md: a population of policies on three tasks, the same seeds in physics
# and in A2World-sim, then the correlation report.
#   1. the population: behaviour cloning snapshots from early to converged (scripts/train_zoo.sh), the final
#      snapshot with action noise 0.3 and 0.6, and random actions;
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

mapfile -t snapshots < <(ls "$ZOO"/bc_step*.a2wp | sort -V)
[ "${#snapshots[@]}" -gt 0 ] || { echo "no $ZOO/bc_step*.a2wp: run scripts/train_zoo.sh first" >&2; exit 1; }
final=${snapshots[-1]}
policies=random
for f in "${snapshots[@]}"; do policies+=",$f"; done
policies+=",$final@0.3,$final@0.6"

ckpt=()
[ -n "$CHECKPOINT" ] && ckpt=(--checkpoint "$CHECKPOINT")
"$A2W" eval --policies "$policies" --tasks "$TASKS" --episodes "$EPISODES" --backends "$BACKENDS" \
  --threads "$THREADS" --out "$WORK/results.jsonl" "${ckpt[@]}"
"$A2W" correlate --results "$WORK/results.jsonl" --out "$WORK/report" --title "a2w: A2World-sim vs physics"
echo "report: $WORK/report.html"
