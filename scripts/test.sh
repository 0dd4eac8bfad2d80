#!/usr/bin/env bash
# Sets up the machine (idempotent) and runs the whole test suite.
# Tests that need the NB201 table read it from $ANASOD_NB201_DIR, else ../shared/data/nb201, and say so
# when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test "$@"
