#!/bin/bash
# bench/member.sh: completed orders with member pricing and points beside the same orders without
# (issue 16). Usage: bench/member.sh [BUILD_DIR] [ROUNDS]. Each round runs the `hot` loadgen
# scenario with `--complete 1` (one SKU of the demo owner's shop; checkout with payment, sandbox
# completion, paid; then the shop ships and the buyer confirms, so the order completes) twice
# against a fresh `serve --demo` each: with `--members 1` (the shop has a card with a 5%-off
# level and 1 point per yuan, and every buyer claimed one before the timed run, so every
# checkout runs the member stage and every completion posts points) and without; the order of
# the two alternates by round. One JSON line per run on stdout (bench/lib.sh report()); compare
# the medians of CPU µs per completed order. MEMBER_COMPLETE=0 measures paid orders only (the
# member price stage without points). Loopback only; each run is bounded (8 s).
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
  LOADGEN_FLAGS="$base_flags --members $1 --complete ${MEMBER_COMPLETE:-1}"
  demo_run hot || return 1
  report members="$1" round="$2"
}
ab_rounds "$rounds"
