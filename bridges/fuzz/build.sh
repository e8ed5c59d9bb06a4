#!/usr/bin/env bash
# Builds the decoder's libFuzzer target with clang (ASan + UBSan), independently of the main gcc build.
#   bridges/fuzz/build.sh [OUT_DIR]      (default: build-fuzz/) -> OUT_DIR/bridge_decode_fuzzer
# Needs Debian's clang and libclang-rt-14-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-build-fuzz}"
mkdir -p "$OUT/obj"
CXX="${CXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [ -z "$CXX" ] || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz build: skipped: needs clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)" >&2
  exit 77
fi
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -DMSGPACK_NO_BOOST -Ienv/include -Ibridges/include)
# The decoder and what it stands on: the env module's Array/Value, the bridge's codec and header.
SOURCES=(env/src/array.cpp env/src/dtype.cpp env/src/value.cpp
         bridges/src/body.cpp bridges/src/codec.cpp bridges/src/protocol.cpp bridges/fuzz/decode_fuzzer.cpp)
objs=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ bridges/src/wire.h -nt "$obj" ]; then
    echo "fuzz build: $src"
    nice -n 10 "$CXX" "${FLAGS[@]}" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
nice -n 10 "$CXX" -fsanitize=fuzzer,address,undefined "${objs[@]}" -o "$OUT/bridge_decode_fuzzer" -lzmq
echo "fuzz build: $OUT/bridge_decode_fuzzer"
