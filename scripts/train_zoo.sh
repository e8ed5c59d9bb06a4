#!/usr/bin/env bash
# Behaviour-cloning snapshots for the policy population: one run over the collected corpus (all built-in
# tasks), saved at steps 150, 400, 1000, 2500 and 6000, from barely trained to converged. Each snapshot is a
# policy file (runs a2w rollout/eval --policy FILE) and a line in zoo.txt. Resumable (--resume).
# Usage: scripts/train_zoo.sh [CORPUS_DIR] [ZOO_DIR]     (env: THREADS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-runs/default/corpus}
ZOO=${2:-runs/zoo}
THREADS=${THREADS:-1}
mkdir -p "$ZOO"
: > "$ZOO/zoo.txt"
for s in 150 400 1000 2500 6000; do
  build/a2w policy train --kind bc --data "$DATA" --out "$ZOO/bc.a2wp" --steps 6000 --threads "$THREADS" \
    --resume --stop-at "$s" --checkpoint-every 500 --quiet --json > "$ZOO/bc_step$s.json"
  cp "$ZOO/bc.a2wp" "$ZOO/bc_step$s.a2wp"
  echo "bc_step$s.a2wp bc behaviour cloning, step $s of 6000, seed 0, $DATA" >> "$ZOO/zoo.txt"
done
