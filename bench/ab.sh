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

ab_arm() {
  bin=${bins[$1]}
  demo_run "$SCENARIO" || return 1
  report build="${names[$1]}" round="$2"
}
ab_rounds "$rounds"
