#!/usr/bin/env bash
# The transfer experiment of docs/worldmodel.md: does pretraining on other tasks help A2World learn a new one
# from less data? For each held-out task T:
#   pretrained  pretrain on the corpus without the held-out tasks, then adapt to T with 25 % of T's episodes;
#   scratch     train on 100 % of T's episodes from fresh weights, for as many steps as the adaptation;
# then score both open loop on T's held-out episodes (a2w wm eval).
# Usage: scripts/transfer.sh CORPUS_DIR HELDOUT_DIR [WORK_DIR]
#        (env: HELDOUT_TASKS=a2w/OpenDrawer-v0,a2w/PushCube-v0 PRE_STEPS=3000 STEPS=1500 THREADS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:?corpus folder (a2w collect output)}
HELDOUT=${2:?held-out episodes folder}
WORK=${3:-runs/transfer}
HELDOUT_TASKS=${HELDOUT_TASKS:-a2w/OpenDrawer-v0,a2w/PushCube-v0}
PRE_STEPS=${PRE_STEPS:-3000}
STEPS=${STEPS:-1500}
THREADS=${THREADS:-1}
A2W=build/a2w
mkdir -p "$WORK"
common=(--batch 16 --threads "$THREADS" --checkpoint-every 500 --quiet --json)

[ -f "$WORK/pre.a2wm" ] || "$A2W" wm pretrain --data "$CORPUS" --exclude-tasks "$HELDOUT_TASKS" --config cpu \
  --steps "$PRE_STEPS" --resume --out "$WORK/pre.a2wm" "${common[@]}" > "$WORK/pre.json"
IFS=, read -ra tasks <<< "$HELDOUT_TASKS"
for task in "${tasks[@]}"; do
  name=${task#*/}
  "$A2W" wm adapt --from "$WORK/pre.a2wm" --task "$task" --data "$CORPUS" --fraction 0.25 --steps "$STEPS" \
    --resume --out "$WORK/adapt_$name.a2wm" "${common[@]}" > "$WORK/adapt_$name.json"
  "$A2W" wm pretrain --data "$CORPUS" --tasks "$task" --config cpu --steps "$STEPS" \
    --resume --out "$WORK/scratch_$name.a2wm" "${common[@]}" > "$WORK/scratch_$name.json"
  for run in adapt scratch; do
    "$A2W" wm eval --data "$HELDOUT" --tasks "$task" --checkpoint "$WORK/${run}_$name.a2wm" --no-erase \
      --threads "$THREADS" --json > "$WORK/eval_${run}_$name.json"
  done
done
echo "transfer results: $WORK/eval_*.json"
