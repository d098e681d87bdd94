#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ (Debian's afl++, gcc plugin): builds the fuzz targets
# in build-fuzz with afl-g++-fast and runs afl-fuzz on each for SECONDS (default 600).
# Prints one JSON line per target (execs, paths, crashes). Crashing inputs are copied into
# fuzz/crashes/<target>/; once fixed, move them into fuzz/corpus/<target>/ as regressions.
# (Why AFL++ and not libFuzzer: docs/decisions/005-fuzzing-with-afl.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
targets=${FUZZ_TARGETS:-json route money notify pricing share}
command -v afl-fuzz >/dev/null || { apt-get install -y -qq --no-install-recommends afl++ >/dev/null; }
# The gcc plugin (afl-g++-fast) is the better instrumentation, but Debian's afl++ 4.04c plugin
# refuses this machine's g++ 12.2.0 ("incompatible versions"); then use the classic
# assembler-level instrumentation (afl-g++), which works with any g++.
cxx=afl-g++-fast cc=afl-gcc-fast
if ! echo 'int main() { return 0; }' | afl-g++-fast -x c++ - -o /tmp/xd-afl-probe >/dev/null 2>&1; then cxx=afl-g++ cc=afl-gcc; fi
if [ -f build-fuzz/CMakeCache.txt ] && ! grep -q "CMAKE_CXX_COMPILER:.*=.*$cxx\$" build-fuzz/CMakeCache.txt; then rm -rf build-fuzz; fi
CXX=$cxx CC=$cc cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXIAODIAN_AFL=ON >/dev/null
targets_to_build=""
for t in $targets; do targets_to_build+=" fuzz_$t"; done
cmake --build build-fuzz -j "$(nproc)" --target $targets_to_build >/dev/null
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_QUIET=1 AFL_NO_AFFINITY=1
total_crashes=0
for t in $targets; do
  out=build-fuzz/afl-$t
  rm -rf "$out"
  afl-fuzz -i "fuzz/corpus/$t" -o "$out" -V "$seconds" -- "build-fuzz/fuzz/fuzz_$t" >"$out.log" 2>&1 || true
  stats="$out/default/fuzzer_stats"
  execs=$(awk -F: '/^execs_done/{gsub(/ /,"",$2);print $2}' "$stats" 2>/dev/null || echo 0)
  paths=$(awk -F: '/^corpus_count/{gsub(/ /,"",$2);print $2}' "$stats" 2>/dev/null || echo 0)
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "fuzz/crashes/$t"
    cp "$out"/default/crashes/id:* "fuzz/crashes/$t/"
  fi
  total_crashes=$((total_crashes + crashes))
  echo "{\"fuzzer\":\"afl++ ($cxx)\",\"target\":\"$t\",\"seconds\":$seconds,\"execs\":${execs:-0},\"corpus\":${paths:-0},\"crashes\":$crashes}"
done
[ "$total_crashes" -eq 0 ]
