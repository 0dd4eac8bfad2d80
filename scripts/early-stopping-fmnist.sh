#!/usr/bin/env bash
# Early stopping on real training (issue 28): configs/fmnist-nb201-es.yaml with ASHA and the same study without
# it, each for the same wall-clock time on 2 local workers, for several seeds; then the best validation error each
# reached (mean ± SE) and the share of epochs spent on stopped cells.
#
#   bash scripts/early-stopping-fmnist.sh                  # 5 seeds × 15 minutes × 2 variants (2½ hours)
#   SEEDS="0 1" MINUTES=6 bash scripts/early-stopping-fmnist.sh   # the short form
#
# Journals go to $OUT (default runs/es-fmnist/); a variant already there is not run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
anasod=${ANASOD:-$root/.build/release/anasod}
seeds=${SEEDS:-0 1 2 3 4}
minutes=${MINUTES:-15}
out=${OUT:-$root/runs/es-fmnist}
[ -x "$anasod" ] || (cd "$root" && swift build -c release --product anasod)
mkdir -p "$out"
for seed in $seeds; do
    for variant in asha off; do
        journal="$out/$variant-$seed.sqlite"
        [ -f "$journal" ] && continue
        config="$out/$variant-$seed.yaml"
        sed -e "s/^seed: .*/seed: $seed/" -e "s/^study: .*/study: es-$variant-$seed/" \
            -e "s/early_stopping: {rule: asha/early_stopping: {rule: $variant/" "$root/configs/fmnist-nb201-es.yaml" > "$config"
        echo "== $variant, seed $seed, $minutes min" >&2
        # SIGINT after the time: the search ends gracefully, its journal complete.
        timeout --signal=INT --kill-after=60 "$((minutes * 60))" \
            "$anasod" search --config "$config" --journal "$journal" --workers 2 --no-progress-bar --dashboard off \
            > "$out/$variant-$seed.log" 2>&1 || true
    done
done
python3 - "$out" $seeds <<'PY'
import math, sqlite3, sys
out, seeds = sys.argv[1], sys.argv[2:]
def stats(xs):
    m = sum(xs) / len(xs)
    se = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs)) if len(xs) > 1 else 0.0
    return m, se
print("| variant | best validation error (mean ± SE) | cells | stopped | epochs on stopped cells |")
print("|---|---|---|---|---|")
for variant in ("asha", "off"):
    best, cells, stopped, share = [], [], [], []
    for seed in seeds:
        db = sqlite3.connect(f"{out}/{variant}-{seed}.sqlite")
        rows = db.execute("SELECT val_error, stopped_at_epoch FROM results").fetchall()
        epochs = dict(db.execute("SELECT job, MAX(epoch) FROM record WHERE kind = 3 GROUP BY job").fetchall())
        stopped_jobs = [j for (j,) in db.execute("SELECT job FROM results WHERE stopped_at_epoch IS NOT NULL")]
        full = [v for v, s in rows if s is None]
        best.append(min(full) if full else float("nan"))
        cells.append(len(rows))
        stopped.append(len(stopped_jobs))
        total = sum(epochs.values())
        share.append(sum(epochs.get(j, 0) for j in stopped_jobs) / total if total else 0.0)
    m, se = stats(best)
    print(f"| {variant} | {m:.3f} ± {se:.3f} | {sum(cells) / len(cells):.1f} | {sum(stopped) / len(stopped):.1f} | "
          f"{100 * sum(share) / len(share):.1f} % |")
PY
