#!/bin/bash
# bench/analytics.sh: what the data platform (insight/, decision 025) costs the trading path, and
# how fast it ingests client events. On a fresh `serve --demo` (SQLite) per run, rotated
# off on on off (then on with events) per round (ANALYTICS_ROUNDS, default 1):
#  - checkout: complete paid orders (loadgen), the data platform off (--no-analytics) or on
#    (its consumer ingesting and projecting every order event as it is made);
#  - checkout+events: the same with client events posted at the same time (wrk, batches of 100
#    new view events, bench/events.lua): once as fast as 2 connections can post, once paced
#    near issue 19's ingestion figure of 50,000 events/s (ANALYTICS_EVENT_CONNS connections,
#    default 8, each pausing ANALYTICS_EVENT_PAUSE_MS, default 8, between batches; the rate
#    reached is what the line reports as concurrent_events_per_s);
#  - events: client events alone (wrk, 4 connections, batches of 100): events/s accepted
#    (durable in the analytics file), then how long the projections took to catch up.
# One JSON line per run on stdout (bench/lib.sh report() for the loadgen runs). Loopback only;
# each run is bounded (8 s); everything is stopped on exit.
# BENCH_BIN: the server binary (default build/xiaodian), e.g. a copy of the build before a change.
set -u
cd "$(dirname "$0")/.."
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
bin=${BENCH_BIN:-$bin}
rounds=${ANALYTICS_ROUNDS:-1}
SERVE_PID=
WRK_PID=
cleanup() {
  [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null && wait "$WRK_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

product_id() { curl -sf "127.0.0.1:$SERVE_PORT/api/v1/products?limit=1" | jq -r '.items[0].id'; }
stop_server() {
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null
  SERVE_PID=
}

checkout() { # analytics(on|off) events(0: none, max: as fast as it can, paced) db
  local flags=(--demo --events-rate 0)
  [ "$1" = off ] && flags+=(--no-analytics)
  serve_start "$3" "$BENCH_DIR/log" "${flags[@]}" || exit 1
  if [ "$2" != 0 ]; then  # client events for the whole timed run (loadgen's setup comes first)
    local pause=0 conns=2
    [ "$2" = paced ] && pause=${ANALYTICS_EVENT_PAUSE_MS:-8} conns=${ANALYTICS_EVENT_CONNS:-8}
    sed -e "s/%%PRODUCT%%/$(product_id)/" -e "s/%%PAUSE_MS%%/$pause/" bench/events.lua >"$BENCH_DIR/events.lua"
    wrk -t1 -c"$conns" -d14s -s "$BENCH_DIR/events.lua" "http://127.0.0.1:$SERVE_PORT" >"$BENCH_DIR/wrk.out" 2>&1 &
    WRK_PID=$!
  fi
  run_loadgen checkout "$SERVE_PID" "http://127.0.0.1:$SERVE_PORT"
  local ev=0
  if [ -n "$WRK_PID" ]; then
    wait "$WRK_PID"
    WRK_PID=
    ev=$(awk '/Requests\/sec/ {printf "%d", $2 * 100}' "$BENCH_DIR/wrk.out")
  fi
  stop_server
  report analytics="$1" events="$2" concurrent_events_per_s="$ev"
}

events() { # db
  serve_start "$1" "$BENCH_DIR/log" --demo --events-rate 0 || exit 1
  local pid
  pid=$(product_id)
  sed -e "s/%%PRODUCT%%/$pid/" -e "s/%%PAUSE_MS%%/0/" bench/events.lua >"$BENCH_DIR/events.lua"
  wrk -t2 -c4 -d8s -s "$BENCH_DIR/events.lua" "http://127.0.0.1:$SERVE_PORT" >"$BENCH_DIR/wrk.out" 2>&1
  local t0 lag
  t0=$(date +%s%N)
  # the projections catch up: their cursor reaches the log's end (read from the analytics file)
  for _ in $(seq 600); do
    lag=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$1.analytics?mode=ro', uri=True); \
print(c.execute(\"SELECT (SELECT COALESCE(MAX(id),0) FROM log) - COALESCE((SELECT log_id FROM cursors WHERE name='projections'),0)\").fetchone()[0])")
    [ "$lag" = 0 ] && break
    sleep 0.1
  done
  local catchup_ms=$((($(date +%s%N) - t0) / 1000000))
  local rows
  rows=$(python3 -c "import sqlite3; c=sqlite3.connect('file:$1.analytics?mode=ro', uri=True); print(c.execute('SELECT count(*) FROM log').fetchone()[0])")
  stop_server
  python3 - "$BENCH_DIR/wrk.out" "$catchup_ms" "$rows" <<'PY'
import json, re, sys
out = open(sys.argv[1]).read()
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
non2xx = re.search(r'Non-2xx or 3xx responses:\s+(\d+)', out)
lat = re.search(r'Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)', out)
print(json.dumps({'scenario': 'events', 'batch': 100, 'batches_per_s': rps, 'events_per_s': round(rps * 100),
                  'non_2xx': int(non2xx.group(1)) if non2xx else 0, 'latency_avg': lat.group(1) if lat else None,
                  'latency_max': lat.group(3) if lat else None, 'log_rows': int(sys.argv[3]),
                  'projection_catchup_ms_after_run': int(sys.argv[2])}))
PY
}

for r in $(seq "$rounds"); do
  for a in off on on off; do
    checkout "$a" 0 "$BENCH_DIR/db-$r-$a"
    rm -f "$BENCH_DIR"/db-*
  done
  checkout on max "$BENCH_DIR/db-$r-both"
  rm -f "$BENCH_DIR"/db-*
  checkout on paced "$BENCH_DIR/db-$r-paced"
  rm -f "$BENCH_DIR"/db-*
  events "$BENCH_DIR/db-$r-events"
  rm -f "$BENCH_DIR"/db-*
done
