#!/bin/bash
# bench/events-cpu.sh: server CPU per client event, two server binaries A/B in rotated rounds.
#   bench/events-cpu.sh BINARY_A BINARY_B [ROUNDS]   (default 5)
# Each run: a fresh `serve --demo` (SQLite) on a loopback port, 8 s of client events to warm it
# (wrk, 8 connections each pausing 8 ms between batches of 100 new view events: bench/events.lua,
# ~60,000-75,000 events/s here), then 10 s timed the same way: the server's CPU (utime + stime
# from /proc) over the events wrk saw accepted. One JSON line per run on stdout. Loopback only;
# every run is bounded; the server is stopped after each run.
set -u
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BINARY_A BINARY_B [ROUNDS]" >&2; exit 2; }
a=$1 b=$2 rounds=${3:-5}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # label binary round
  rm -rf "$work/db"; mkdir "$work/db"
  local port
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
  "$2" serve --db "$work/db/x.db" --listen "127.0.0.1:$port" --demo --events-rate 0 --log-level warn >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local product
  product=$(curl -sf "127.0.0.1:$port/api/v1/products?limit=1" | jq -r '.items[0].id')
  sed -e "s/%%PRODUCT%%/$product/" -e "s/%%PAUSE_MS%%/8/" bench/events.lua >"$work/events.lua"
  wrk -t1 -c8 -d8s -s "$work/events.lua" "http://127.0.0.1:$port" >/dev/null 2>&1
  local t0 t1 rps
  t0=$(cpu "$pid")
  wrk -t1 -c8 -d10s -s "$work/events.lua" "http://127.0.0.1:$port" >"$work/wrk.out" 2>&1
  sleep 1
  t1=$(cpu "$pid")
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  kill "$pid"; wait "$pid" 2>/dev/null; pid=
  python3 -c "
import json
rps, ticks = $rps, $t1 - $t0
events = rps * 100 * 10
print(json.dumps({'bench': 'events-cpu', 'build': '$1', 'round': $3, 'events_per_s': round(rps * 100),
                  'server_cpu_s': round(ticks / $tck, 2), 'cpu_us_per_event': round(ticks / $tck / events * 1e6, 2)}))"
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then run A "$a" "$r"; run B "$b" "$r"; else run B "$b" "$r"; run A "$a" "$r"; fi
done
