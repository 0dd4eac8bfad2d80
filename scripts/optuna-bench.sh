#!/usr/bin/env bash
# Optuna 5's reference samplers (TPE, GP, random) on the NB201 runs, beside `anasod bench --runs` (issue 26).
#
#   bash scripts/optuna-bench.sh --runs cifar10-valid --samplers tpe,gp,random --seeds 20 --budget 150
#   bash scripts/optuna-bench.sh --install-only      # only set up the environment
#
# Sets up a virtual environment (default .venv-optuna in the repository root; OPTUNA_VENV overrides it,
# PYTHON picks the interpreter that creates it) with optuna>=5,<6, scipy and torch (GPSampler needs both;
# torch's CPU wheel is tried first, then PyPI's), then runs scripts/optuna_runs.py with the arguments given
# (`--help` lists them). Idempotent: what is installed already is not installed again. Where torch cannot
# be installed the GP sampler is left out, and the run says so on standard error and in its header.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${OPTUNA_VENV:-$root/.venv-optuna}
python=${PYTHON:-python3}
install_only=0
if [ "${1:-}" = "--install-only" ]; then install_only=1; shift; fi

started=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
    echo "optuna-bench: creating the virtual environment $venv" >&2
    if ! "$python" -m venv "$venv"; then
        echo "optuna-bench: '$python -m venv' failed; on Debian: apt-get install python3-venv" >&2
        exit 1
    fi
fi
py="$venv/bin/python"
pip=("$py" -m pip install --disable-pip-version-check --quiet)

if ! "$py" -c 'import sys, optuna, scipy; sys.exit(optuna.__version__.split(".")[0] != "5")' 2>/dev/null; then
    echo "optuna-bench: installing optuna>=5,<6 and scipy" >&2
    "${pip[@]}" 'optuna>=5,<6' scipy
fi

# torch for GPSampler: the CPU wheel (small, no CUDA libraries), else PyPI's (large: it brings CUDA's
# libraries), else none. A failure is remembered (delete the marker, or set OPTUNA_RETRY_TORCH=1, to retry).
marker="$venv/.torch-unavailable"
if [ "${OPTUNA_RETRY_TORCH:-0}" = 1 ]; then rm -f "$marker"; fi
if ! "$py" -c 'import torch' 2>/dev/null && [ ! -e "$marker" ]; then
    echo "optuna-bench: installing torch for the GP sampler (CPU wheel first)" >&2
    if ! "${pip[@]}" --retries 1 --timeout 20 torch --index-url https://download.pytorch.org/whl/cpu; then
        echo "optuna-bench: the CPU wheel index is unreachable; installing torch from PyPI (large)" >&2
        "${pip[@]}" torch || touch "$marker"
    fi
fi
if ! "$py" -c 'import torch' 2>/dev/null; then
    cat >&2 <<EOF
################################################################################################
optuna-bench: torch could not be installed in $venv: THE GP SAMPLER IS LEFT OUT of this run.
(Retry the install with OPTUNA_RETRY_TORCH=1.)
################################################################################################
EOF
    export OPTUNA_RUNS_WITHOUT_GP="torch could not be installed in $venv"
fi
version=$("$py" -c 'import optuna; print(optuna.__version__)')
echo "optuna-bench: environment ready in $(( $(date +%s) - started )) s (optuna $version)" >&2

if [ "$install_only" = 1 ]; then exit 0; fi
exec "$py" "$root/scripts/optuna_runs.py" "$@"
