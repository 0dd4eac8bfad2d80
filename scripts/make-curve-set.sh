#!/usr/bin/env bash
# A learning-curve set made by the cluster itself (issue 28): trains the cells of configs/fmnist-nb201-curves.yaml
# (300 NB201 cells spread over the encodings, 8 epochs each on Fashion-MNIST, the validation error streamed after
# every epoch) with the local cluster, then replays early stopping on the journal.
#
#   bash scripts/make-curve-set.sh                       # runs/fmnist-nb201-curves.sqlite, 2 workers
#   JOURNAL=/tmp/curves.sqlite WORKERS=4 bash scripts/make-curve-set.sh
#
# About 35 minutes on 2 cores (AVX-512). An interrupted run resumes where it stopped (the journal keeps every
# result). The journal stays out of the repository; this script is how to get it back.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
journal=${JOURNAL:-$root/runs/fmnist-nb201-curves.sqlite}
workers=${WORKERS:-2}
anasod=${ANASOD:-$root/.build/release/anasod}
[ -x "$anasod" ] || (cd "$root" && swift build -c release --product anasod)
mkdir -p "$(dirname "$journal")"
resume=()
[ -f "$journal" ] && resume=(--resume)
"$anasod" search --config "$root/configs/fmnist-nb201-curves.yaml" --workers "$workers" --journal "$journal" \
    --no-progress-bar "${resume[@]}"
"$anasod" bench --curves "$journal" --strategies rs,anasod-bo-2s --seeds 20 --first-seed 0 --budget 100 --workers 1,8
