#!/usr/bin/env bash
# Reproduces the shipped default A2World checkpoint, models/a2world-default.a2wm:
#   1. collect expert episodes of every built-in task at three noise levels (64x64 cameras),
#   2. pretrain A2World (the "cpu" preset) on all of them in two stages, as the shipped file was made: first
#      with the absolute-state head (state_input=false), then warm-started from it (--init) with the state as
#      an input and a change head (docs/worldmodel.md, "The model"),
#   3. export the EMA weights in float16 (the file in the repository must stay under 30 MB).
# Training runs on the CPU with one intra-op thread (bfloat16 matrix products where the CPU has them, else
# float32); MINUTES bounds the pretraining time (it stops with a checkpoint; the learning-rate schedule is laid
# out over STEPS).
# Usage: scripts/train_default.sh [WORK_DIR]
#        (env: MINUTES=95 STEPS=15000 MINUTES2=55 STEPS2=8000 EPISODES=60)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-runs/default}
MINUTES=${MINUTES:-95}
STEPS=${STEPS:-15000}
MINUTES2=${MINUTES2:-55}
STEPS2=${STEPS2:-8000}
EPISODES=${EPISODES:-60}
A2W=build/a2w
mkdir -p "$WORK"

[ -x "$A2W" ] || scripts/setup.sh
"$A2W" collect --out "$WORK/corpus" --episodes "$EPISODES" --noise 0,0.1,0.3 --image-size 64 --seed 1 --overwrite
"$A2W" collect --out "$WORK/heldout" --episodes 12 --noise 0,0.2 --image-size 64 --seed 999 --overwrite
OMP_NUM_THREADS=1 "$A2W" wm pretrain --data "$WORK/corpus" --config cpu --set state_input=false \
  --steps "$STEPS" --batch 16 --max-minutes "$MINUTES" --threads 1 --checkpoint-every 1000 \
  --out "$WORK/stage1.a2wm" --eval-data "$WORK/heldout" --eval-windows 128 --json > "$WORK/stage1.json"
OMP_NUM_THREADS=1 "$A2W" wm pretrain --data "$WORK/corpus" --config cpu --init "$WORK/stage1.a2wm" \
  --steps "$STEPS2" --lr 2e-4 --warmup 200 --batch 16 --max-minutes "$MINUTES2" --threads 1 \
  --checkpoint-every 1000 --out "$WORK/pretrained.a2wm" --eval-data "$WORK/heldout" --eval-windows 128 \
  --json > "$WORK/pretrain.json"
"$A2W" wm export --from "$WORK/pretrained.a2wm" --out models/a2world-default.a2wm --dtype float16
echo "wrote models/a2world-default.a2wm; training summary in $WORK/pretrain.json"
