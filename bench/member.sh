#!/bin/bash
# bench/member.sh: paid orders with member pricing beside the same orders without (issue 16).
# Usage: bench/member.sh [BUILD_DIR] [ROUNDS]. Each round runs the `hot` loadgen scenario (one
# SKU of the demo owner's shop, checkout with payment, sandbox completion, until paid) twice
# against a fresh `serve --demo` each: with `--members 1` (the shop has a card with a 5%-off
# level and every buyer claimed one before the timed run, so every checkout runs the member
# stage) and without; the order of the two alternates by round. One JSON line per run on stdout
# (bench/lib.sh report()); compare the medians of CPU µs per paid order. Points are earned at
# completion, which this loop does not reach: it measures the member price stage and the card
# lookup, not the points journal. Loopback only; each run is bounded (8 s).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
rounds=${2:-3}
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
bin=$BUILD/xiaodian
lg=$BUILD/bench/loadgen
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
base_flags=$LOADGEN_FLAGS
ab_arm() {
  LOADGEN_FLAGS="$base_flags --members $1"
  demo_run hot || return 1
  report members="$1" round="$2"
}
ab_rounds "$rounds"
