#!/usr/bin/env bash
# Installs every Debian 12 package a2w needs (idempotent) and builds Release into build/.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git
  libmujoco-dev libqhull-dev
  libtorch-dev libopenblas0-openmp
  libgloo-dev  # the headers of c10d's ProcessGroupGloo (data-parallel training; libtorch links the library)
  libboost-dev libzmq3-dev cppzmq-dev libmsgpack-cxx-dev
  libopencv-dev libhdf5-dev libyaml-cpp-dev doctest-dev zlib1g-dev
  libegl-dev libgl-dev libegl-mesa0 libgl1-mesa-dri libgbm1
  ffmpeg
  python3 python3-zmq python3-msgpack python3-numpy python3-h5py
  python3-websockets  # the OpenPI-style websocket peers of tests/bridges and a2w bench bridge
  clang libclang-rt-14-dev  # bridges/fuzz: libFuzzer with ASan/UBSan
  python3-torch  # exports the TorchScript world models of tests/worldmodel (bring your own model)
  chromium  # tests/bench: the correlation report renders in a headless browser
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's libtorch links the reference BLAS through the alternatives system; OpenBLAS (OpenMP) is
# 30-40x faster for our matmuls, so select it when it is installed.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  cand=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-openmp | head -n1 || true)
  if [ -n "$cand" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO update-alternatives --set "$alt" "$cand" >/dev/null
  fi
done

if [ "${1:-}" != "--no-build" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j"$(nproc)"
fi
