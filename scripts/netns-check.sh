#!/usr/bin/env bash
# Across hosts, CURVE on: a coordinator in one network namespace, two workers in another, joined by a veth
# pair. Mid-study the workers' link is cut for longer than cluster.worker_timeout, then restored: their
# leases must be re-queued, the workers must rejoin, and the study must end with its budget.
# Needs root (ip netns); where namespaces cannot be made it prints SKIPPED and the reason, and exits 0.
#   scripts/netns-check.sh            (ANASOD: the binary, default .build/debug/anasod; BUDGET: 60)
set -euo pipefail
cd "$(dirname "$0")/.."
ANASOD=$(realpath "${ANASOD:-.build/debug/anasod}")
BUDGET=${BUDGET:-60}
[ -x "$ANASOD" ] || { echo "netns: no binary at $ANASOD" >&2; exit 2; }
command -v ip >/dev/null || { echo "netns: SKIPPED: no ip command (apt-get install iproute2)"; exit 0; }
id=$$
nc=anasod-c-$id; nw=anasod-w-$id; vc=vc$id; vw=vw$id
if ! err=$(ip netns add "$nc" 2>&1); then
  echo "netns: SKIPPED: cannot make network namespaces here: $err"
  exit 0
fi
RUN=$(mktemp -d /tmp/anasod-netns-XXXXXX)
cleanup() {
  ip netns pids "$nc" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$nw" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$nc" 2>/dev/null || true
  ip netns del "$nw" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$nw"
ip link add "$vc" type veth peer name "$vw"
ip link set "$vc" netns "$nc"
ip link set "$vw" netns "$nw"
ip -n "$nc" addr add 10.77.0.1/24 dev "$vc"
ip -n "$nw" addr add 10.77.0.2/24 dev "$vw"
for ns in "$nc" "$nw"; do ip -n "$ns" link set lo up; done
ip -n "$nc" link set "$vc" up
ip -n "$nw" link set "$vw" up

KEYS="$RUN/keys"
"$ANASOD" keys generate "$KEYS/coordinator" >/dev/null
mkdir -p "$KEYS/workers"
for i in 0 1; do
  "$ANASOD" keys generate "$KEYS/far-$i" >/dev/null
  mv "$KEYS/far-$i.key" "$KEYS/workers/far-$i.key"
done
cat > "$RUN/study.yaml" <<EOF
study: netns
strategy: rs
budget: $BUDGET
evaluator:
  kind: synthetic
  seconds: 0.2
cluster:
  listen: tcp://10.77.0.1:5555
  heartbeat: 0.5
  worker_timeout: 3
  keys: $KEYS
journal: $RUN/journal.sqlite
EOF
ip netns exec "$nc" "$ANASOD" coordinator --config "$RUN/study.yaml" >"$RUN/coordinator.out" 2>"$RUN/coordinator.log" &
coordinator=$!
sleep 0.5
for i in 0 1; do
  ip netns exec "$nw" "$ANASOD" worker --connect tcp://10.77.0.1:5555 --id "far-$i" --slots 2 \
    --key "$KEYS/far-$i.key_secret" --coordinator-key "$KEYS/coordinator.key" 2>"$RUN/worker-$i.log" >/dev/null &
done
results() { sqlite3 "$RUN/journal.sqlite" "SELECT count(*) FROM record WHERE kind = 4" 2>/dev/null || echo 0; }
deadline=$(( $(date +%s) + 60 ))
while [ "$(results)" -lt $((BUDGET / 4)) ]; do
  (( $(date +%s) < deadline )) || { echo "netns: FAILED: no progress before the cut" >&2; tail "$RUN"/*.log >&2; exit 1; }
  sleep 0.1
done
before=$(results)
ip -n "$nw" link set "$vw" down
echo "netns: cut the workers' link at $before results; restoring it in 6 s (worker_timeout 3 s)"
sleep 6
during=$(results)
ip -n "$nw" link set "$vw" up
status=0
timeout 120 tail --pid="$coordinator" -f /dev/null || true
wait "$coordinator" || status=$?
rows=$(results)
distinct=$(sqlite3 "$RUN/journal.sqlite" "SELECT count(DISTINCT job) FROM record WHERE kind = 4")
silent=$(grep -c "went silent; re-queued" "$RUN/coordinator.log" || true)
rejoined=$(cat "$RUN"/worker-*.log | grep -c "saying hello again" || true)
echo "| check | value |"
echo "|---|---|"
echo "| results before the cut / after 6 s cut / at the end | $before / $during / $rows (budget $BUDGET) |"
echo "| distinct jobs with a result | $distinct |"
echo "| leases re-queued because their worker went silent | $silent |"
echo "| workers that said hello again after the silence | $rejoined |"
fail=0
[ "$status" -eq 0 ] || { echo "netns: FAILED: the coordinator exited with $status" >&2; fail=1; }
[ "$rows" -eq "$BUDGET" ] && [ "$distinct" -eq "$BUDGET" ] || { echo "netns: FAILED: $rows results, $distinct distinct" >&2; fail=1; }
[ "$during" -eq "$before" ] || [ "$during" -lt $((before + 5)) ] || { echo "netns: FAILED: results arrived through a cut link" >&2; fail=1; }
[ "$silent" -ge 1 ] || { echo "netns: FAILED: no lease was re-queued while the link was down" >&2; fail=1; }
[ "$rejoined" -ge 2 ] || { echo "netns: FAILED: the workers did not rejoin" >&2; fail=1; }
if [ "$fail" -ne 0 ]; then echo "netns: logs in $RUN" >&2; exit 1; fi
echo "netns: passed"
rm -rf "$RUN"
