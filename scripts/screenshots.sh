#!/usr/bin/env bash
# Regenerates the README's pictures (docs/images/): the live dashboard of a running local study and the
# report's main plot (the best error of two strategies, ANASOD-BO and random search, on the NB201 CIFAR-10
# table). Needs headless Chromium (scripts/setup.sh installs it), a release build and the NB201 tables
# ($ANASOD_NB201_DIR or ../shared/data/nb201).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/anasod
[ -x "$BIN" ] || swift build -c release --product anasod
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[ -n "$BROWSER" ] || { echo "screenshots: headless Chromium is missing (apt-get install chromium)" >&2; exit 1; }
OUT=docs/images
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
shoot() { # URL FILE WIDTH HEIGHT [extra flags]
    "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$WORK/profile" \
        --window-size="$3,$4" "${@:5}" --screenshot="$2" "$1" >/dev/null 2>&1
}

# Random search first (fast), then ANASOD-BO with a dashboard, photographed mid-run.
"$BIN" search --config configs/nb201-cifar10.yaml --strategy rs --study random-search --budget 150 --seconds 0.2 \
    --workers 4 --journal "$WORK/rs.sqlite" --dashboard off --no-progress-bar 2>/dev/null >/dev/null
"$BIN" search --config configs/nb201-cifar10.yaml --study anasod-bo --budget 150 --seconds 0.2 --workers 4 \
    --journal "$WORK/bo.sqlite" --no-progress-bar 2>"$WORK/bo.err" >/dev/null &
for _ in $(seq 100); do grep -q '^dashboard: ' "$WORK/bo.err" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^dashboard: \([^ ]*\).*/\1/p' "$WORK/bo.err")
sleep 6
shoot "${URL}?updates=2" "$OUT/dashboard.png" 1360 1020 --virtual-time-budget=2000
wait
"$BIN" report --journal "$WORK/bo.sqlite" --journal "$WORK/rs.sqlite" --out "$WORK/report" >/dev/null
shoot "file://$WORK/report/best-by-evaluations.svg" "$OUT/report-best.png" 640 360
ls -la "$OUT"
