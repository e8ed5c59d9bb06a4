#!/usr/bin/env bash
# Downloads the Debian packages that benchmarks/gpu/run.sh unpacks on a GPU machine (the list and why:
# benchmarks/gpu/packages.txt), on a Debian 12 machine that reaches the package mirror, so they can travel
# with the working tree to a machine that reaches nothing.
#
#   benchmarks/gpu/fetch_debs.sh [DIR]      DIR: default $DEBS, else shared/debs in the repository root
#
# About 27 MB. A folder inside the repository must stay out of git (e.g. `echo /shared/debs/ >>
# .git/info/exclude`) and be carried to the GPU machine with the working tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-${DEBS:-$root/shared/debs}}
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$root/benchmarks/gpu/packages.txt" | grep -v '^$')
mkdir -p "$dir"
cd "$dir"
if ! apt-get download "${packages[@]}"; then
  echo "fetch_debs.sh: apt-get download failed; run 'apt-get update' first (a package may also have a newer" \
    "version than the lists knew)" >&2
  exit 1
fi
echo "fetch_debs.sh: ${#packages[@]} packages, $(du -sh . | cut -f1) in $dir"
