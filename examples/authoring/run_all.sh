#!/usr/bin/env bash
# From a new task to its own world model, in one go (examples/authoring/README.md explains each step):
# author -> validate -> preview -> expert in physics -> demos (a2w collect) -> adapt a pretrained A2World
# (a2w wm adapt) -> evaluate in both simulators (a2w rollout --sim physics | wm).
#
# Usage: examples/authoring/run_all.sh [WORK_DIR]      (default: a new folder under /tmp, outside the repo)
#
# Scale with environment variables:
#   QUICK=1        try the whole path in minutes: few demos, few training steps (the model learns little)
#   EPISODES=N     demos per task and noise level (default 50; QUICK: 4)
#   STEPS=N        adaptation steps (default 1000; QUICK: 20)
#   PRETRAINED=F   a pretrained A2World checkpoint (default: models/a2world-default.a2wm when it exists;
#                  otherwise a tiny one is pretrained here on a few built-in tasks, enough to try the path)
#   DEVICE=cpu     or cuda
#   A2W=path       the a2w tool (default: build/a2w)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
A2W=${A2W:-$REPO/build/a2w}
WORK=${1:-$(mktemp -d /tmp/a2w_authoring.XXXXXX)}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then EPISODES=${EPISODES:-4}; STEPS=${STEPS:-20}; EVAL=4; else EPISODES=${EPISODES:-50}; STEPS=${STEPS:-1000}; EVAL=20; fi
DEVICE=${DEVICE:-cpu}
IMAGE=64

step() { printf '\n== %s\n' "$*"; }

step "1. author: the task files live outside the repository, found through A2W_TASK_PATH"
mkdir -p "$WORK/tasks/models"
cp "$REPO/examples/authoring/plate_cube.yaml" "$REPO/examples/authoring/plate_cube_model.yaml" "$WORK/tasks/"
cp "$REPO/examples/authoring/models/plate.xml" "$WORK/tasks/models/"
export A2W_TASK_PATH="$WORK/tasks"
"$A2W" tasks list | grep '^user/'

step "2. validate: schema, references, ranges, predicates, the compiled scene; the expert on 20 seeds"
"$A2W" tasks validate "$WORK/tasks/plate_cube.yaml" "$WORK/tasks/plate_cube_model.yaml" --expert 20

step "3. preview: both cameras at three seeds"
"$A2W" tasks preview "$WORK/tasks/plate_cube.yaml" --seeds 0,1,2 --out "$WORK/plate_cube_preview.png"
"$A2W" tasks preview "$WORK/tasks/plate_cube_model.yaml" --seeds 0,1,2 --out "$WORK/plate_cube_model_preview.png"

step "4. the waypoint expert in physics, by id, 100 seeds"
"$A2W" rollout --task user/PlateCube-v0 --policy expert --episodes 100 --state-only --quiet
"$A2W" rollout --task user/PlateCubeModel-v0 --policy expert --episodes 100 --state-only --quiet

step "5. demos: the expert at three noise levels, with both cameras at ${IMAGE}x${IMAGE}"
"$A2W" collect --tasks user/PlateCube-v0,user/PlateCubeModel-v0 --episodes "$EPISODES" --noise 0,0.1,0.3 \
  --image-size "$IMAGE" --out "$WORK/demos" --overwrite --quiet

step "6. a pretrained A2World"
if [ -z "${PRETRAINED:-}" ] && [ -f "$REPO/models/a2world-default.a2wm" ]; then
  PRETRAINED="$REPO/models/a2world-default.a2wm"
fi
if [ -z "${PRETRAINED:-}" ]; then
  echo "no pretrained checkpoint given and none shipped: pretraining a tiny one on three built-in tasks"
  "$A2W" collect --tasks a2w/LiftCube-v0,a2w/PickPlaceBin-v0,a2w/StackCubes-v0 --episodes "$EPISODES" \
    --noise 0,0.1,0.3 --image-size "$IMAGE" --out "$WORK/pretrain_demos" --overwrite --quiet
  "$A2W" wm pretrain --config tiny --data "$WORK/pretrain_demos" --steps "$STEPS" --device "$DEVICE" \
    --out "$WORK/pretrained.a2wm" --quiet
  PRETRAINED="$WORK/pretrained.a2wm"
fi
echo "pretrained: $PRETRAINED"

step "7. adapt it to the new tasks: A2World-sim of user/PlateCube-v0 and user/PlateCubeModel-v0"
"$A2W" wm adapt --from "$PRETRAINED" --task user/PlateCube-v0 --data "$WORK/demos" --steps "$STEPS" \
  --device "$DEVICE" --out "$WORK/plate_cube.a2wm" --quiet
"$A2W" wm adapt --from "$PRETRAINED" --task user/PlateCubeModel-v0 --data "$WORK/demos" --steps "$STEPS" \
  --device "$DEVICE" --out "$WORK/plate_cube_model.a2wm" --quiet

step "8. evaluate in both simulators on the same seeds (the expert reads physics state: random actions here)"
for t in PlateCube PlateCubeModel; do
  ckpt="$WORK/$(echo "$t" | sed -E 's/([a-z])([A-Z])/\1_\2/g' | tr 'A-Z' 'a-z').a2wm"
  "$A2W" rollout --task "user/$t-v0" --sim physics --policy random --episodes "$EVAL" --seed 100 \
    --image-size "$IMAGE" --quiet
  "$A2W" rollout --task "user/$t-v0" --sim wm --checkpoint "$ckpt" --device "$DEVICE" --policy random \
    --episodes "$EVAL" --seed 100 --video "$WORK/${t}_imagined.mp4" --overwrite --quiet
done

step "done: $WORK"
ls "$WORK"
