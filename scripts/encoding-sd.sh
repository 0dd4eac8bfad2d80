#!/usr/bin/env bash
# How much of a trained cell's error its encoding explains, on the DARTS space with the Fashion-MNIST
# proxy (issue 14, the paper's Table 1 NB301 column): one study of 30 random encodings × 3 cells, and
# three studies that train the same 10 cells with training seeds 1, 2, 3; then `anasod analyze` over the
# four journals. Every study is a local cluster run (`anasod search`, 2 worker processes).
#
#   scripts/encoding-sd.sh [OUT_DIR]      (defaults: runs/encoding-sd; ENCODINGS=30 SEEDED=10 TRAIN=2000)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/encoding-sd}
encodings=${ENCODINGS:-30}
seeded=${SEEDED:-10}
train=${TRAIN:-2000}
mkdir -p "$out"
swift build -c release --product anasod >/dev/null
anasod=$(swift build -c release --show-bin-path)/anasod

config() {  # NAME BUDGET SEED TRAINING_SEED
    cat > "$out/$1.yaml" <<YAML
study: $1
space: darts
strategy: encoding-groups
seed: $3
budget: $2
evaluator:
  kind: trainer
  dataset: fashion-mnist
  channels: 8
  cells: 5
  epochs: 1
  batch_size: 64
  learning_rate: 0.05
  train_limit: $train
  validation_size: 1000
  test_limit: 0
jobs:
  max_attempts: 2
  timeout: 1800
  training_seed: $4
cluster:
  listen: tcp://127.0.0.1:0
journal: $out/$1.sqlite
YAML
}

config groups $((3 * encodings)) 0 0
for s in 1 2 3; do config seeds-$s "$seeded" 7 "$s"; done
for name in groups seeds-1 seeds-2 seeds-3; do
    if [ -f "$out/$name.sqlite" ]; then resume=--resume; else resume=; fi
    echo "encoding-sd: $name" >&2
    "$anasod" search --config "$out/$name.yaml" --workers 2 $resume
done
"$anasod" analyze --journal "$out/groups.sqlite" --journal "$out/seeds-1.sqlite" --journal "$out/seeds-2.sqlite" \
    --journal "$out/seeds-3.sqlite" | tee "$out/analysis.md"
