#!/usr/bin/env bash
# Fuzzes the bridge decoder for a bounded time (CI: 60 s); exits non-zero on a finding.
#   bridges/fuzz/run.sh [SECONDS] [extra libFuzzer flags]
# The seed corpus (bridges/fuzz/corpus) is read, never written: new inputs go to a scratch folder.
# -malloc_limit_mb makes any single allocation above 64 MiB a finding: declared sizes of gigabytes must be
# refused before anything is allocated. Crash inputs land in build-fuzz/ (crash-*, leak-*, timeout-*).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN="${1:-60}"
shift || true
bridges/fuzz/build.sh build-fuzz >/dev/null || exit $?  # 77: no clang, skipped
WORK="build-fuzz/corpus-work"
mkdir -p "$WORK"
cd build-fuzz
exec nice -n 10 ./bridge_decode_fuzzer -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1 "$@" corpus-work ../bridges/fuzz/corpus
