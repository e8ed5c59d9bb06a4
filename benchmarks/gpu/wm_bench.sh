#!/usr/bin/env bash
# A2World-sim speed on a GPU: imagined env steps/s at batch 1, 64 and 256 with CUDA LibTorch, beside the
# physics env rendering at the same size, measured in the same run (`a2w bench wm --device cuda`).
# benchmarks/gpu/run.sh is the complete prepared benchmark (it unpacks a2w's Debian packages and uses Python's
# CUDA LibTorch); this script is `a2w bench wm` alone, on a machine with those packages installed.
#
# Debian's libtorch is CPU-only, so this builds a2w against a CUDA build of LibTorch in its own build folder:
#
#   LIBTORCH=/opt/libtorch benchmarks/gpu/wm_bench.sh [CHECKPOINT] [-- extra `a2w bench wm` options]
#
#   LIBTORCH     folder of a CUDA LibTorch (the one with share/cmake/Torch); default: /opt/libtorch
#   CHECKPOINT   an a2w checkpoint or TorchScript module; default: the shipped models/a2world-default.a2wm,
#                or, when that is absent, the "gpu" preset with random weights (speed only, labelled so)
#   BATCHES      default 1,64,256         BENCH_SECONDS, ROUNDS   per measurement, default 3 and 3
#   OUT          JSON result, default build-cuda/wm_bench_gpu.json (the text table goes to stdout)
#
# Prints nvidia-smi's GPU line first, so the figures say which card gave them. The physics env renders with
# EGL on the NVIDIA device platform when the driver offers it (a2w doctor says which renderer ran).
set -euo pipefail
cd "$(dirname "$0")/../.."

LIBTORCH=${LIBTORCH:-/opt/libtorch}
BATCHES=${BATCHES:-1,64,256}
SECONDS_PER=${BENCH_SECONDS:-3}  # not SECONDS: bash's own counter
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build-cuda}
OUT=${OUT:-$BUILD/wm_bench_gpu.json}

CHECKPOINT=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then CHECKPOINT=$1; shift; fi
[ "${1:-}" = "--" ] && shift

if ! command -v nvidia-smi >/dev/null; then
  echo "wm_bench.sh: no nvidia-smi: this script measures a GPU; run 'a2w bench wm' for the CPU figures" >&2
  exit 2
fi
if [ ! -f "$LIBTORCH/share/cmake/Torch/TorchConfig.cmake" ]; then
  echo "wm_bench.sh: expected a CUDA LibTorch at LIBTORCH=$LIBTORCH (share/cmake/Torch/TorchConfig.cmake missing)" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

# Warnings are not errors here (a newer compiler and LibTorch than CI's), as in run.sh.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DA2W_CUDA=ON -DA2W_BUILD_TESTS=OFF -DA2W_WERROR=OFF \
  -DCMAKE_POLICY_VERSION_MINIMUM=3.5 -DCMAKE_PREFIX_PATH="$LIBTORCH" >/dev/null
cmake --build "$BUILD" --target a2w -j"$(nproc)"

args=(bench wm --device cuda --batches "$BATCHES" --seconds "$SECONDS_PER" --rounds "$ROUNDS")
if [ -n "$CHECKPOINT" ]; then
  args+=(--checkpoint "$CHECKPOINT")
elif [ ! -f models/a2world-default.a2wm ]; then
  args+=(--config gpu)
fi
"$BUILD/a2w" "${args[@]}" "$@" --json | tee "$OUT"
echo "wm_bench.sh: JSON in $OUT"
