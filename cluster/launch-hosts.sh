#!/usr/bin/env bash
# Starts a coordinator here and one worker per listed host over ssh, then waits for the study.
#   cluster/launch-hosts.sh CONFIG.yaml HOST[:SLOTS] [HOST[:SLOTS] ...]
# Each host needs the anasod binary at the same path (or set ANASOD_REMOTE) and, for table studies,
# the NB201 CSV files (ANASOD_NB201_DIR on that host). The coordinator listens on tcp://*:PORT
# (PORT from ANASOD_PORT, default 5555) and workers connect to this machine's name (ANASOD_ADVERTISE).
# CURVE is on: the keys live in ANASOD_KEYS (default runs/launch-keys); the coordinator's pair is made
# once, each host gets a pair of its own (its public half in workers/), and the host's secret key and the
# coordinator's public key are copied to ~/.anasod-keys/ on that host (mode 0600) over ssh.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CONFIG.yaml HOST[:SLOTS] ..." >&2; exit 2; }
config=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
anasod=${ANASOD:-$here/.build/release/anasod}
remote=${ANASOD_REMOTE:-$anasod}
port=${ANASOD_PORT:-5555}
advertise=${ANASOD_ADVERTISE:-$(hostname -f)}
[ -x "$anasod" ] || { echo "launch-hosts: $anasod not found; run 'swift build -c release' first" >&2; exit 1; }
keys=${ANASOD_KEYS:-runs/launch-keys}
mkdir -p "$keys/workers"
[ -e "$keys/coordinator.key_secret" ] || "$anasod" keys generate "$keys/coordinator" >/dev/null
for spec in "$@"; do
    host=${spec%%:*}
    if [ ! -e "$keys/hosts/$host.key_secret" ]; then
        mkdir -p "$keys/hosts"
        "$anasod" keys generate "$keys/hosts/$host" >/dev/null
        mv "$keys/hosts/$host.key" "$keys/workers/$host.key"
    fi
    ssh -o BatchMode=yes "$host" 'umask 077 && mkdir -p ~/.anasod-keys'
    scp -q -p "$keys/hosts/$host.key_secret" "$host:.anasod-keys/worker.key_secret"
    scp -q -p "$keys/coordinator.key" "$host:.anasod-keys/coordinator.key"
done

"$anasod" coordinator --config "$config" --listen "tcp://*:$port" --keys "$keys" &
coordinator=$!
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    kill "$coordinator" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
sleep 1
for spec in "$@"; do
    host=${spec%%:*}; slots=1
    [ "$spec" != "$host" ] && slots=${spec#*:}
    ssh -o BatchMode=yes "$host" "$remote worker --connect tcp://$advertise:$port --slots $slots --id $host --keys ~/.anasod-keys" &
    pids+=($!)
done
wait "$coordinator"
