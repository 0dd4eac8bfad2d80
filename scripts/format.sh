#!/usr/bin/env bash
# Formats the Swift sources in place with the toolchain's swift-format and the committed .swift-format.
# `scripts/format.sh --lint` only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--lint" ]; then
    swift format lint --recursive Package.swift Sources Tests
else
    swift format format --in-place --recursive Package.swift Sources Tests
fi
