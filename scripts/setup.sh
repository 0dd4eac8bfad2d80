#!/usr/bin/env bash
# Installs the system packages ANASOD Cluster needs, with apt, only those missing.
# Idempotent: a second run installs nothing. Fails with a clear message when it cannot.
set -euo pipefail

# libcurl4-openssl-dev: scripts/package.sh (the static binary's FoundationNetworking links libcurl).
# slurm-wlm, munge: the Slurm tests (scripts/slurm-local.sh starts a single-node Slurm of their own).
# python3, python3-numpy: the trainer library's tests (python/) and the worked example of one's own space
# (examples/own-space/train_numpy.py, configs/fmnist-chain8.yaml).
# chromium: the browser tests (the dashboard and the report read in headless Chromium); they are skipped,
# saying why, where it is missing.
PACKAGES=(libzmq3-dev libmsgpack-dev libopenblas-dev liblapacke-dev pkg-config zlib1g-dev libsqlite3-dev sqlite3
          dataset-fashion-mnist chromium libcurl4-openssl-dev slurm-wlm munge python3 python3-numpy)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all system packages present (${PACKAGES[*]})"
else
    echo "setup: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
            echo "setup: error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: error: apt-get not found; install these by hand: ${missing[*]}" >&2; exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get update -qq; then
        echo "setup: error: 'apt-get update' failed; check the network or the apt sources" >&2; exit 1
    fi
    if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        echo "setup: error: 'apt-get install ${missing[*]}' failed" >&2; exit 1
    fi
    echo "setup: installed ${missing[*]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: error: 'swift' is not on PATH; install a Swift 6 toolchain (swift.org) first" >&2; exit 1
fi
