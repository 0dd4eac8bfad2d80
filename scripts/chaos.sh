#!/usr/bin/env bash
# Chaos check of the cluster (issue 12), CURVE on: a synthetic study with workers killed -9 every few
# seconds (and restarted) and the coordinator killed -9 at random moments (and resumed). At the end:
#   - exactly BUDGET results, on BUDGET distinct jobs and architectures, none duplicated;
#   - no acknowledged result was ever dispatched again (an ack means the journal held it);
#   - every result a worker sent that was dispatched again was lost with a worker killed before its ack
#     (counted and printed; any other is a failure);
#   - a black hole (a simulated worker with a key of its own that fails every job it gets, BLACK_HOLE=1)
#     fails no job for good and is quarantined along the way (issue 25).
#
#   scripts/chaos.sh                    # the long form: 1,000 evaluations, 3 coordinator kills
#   BUDGET=200 COORDINATOR_KILLS=1 scripts/chaos.sh    # the short form CI runs
#
# Settings (environment): BUDGET, COORDINATOR_KILLS, WORKERS (3), SLOTS (2), KILL_EVERY (seconds, 2),
# SECONDS_PER_EVAL (0.05), STRATEGY (rs), ANASOD (the binary; default .build/debug/anasod), SEED (1),
# BLACK_HOLE (1: with the black hole; 0: without).
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET=${BUDGET:-1000}
COORDINATOR_KILLS=${COORDINATOR_KILLS:-3}
WORKERS=${WORKERS:-3}
SLOTS=${SLOTS:-2}
KILL_EVERY=${KILL_EVERY:-2}
SECONDS_PER_EVAL=${SECONDS_PER_EVAL:-0.05}
STRATEGY=${STRATEGY:-rs}
BLACK_HOLE=${BLACK_HOLE:-1}
SEED=${SEED:-1}
ANASOD=${ANASOD:-.build/debug/anasod}
[ -x "$ANASOD" ] || { echo "chaos: no binary at $ANASOD (swift build first, or set ANASOD)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "chaos: needs sqlite3 (apt-get install sqlite3)" >&2; exit 2; }
RANDOM=$SEED

RUN=$(mktemp -d /tmp/anasod-chaos-XXXXXX)
echo "chaos: run folder $RUN (budget $BUDGET, $WORKERS workers x $SLOTS slots, a worker killed every ${KILL_EVERY} s, $COORDINATOR_KILLS coordinator kill(s))"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT="tcp://127.0.0.1:$PORT"
KEYS="$RUN/keys"
"$ANASOD" keys generate "$KEYS/coordinator" >/dev/null
mkdir -p "$KEYS/workers"
for i in $(seq 0 $((WORKERS - 1))); do
  "$ANASOD" keys generate "$KEYS/chaos-$i" >/dev/null
  mv "$KEYS/chaos-$i.key" "$KEYS/workers/chaos-$i.key"
done
# The black hole's key, admitted before the coordinator starts (a simulated worker refused at its first
# handshake does not try again).
mkdir -p "$KEYS/local"
"$ANASOD" keys generate "$KEYS/local/hole-0" >/dev/null
mv "$KEYS/local/hole-0.key" "$KEYS/workers/hole-0.key"
cat > "$RUN/study.yaml" <<EOF
study: chaos
strategy: $STRATEGY
seed: $SEED
budget: $BUDGET
evaluator:
  kind: synthetic
  seconds: $SECONDS_PER_EVAL
jobs:
  max_attempts: 50
  timeout: 60
cluster:
  listen: $ENDPOINT
  heartbeat: 0.5
  worker_timeout: 6
  keys: $KEYS
journal: $RUN/journal.sqlite
EOF

PIDS_DIR="$RUN/pids"
mkdir -p "$PIDS_DIR" "$RUN/logs"
DONE="$RUN/done"
cleanup() {
  touch "$DONE" 2>/dev/null || true
  jobs -p | xargs -r kill -9 2>/dev/null || true  # the supervisors first, so that none restarts a worker
  pkill -9 -f "$RUN/" 2>/dev/null || true
  jobs -p | xargs -r kill -9 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Each worker is restarted by its supervisor whenever it dies; each incarnation logs to its own file,
# and one killed by the chaos loop is marked with a .killed file.
supervise() {
  local i=$1 run=0
  while [ ! -e "$DONE" ]; do
    run=$((run + 1))
    local log="$RUN/logs/worker-$i.$run.log"
    "$ANASOD" worker --connect "$ENDPOINT" --id "chaos-$i" --slots "$SLOTS" --log-level debug \
      --key "$KEYS/chaos-$i.key_secret" --coordinator-key "$KEYS/coordinator.key" 2>"$log" >/dev/null &
    echo "$! $log" > "$PIDS_DIR/worker-$i"
    wait $! || true
    sleep 0.2
  done
}
for i in $(seq 0 $((WORKERS - 1))); do supervise "$i" 2>/dev/null & done
if [ "$BLACK_HOLE" = 1 ]; then
  # 4 slots, every job failed at once (transient): it asks for the most work and would drain the queue.
  "$ANASOD" simulate-workers --connect "$ENDPOINT" --count 1 --id-prefix hole --slots 4 --keys "$KEYS" \
    --idle-seconds 0 --load-timeout 1800 --fail-every transient >"$RUN/logs/hole.out" 2>"$RUN/logs/hole.log" &
fi

start_coordinator() {
  local n=$1 flags=()
  [ "$n" -gt 1 ] && flags=(--resume)
  "$ANASOD" coordinator --config "$RUN/study.yaml" "${flags[@]}" >"$RUN/logs/coordinator.$n.out" 2>"$RUN/logs/coordinator.$n.log" &
  COORDINATOR=$!
}
results() { sqlite3 "$RUN/journal.sqlite" "SELECT count(*) FROM record WHERE kind = 4" 2>/dev/null || echo 0; }

# Kill points: random result counts spread over the study (also while results are arriving).
KILL_AT=()
for k in $(seq 1 "$COORDINATOR_KILLS"); do KILL_AT+=($(( (BUDGET * k) / (COORDINATOR_KILLS + 1) + RANDOM % (BUDGET / (4 * (COORDINATOR_KILLS + 1)) + 1) ))); done
incarnation=1
start_coordinator $incarnation
next_kill=0
last_worker_kill=$(date +%s.%N)
deadline=$(( $(date +%s) + 1800 ))
while kill -0 "$COORDINATOR" 2>/dev/null; do
  now=$(date +%s.%N)
  if (( $(date +%s) > deadline )); then echo "chaos: FAILED: not done after 30 minutes" >&2; exit 1; fi
  if awk -v a="$now" -v b="$last_worker_kill" -v e="$KILL_EVERY" 'BEGIN { exit !(a - b >= e) }'; then
    victim=$((RANDOM % WORKERS))
    if read -r pid log < "$PIDS_DIR/worker-$victim" && kill -9 "$pid" 2>/dev/null; then touch "$log.killed"; fi
    last_worker_kill=$now
  fi
  if [ "$next_kill" -lt "${#KILL_AT[@]}" ] && [ "$(results)" -ge "${KILL_AT[$next_kill]}" ]; then
    kill -9 "$COORDINATOR" 2>/dev/null || true
    wait "$COORDINATOR" 2>/dev/null || true
    echo "chaos: killed the coordinator at $(results) results"
    next_kill=$((next_kill + 1))
    sleep 0.$((RANDOM % 9 + 1))
    incarnation=$((incarnation + 1))
    start_coordinator $incarnation
  fi
  sleep 0.05
done
status=0
wait "$COORDINATOR" || status=$?
touch "$DONE"
if [ "$status" -ne 0 ]; then
  echo "chaos: FAILED: the coordinator exited with $status" >&2
  tail -20 "$RUN/logs/coordinator.$incarnation.log" >&2
  exit 1
fi

q() { sqlite3 "$RUN/journal.sqlite" "$1"; }
rows=$(q "SELECT count(*) FROM record WHERE kind = 4")
jobs_done=$(q "SELECT count(DISTINCT job) FROM record WHERE kind = 4")
archs=$(q "SELECT count(DISTINCT arch) FROM results")
dispatches=$(q "SELECT count(*) FROM record WHERE kind = 2")
redispatched=$(q "SELECT count(*) FROM (SELECT job FROM record WHERE kind = 2 GROUP BY job HAVING count(*) > 1)")
failed_for_good=$(q "SELECT count(*) FROM record WHERE kind = 5 AND final = 1")
hole_failures=$(q "SELECT count(*) FROM record WHERE kind = 5 AND worker LIKE 'hole-%'")
quarantined=$(q "SELECT count(*) FROM record WHERE kind = 6 AND worker = 'hole-0' AND reason LIKE 'quarantined:%'")
# Every (job, attempt) a worker sent a result for, and whether that incarnation saw its ack or was killed.
: > "$RUN/sent"
for log in "$RUN"/logs/worker-*.log; do
  killed=0; [ -e "$log.killed" ] && killed=1
  grep -o 'sent result job [0-9]* attempt [0-9]*' "$log" | awk -v k=$killed '{ print $4, $6, k }' >> "$RUN/sent.raw" || true
  grep -o 'acknowledged job [0-9]* attempt [0-9]*' "$log" | awk '{ print $3, $5 }' >> "$RUN/acked" || true
done
touch "$RUN/sent.raw" "$RUN/acked"
q "SELECT job, max(attempt) FROM record WHERE kind = 2 GROUP BY job" | tr '|' ' ' > "$RUN/max_attempt"
read -r acked_redone lost_killed lost_other < <(awk '
  FILENAME == ARGV[1] { max[$1] = $2; next }
  FILENAME == ARGV[2] { acked[$1 " " $2] = 1; next }
  { if (max[$1] > $2) { if (($1 " " $2) in acked) ar++; else if ($3 == 1) lk++; else lo++ } }
  END { print ar + 0, lk + 0, lo + 0 }' "$RUN/max_attempt" "$RUN/acked" "$RUN/sent.raw")
kills=$(ls "$RUN"/logs/*.killed 2>/dev/null | wc -l)
echo
echo "| check | value |"
echo "|---|---|"
echo "| results in the journal | $rows (budget $BUDGET) |"
echo "| distinct jobs / architectures with a result | $jobs_done / $archs |"
echo "| dispatches (attempts) | $dispatches |"
echo "| jobs dispatched more than once | $redispatched |"
echo "| workers killed -9 / coordinator kills | $kills / $COORDINATOR_KILLS |"
echo "| sent results trained again: after their ack | $acked_redone |"
echo "| sent results trained again: lost with a killed worker before their ack | $lost_killed |"
echo "| sent results trained again: any other | $lost_other |"
echo "| jobs failed for good | $failed_for_good |"
echo "| black hole: jobs it failed / times quarantined | $hole_failures / $quarantined |"
fail=0
[ "$rows" -eq "$BUDGET" ] || { echo "chaos: FAILED: $rows results, budget $BUDGET" >&2; fail=1; }
[ "$jobs_done" -eq "$BUDGET" ] || { echo "chaos: FAILED: $jobs_done distinct jobs" >&2; fail=1; }
[ "$archs" -eq "$BUDGET" ] || { echo "chaos: FAILED: $archs distinct architectures" >&2; fail=1; }
[ "$acked_redone" -eq 0 ] || { echo "chaos: FAILED: $acked_redone acknowledged results were trained again" >&2; fail=1; }
[ "$lost_other" -eq 0 ] || { echo "chaos: FAILED: $lost_other sent results were trained again without a worker kill" >&2; fail=1; }
if [ "$BLACK_HOLE" = 1 ]; then
  [ "$quarantined" -ge 1 ] || { echo "chaos: FAILED: the black hole was never quarantined ($hole_failures failures)" >&2; fail=1; }
  [ "$failed_for_good" -eq 0 ] || { echo "chaos: FAILED: $failed_for_good jobs failed for good" >&2; fail=1; }
fi
trap - EXIT
cleanup
if [ "$fail" -eq 0 ]; then
  echo "chaos: passed"
  rm -rf "$RUN"
else
  echo "chaos: logs kept in $RUN" >&2
  exit 1
fi
