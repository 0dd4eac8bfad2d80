#!/usr/bin/env bash
# A single-node Slurm on this machine, for the tests: munged, slurmctld and slurmd on localhost with a
# config, state and logs of their own in a folder (nothing under /etc is changed), on ports of their own.
#   eval "$(bash scripts/slurm-local.sh start DIR)"   # prints `export SLURM_CONF=…`; sbatch, squeue… then work
#   bash scripts/slurm-local.sh stop DIR
# Needs root and Debian's slurm-wlm and munge (scripts/setup.sh installs them); says why and exits 2 when
# Slurm cannot start here.
set -euo pipefail
action=${1:?usage: slurm-local.sh start|stop DIR}
dir=${2:?usage: slurm-local.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
skip() { echo "slurm-local: SKIPPED: $*" >&2; exit 2; }

if [ "$action" = stop ]; then
    for p in slurmd slurmctld munged; do
        [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    sleep 1
    for p in slurmd slurmctld munged; do
        [ -f "$dir/$p.pid" ] && kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true
        rm -f "$dir/$p.pid"
    done
    exit 0
fi

# Daemons inherit open descriptors: close all but stdio, or a caller waiting for this script's end (one
# that watches a descriptor it handed us, as Foundation's Process does) would wait for the daemons too.
for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true; done

[ "$(id -u)" -eq 0 ] || skip "needs root (slurmd runs jobs as their users)"
for c in munged slurmctld slurmd sbatch scontrol; do command -v "$c" >/dev/null || skip "$c is not installed (apt-get install slurm-wlm munge)"; done

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
[ -s "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
socket=$dir/munge/munge.socket
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" </dev/null >>"$dir/daemons.out" 2>&1 || skip "munged does not start (see $dir/munged.log)"

host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
base=$(( 20000 + RANDOM % 20000 ))
# One GPU that is only a name (/dev/null as its device file): enough for `sbatch --test-only` of GPU job scripts.
cat > "$dir/gres.conf" <<CONF
NodeName=$(hostname -s) Name=gpu File=/dev/null
CONF
cat > "$dir/slurm.conf" <<CONF
ClusterName=anasodtest
GresTypes=gpu
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$(( base + 1 ))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=3600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory Gres=gpu:1 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
export SLURM_CONF=$dir/slurm.conf
# The daemons get no terminal and none of our pipes (a caller reading our output to its end would wait
# for them forever).
slurmctld -f "$SLURM_CONF" -i </dev/null >>"$dir/daemons.out" 2>&1 || skip "slurmctld does not start (see $dir/slurmctld.log)"
slurmd -f "$SLURM_CONF" </dev/null >>"$dir/daemons.out" 2>&1 || skip "slurmd does not start (see $dir/slurmd.log)"
for _ in $(seq 100); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in idle*|mix*|alloc*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
    sleep 0.2
done
skip "the node did not come up (state '${state:-none}'; see $dir/slurmctld.log and $dir/slurmd.log)"
