#!/bin/bash
# bench/ab.sh: an A/B of two server builds on the embedded store, for "did this commit cost
# anything". Usage: bench/ab.sh NAME_A BIN_A NAME_B BIN_B [ROUNDS]. Each round runs both builds
# (A B, then B A in the next round, so neither always runs first) against a fresh
# `serve --demo` with AB_SCENARIO (default checkout: complete paid orders) and the loadgen of
# this checkout; one JSON line per run on stdout (bench/lib.sh report(): ops/s, p50/p99,
# errors, the server's CPU µs per op over the timed run, load average). Compare medians and
# the per-round ratios; the CPU per op is the figure least moved by a busy host.
# Loopback only; each run is bounded (8 s); everything is stopped on exit.
set -u
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { echo "usage: bench/ab.sh NAME_A BIN_A NAME_B BIN_B [ROUNDS]" >&2; exit 2; }
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
names=("$1" "$3")
bins=("$2" "$4")
rounds=${5:-3}
SCENARIO=${AB_SCENARIO:-checkout}
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for r in $(seq "$rounds"); do
  order="0 1"
  [ $((r % 2)) -eq 0 ] && order="1 0"
  for i in $order; do
    bin=${bins[$i]}
    serve_start "$BENCH_DIR/db" "$BENCH_DIR/log" --demo || exit 1
    run_loadgen "$SCENARIO" "$SERVE_PID" "http://127.0.0.1:$SERVE_PORT"
    kill "$SERVE_PID"
    wait "$SERVE_PID" 2>/dev/null
    SERVE_PID=
    rm -f "$BENCH_DIR"/db*
    report build="${names[$i]}" round="$r"
  done
done
