#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs the whole test suite.
# Tests that need the NB201 table read it from $ANASOD_NB201_DIR, else ../shared/data/nb201, and say so
# when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# OpenBLAS 0.3.21 falls back to its slowest kernels on CPUs it does not know; `anasod` re-executes itself
# with OPENBLAS_CORETYPE set, and the test process (which trains networks) needs it set before it starts.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    swift build --product anasod
    core=$("$(swift build --show-bin-path)/anasod" openblas-core)
    if [ -n "$core" ]; then
        echo "test.sh: OpenBLAS would pick its generic kernels here; running the tests with OPENBLAS_CORETYPE=$core"
        export OPENBLAS_CORETYPE=$core
    fi
fi

# The one-binary package (scripts/package.sh), which StaticBinaryTests runs alone as a worker: on a full
# run only (a release build).
if [ $# -eq 0 ]; then bash scripts/package.sh; fi

# One test at a time: the heavy ones (training, clusters of processes) use every core themselves, and
# tests with deadlines must not wait for a free Swift-concurrency thread behind them.
swift test --no-parallel "$@"

# The chaos check's short form (the long form: scripts/chaos.sh with its defaults, 1,000 evaluations), on
# a full run only (not with --filter).
if [ $# -eq 0 ]; then
    swift build --product anasod
    BUDGET=200 COORDINATOR_KILLS=1 ANASOD="$(swift build --show-bin-path)/anasod" bash scripts/chaos.sh
    # Across hosts in network namespaces, a link cut past worker_timeout (SKIPPED where they cannot be made).
    ANASOD="$(swift build --show-bin-path)/anasod" bash scripts/netns-check.sh
fi
