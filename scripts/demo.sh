#!/usr/bin/env bash
# scripts/demo.sh: the main job on an embedded store (make demo).
# The store lives in $KAPSULE_HOME when set, else demo-store/ here.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
K="$PWD/$BUILD/kapsule"
export KAPSULE_HOME=${KAPSULE_HOME:-$PWD/demo-store}
mkdir -p "$KAPSULE_HOME"
echo "kapsule demo (store: $KAPSULE_HOME)"
"$K" version
echo
echo "The capsule pipeline (keys, pack, ingest, logic, audit log) is not built"
echo "yet; this demo grows with it. What exists today:"
echo
"$K" errors > "$KAPSULE_HOME/errors.txt"
sed -n 1,20p "$KAPSULE_HOME/errors.txt"
