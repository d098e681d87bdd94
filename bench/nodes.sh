#!/bin/bash
# bench/nodes.sh: 1, 2 and 3 `xiaodian serve` nodes on one private durable PostgreSQL cluster
# (build/tests/xd_pg_cluster --durable: fsync on), driven by one loadgen whose 64 connections
# are spread over the nodes (--url per node: VU i talks to node i mod N). Per run: a fresh
# schema, the first node seeds it (--demo) and the others start once it answers, then one
# loadgen scenario for 8 s, then every node is stopped. Node counts are rotated 1,2,3,3,2,1
# (NODES_ORDER overrides), the scenarios within each (NODES_SCENARIOS, default product checkout
# flash groupbuy). One JSON line per run on stdout (bench/lib.sh report(): ops/s, p50/p99,
# errors, CPU per op of the N app processes and of the cluster's postgres processes, load
# average, deadlocks PostgreSQL detected during the run). Loopback only; everything is stopped on exit. Needs the release build and psql.
# Server logs of a run with errors are kept in $NODES_LOGS (default bench/results/nodes-logs).
# SERVE_FLAGS go to every node (e.g. SERVE_FLAGS="--pg-writers 1").
set -u
cd "$(dirname "$0")/.."
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
ORDER=${NODES_ORDER:-1 2 3 3 2 1}
SCENARIOS=${NODES_SCENARIOS:-product checkout flash groupbuy}
LOGS=${NODES_LOGS:-bench/results/nodes-logs}
PIDS=()
stop_nodes() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  PIDS=()
}
cleanup() {
  stop_nodes
  # PostgreSQL's own account of errors (deadlocks, ...) for runs that had errors.
  [ -d "$LOGS" ] && [ -n "${PG_POSTMASTER:-}" ] && cp "$(pg_log)" "$LOGS/postgres-server.log" 2>/dev/null
  pg_stop
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_start || exit 1
round=0
for n in $ORDER; do
  round=$((round + 1))
  for sc in $SCENARIOS; do
    pg_fresh_schema
    urls=()
    for i in $(seq "$n"); do
      flags=()
      [ "$i" = 1 ] && flags=(--demo)
      serve_start "$PG_URL" "$BENCH_DIR/node$i.log" "${flags[@]}" || exit 1
      PIDS+=("$SERVE_PID")
      urls+=("http://127.0.0.1:$SERVE_PORT")
    done
    dl0=$(pg_deadlocks)
    run_loadgen "$sc" "${PIDS[*]}" "${urls[@]}"
    stop_nodes
    dl1=$(pg_deadlocks)  # over the loadgen run (setup, ops, read-back) and the nodes' stop
    line=$(report backend=postgres nodes="$n" round="$round" pg_deadlocks=$((dl1 - dl0)))
    echo "$line"
    if ! echo "$line" | grep -q '"errors": 0,'; then
      mkdir -p "$LOGS"
      tag=$LOGS/r$round-n$n-$sc
      cp "$BENCH_DIR/lg.err" "$tag.loadgen.err"
      for i in $(seq "$n"); do cp "$BENCH_DIR/node$i.log" "$tag.node$i.log"; done
      echo "nodes.sh: errors in round $round ($n nodes, $sc): logs in $tag.*" >&2
    fi
  done
done
