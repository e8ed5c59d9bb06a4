#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds Release into build/, runs every doctest suite
# through CTest. Extra arguments go to ctest (e.g. -L env, -R rollout).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@"
