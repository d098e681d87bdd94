#!/bin/bash
# bench/backends.sh: loadgen scenarios against a fresh demo server on SQLite and on a private
# durable PostgreSQL cluster (build/tests/xd_pg_cluster --durable: fsync on), rotated SQLite,
# PostgreSQL, PostgreSQL, SQLite per scenario (BACKENDS_SCENARIOS, default product checkout flash
# groupbuy). One JSON line per run on stdout (bench/lib.sh report(): ops/s, p50/p99, errors, the
# server process's CPU per op and, on PostgreSQL, the cluster's, over the timed run only; load
# average). Loopback only; every run is bounded (8 s); everything is stopped on exit. Needs the
# release build and psql (postgresql-client). bench/nodes.sh runs 1-3 nodes on one PostgreSQL.
set -u
cd "$(dirname "$0")/.."
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
SCENARIOS=${BACKENDS_SCENARIOS:-product checkout flash groupbuy}
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  pg_stop
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_start || exit 1
run() { # backend scenario db
  serve_start "$3" "$BENCH_DIR/log.$1" --demo || exit 1
  local pm=${PG_POSTMASTER:-}
  [ "$1" = sqlite ] && PG_POSTMASTER=  # the cluster is idle then: count the server alone
  run_loadgen "$2" "$SERVE_PID" "http://127.0.0.1:$SERVE_PORT"
  PG_POSTMASTER=$pm
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null
  SERVE_PID=
  report backend="$1" nodes=1
}
for sc in $SCENARIOS; do
  run sqlite "$sc" "$BENCH_DIR/db1"; rm -f "$BENCH_DIR"/db1*
  pg_fresh_schema
  run postgres "$sc" "$PG_URL"
  pg_fresh_schema
  run postgres "$sc" "$PG_URL"
  run sqlite "$sc" "$BENCH_DIR/db2"; rm -f "$BENCH_DIR"/db2*
done
