#!/usr/bin/env bash
# `make test`: every test, twice — under ASan+UBSan (unit and API tests on SQLite), then the
# release build (unit, API, crash and browser tests, on SQLite and on PostgreSQL). Output ends
# with ctest's summary line.
# The ASan pass leaves out the `_pg` twins of the API tests and the multi-node test (issue 13
# allows it; CI's budget is 30 minutes on 2 cores): the PostgreSQL store's own C++ still runs
# under the sanitizers in store_test and timers_test, which run each test on both backends.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
jobs=$(nproc)
# A CI run once failed because the disk filled up under PostgreSQL; say what there was.
disk() { echo "disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free; build trees $(du -sh "$build" "$asan" 2>/dev/null | awk '{printf "%s %s  ", $2, $1}')"; }
disk

echo "== ASan+UBSan: unit and API tests (SQLite)"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$asan" -j "$jobs" --output-on-failure -E 'browser_e2e|_pg$' >"$asan/ctest.log" 2>&1
asan_rc=$?
disk
if [ $asan_rc -ne 0 ]; then cat "$asan/ctest.log"; else tail -3 "$asan/ctest.log"; fi

echo "== release: unit, API, crash and browser tests"
ctest --test-dir "$build" -j "$jobs" --output-on-failure
rc=$?
disk
if [ $asan_rc -ne 0 ]; then echo "ASan run failed (exit $asan_rc)"; exit $asan_rc; fi
exit $rc
