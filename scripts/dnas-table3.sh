#!/usr/bin/env bash
# The paper's Table 3 transferred to these machines: DARTS and ANASOD-DNAS on the same NB201 supernet,
# searched on Fashion-MNIST, 3 seeds each, the same epochs; the found cells looked up in the NB201 tables
# (CIFAR-10 and CIFAR-100 200-epoch test error). Prints per-run CPU seconds and the summary table.
#
#   scripts/dnas-table3.sh [OUT_DIR]     (EPOCHS=10 TRAIN=4000 SEEDS="0 1 2")
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/dnas-table3}
epochs=${EPOCHS:-10}
train=${TRAIN:-4000}
seeds=${SEEDS:-0 1 2}
mkdir -p "$out"
swift build -c release --product anasod >/dev/null
anasod=$(swift build -c release --show-bin-path)/anasod
for method in anasod darts; do
    for seed in $seeds; do
        name=$method-$seed
        sed -e "s/^study: .*/study: table3-$name/" -e "s/^seed: .*/seed: $seed/" -e "s/^epochs: .*/epochs: $epochs/" \
            -e "s/^train_limit: .*/train_limit: $train/" -e "s|^journal: .*|journal: $out/$name.dnas.sqlite|" \
            "configs/dnas-$method-fmnist.yaml" > "$out/$name.yaml"
        resume=; [ -f "$out/$name.dnas.sqlite" ] && resume=--resume
        start=$(date +%s)
        /usr/bin/time -f "%U %S" -o "$out/$name.time" "$anasod" dnas --config "$out/$name.yaml" $resume --nb201-dir "${ANASOD_NB201_DIR:-../shared/data/nb201}" \
            > "$out/$name.txt" 2> "$out/$name.log"
        echo "dnas-table3: $name done in $(( $(date +%s) - start )) s (wall)" >&2
    done
done
python3 - "$out" "$epochs" "$seeds" <<'PY'
import sqlite3, statistics, sys
out, epochs, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
print(f"| method | search epochs | CPU s / search (user+sys) | found cells (seed: CIFAR-10 / CIFAR-100 test error) | CIFAR-10 mean ± SD | CIFAR-100 mean ± SD |")
print("|---|---|---|---|---|---|")
for method in ("anasod", "darts"):
    c10, c100, cpu, found = [], [], [], []
    for seed in seeds:
        db = sqlite3.connect(f"{out}/{method}-{seed}.dnas.sqlite")
        rows = db.execute("SELECT arch, cifar10, cifar100, counts FROM cell ORDER BY rank").fetchall()
        a = statistics.mean(r[1] for r in rows); b = statistics.mean(r[2] for r in rows)
        c10.append(a); c100.append(b)
        found.append(f"{seed}: {a:.2f} / {b:.2f} (counts {rows[0][3]}{' …' if len(rows) > 1 else ''})")
        user, system = open(f"{out}/{method}-{seed}.time").read().split()[:2]
        cpu.append(float(user) + float(system))
    sd = lambda x: statistics.pstdev(x) if len(x) > 1 else 0.0
    print(f"| {method} | {epochs} | {statistics.mean(cpu):.0f} | {'; '.join(found)} | {statistics.mean(c10):.2f} ± {sd(c10):.2f} | {statistics.mean(c100):.2f} ± {sd(c100):.2f} |")
print("| optimum | | | | 5.63 | 26.49 |")
PY
