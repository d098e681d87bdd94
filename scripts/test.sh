#!/usr/bin/env bash
# `make test`: every test, twice — the release build (unit, API, crash and browser tests, on
# SQLite and on PostgreSQL), and under ASan+UBSan (unit and API tests on SQLite). Output ends with
# ctest's summary lines and the exit code of the first part that failed.
# The ASan pass leaves out the `_pg` twins of the API tests and the multi-node test (issue 13
# allows it; CI's budget is 30 minutes on 2 cores): the PostgreSQL store's own C++ still runs
# under the sanitizers in store_test and timers_test, which run each test on both backends.
#
# The two browser suites spend about half their time waiting (on the browser, timers, the shop's
# event flushes): they run in the background from the start, beside the ASan tree's compile and
# the other tests, so the machine's second core is not idle behind them. Nothing in them is timed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
jobs=$(nproc)
# A CI run once failed because the disk filled up under PostgreSQL; say what there was.
# Each phase says when it starts (UTC) and how long the script has run: CI's log then shows
# where its time went.
phase() { echo "== $* ($(date -u +%H:%M:%S), ${SECONDS} s in)"; }
disk() { echo "disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free; build trees $(du -sh "$build" "$asan" 2>/dev/null | awk '{printf "%s %s  ", $2, $1}')"; }
disk

phase "release: browser tests (SQLite and PostgreSQL), in the background"
setsid ctest --test-dir "$build" -j 2 -R "^browser_e2e" --output-on-failure >"$build/browser.log" 2>&1 &
browser=$!
# Its own process group (setsid), stopped with us: an interrupted `make test` leaves no suite running.
trap 'kill -- -$browser 2>/dev/null' INT TERM

phase "ASan+UBSan: build"
make --no-print-directory build-asan ASAN_BUILD="$asan" JOBS="$jobs"
asan_rc=$?
if [ $asan_rc -eq 0 ]; then
  phase "ASan+UBSan: unit and API tests (SQLite)"
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$asan" -j "$jobs" --output-on-failure -E 'browser_e2e|_pg$' >"$asan/ctest.log" 2>&1
  asan_rc=$?
  if [ $asan_rc -ne 0 ]; then cat "$asan/ctest.log"; else tail -3 "$asan/ctest.log"; fi
fi
disk

phase "release: unit, API and crash tests"
ctest --test-dir "$build" -j "$jobs" --output-on-failure -E '^browser_e2e'
rc=$?

phase "release: browser tests (waiting for them)"
wait $browser
browser_rc=$?
if [ $browser_rc -ne 0 ]; then cat "$build/browser.log"; else tail -4 "$build/browser.log"; fi
disk
phase "done"
if [ $asan_rc -ne 0 ]; then echo "ASan run failed (exit $asan_rc)"; exit $asan_rc; fi
if [ $browser_rc -ne 0 ]; then echo "browser tests failed (exit $browser_rc)"; exit $browser_rc; fi
exit $rc
