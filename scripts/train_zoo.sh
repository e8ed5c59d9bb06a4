#!/usr/bin/env bash
# The policy population for the headline study: `a2w policy zoo` over the collected corpus (all built-in
# tasks): one behaviour-cloning run saved at steps 150, 400, 1000, 2500 and 6000 (barely trained to
# converged), noise variants 0.3 and 0.6 of the converged one, and a random policy; each a file plus a
# line of ZOO_DIR/manifest.jsonl, which `a2w eval --policies ZOO_DIR/manifest.jsonl` reads. A rerun
# continues where it stopped.
# Usage: scripts/train_zoo.sh [CORPUS_DIR] [ZOO_DIR]     (env: THREADS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-runs/default/corpus}
ZOO=${2:-runs/zoo}
THREADS=${THREADS:-1}
build/a2w policy zoo --data "$DATA" --out "$ZOO" --snapshots 150,400,1000,2500 --steps 6000 \
  --noise 0.3,0.6 --threads "$THREADS" --quiet --json > "$ZOO.json"
cat "$ZOO/manifest.jsonl"
