#!/usr/bin/env bash
# One binary to copy: a release build of `anasod` with the Swift runtime and Foundation linked statically
# (--static-swift-stdlib), in dist/anasod. The C libraries stay shared: dist/anasod.txt names the Debian
# packages that provide them on the machine that runs it (runtime packages, not -dev), its size and its
# start-up time. Usage: bash scripts/package.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-dist}
SCRATCH=.build-static
# FoundationNetworking (anasod status asks a dashboard over HTTP) links libcurl, which stays shared
# (libcurl4-openssl-dev to build, libcurl4 to run).
swift build -c release --product anasod --static-swift-stdlib --scratch-path "$SCRATCH" 2>&1 | grep -E "error|Compiling anasod|Build" || true
BIN="$SCRATCH/release/anasod"
[ -x "$BIN" ] || { echo "package: the build made no $BIN" >&2; exit 1; }
mkdir -p "$OUT"
cp "$BIN" "$OUT/anasod.tmp" && strip "$OUT/anasod.tmp" && mv "$OUT/anasod.tmp" "$OUT/anasod"

if ldd "$OUT/anasod" | grep -E "libswift|libFoundation|libdispatch|libicu"; then
    echo "package: the binary still links the Swift runtime dynamically (above)" >&2; exit 1
fi
# The shared libraries it names (NEEDED), and the Debian packages that hold them (apt brings the rest).
needed=$(readelf -d "$OUT/anasod" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
packages=$(for n in $needed; do
    path=$(ldd "$OUT/anasod" | awk -v n="$n" '$1 == n {print $3}')
    if [ -n "$path" ]; then dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true; fi
done | cut -d: -f1 | sort -u | tr '\n' ' ')
size=$(du -h "$OUT/anasod" | cut -f1)
start=$(date +%s%N); for _ in $(seq 10); do "$OUT/anasod" --help >/dev/null; done; end=$(date +%s%N)
ms=$(( (end - start) / 10000000 ))
{
    echo "anasod $(git rev-parse --short HEAD 2>/dev/null || echo unknown), built $(date -u +%Y-%m-%d) on $(uname -m)"
    echo "size: $size (stripped); start-up (anasod --help, mean of 10): ${ms} ms"
    echo "Swift runtime and Foundation: linked in"
    echo "needs these Debian packages: $packages"
    echo "  (apt-get install $packages)"
    echo "shared libraries:"
    ldd "$OUT/anasod" | sed 's/^/  /'
} > "$OUT/anasod.txt"
cat "$OUT/anasod.txt" | head -4
