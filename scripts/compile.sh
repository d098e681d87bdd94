#!/usr/bin/env bash
# Builds one configured build directory: `scripts/compile.sh DIR JOBS`.
#
# A CI run once stopped on a compile that failed without printing a word (bench/live_bench.cc,
# which compiles cleanly everywhere else): the signature of a compiler killed from outside, for
# memory or disk. So the build says how much disk and memory it starts with, and a failed
# parallel build is retried once with one job: a compile killed for lack of resources gets a
# second chance alone, and a real compile error fails again, printed on its own.
set -uo pipefail
dir=$1
jobs=${2:-$(nproc)}
echo "build $dir: $(df -h --output=avail . | tail -1 | tr -d ' ') disk free, $(free -m | awk '/^Mem:/{print $7}') MiB memory available, $jobs jobs"
cmake --build "$dir" -j "$jobs" && exit 0
[ "$jobs" -gt 1 ] || exit 1
echo "build $dir: failed with $jobs jobs; $(df -h --output=avail . | tail -1 | tr -d ' ') disk free, $(free -m | awk '/^Mem:/{print $7}') MiB memory available; retrying with 1 job"
cmake --build "$dir" -j 1
