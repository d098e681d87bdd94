#!/usr/bin/env bash
# Coverage-guided fuzzing of the fuzz/ targets for SECONDS each (default 600), with
#   FUZZ_ENGINE=libfuzzer (default): Debian's clang 16 + libc++ 16, ASan+UBSan, in
#     build-libfuzzer (docs/decisions/005-fuzzing.md says why libc++);
#   FUZZ_ENGINE=afl: AFL++ (gcc plugin, or its classic afl-g++ where the plugin refuses this
#     g++), in build-fuzz.
# Prints one JSON line per target (execs, corpus, crashes). Crashing inputs are copied into
# fuzz/crashes/<target>/; once fixed, move them into fuzz/corpus/<target>/ as regressions.
# New corpus entries stay in the build directory; fuzz/corpus/ holds the committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
targets=${FUZZ_TARGETS:-json route money notify pricing share}
engine=${FUZZ_ENGINE:-libfuzzer}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
targets_to_build=""
for t in $targets; do targets_to_build+=" fuzz_$t"; done
total_crashes=0

if [ "$engine" = libfuzzer ]; then
  dpkg-query -W -f='${Status}' clang-16 libc++-16-dev libc++abi-16-dev libclang-rt-16-dev 2>/dev/null | grep -c 'ok installed' | grep -qx 4 ||
    install clang-16 libc++-16-dev libc++abi-16-dev libclang-rt-16-dev
  CXX=clang++-16 CC=clang-16 cmake -S . -B build-libfuzzer -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXIAODIAN_LIBFUZZER=ON >/dev/null
  cmake --build build-libfuzzer -j "$(nproc)" --target $targets_to_build >/dev/null
  for t in $targets; do
    work=build-libfuzzer/fuzz-$t
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/crashes"
    ASAN_OPTIONS=detect_leaks=0 "build-libfuzzer/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/crashes/" "$work/corpus" "fuzz/corpus/$t" >"$work.log" 2>&1 || true
    execs=$(awk '/stat::number_of_executed_units/{print $2}' "$work.log" | tail -1)
    corpus=$(find "$work/corpus" -type f | wc -l)
    crashes=$(find "$work/crashes" -type f | wc -l)
    if [ "$crashes" -gt 0 ]; then mkdir -p "fuzz/crashes/$t"; cp "$work"/crashes/* "fuzz/crashes/$t/"; fi
    total_crashes=$((total_crashes + crashes))
    echo "{\"fuzzer\":\"libfuzzer (clang-16, ASan+UBSan)\",\"target\":\"$t\",\"seconds\":$seconds,\"execs\":${execs:-0},\"new_corpus\":$corpus,\"crashes\":$crashes}"
  done
else
  command -v afl-fuzz >/dev/null || install afl++
  # The gcc plugin (afl-g++-fast) is the better instrumentation, but Debian's afl++ 4.04c
  # plugin refuses this machine's g++ 12.2.0 ("incompatible versions"); then use the
  # classic assembler-level instrumentation (afl-g++), which works with any g++.
  cxx=afl-g++-fast cc=afl-gcc-fast
  if ! echo 'int main() { return 0; }' | afl-g++-fast -x c++ - -o /tmp/xd-afl-probe >/dev/null 2>&1; then cxx=afl-g++ cc=afl-gcc; fi
  if [ -f build-fuzz/CMakeCache.txt ] && ! grep -q "CMAKE_CXX_COMPILER:.*=.*$cxx\$" build-fuzz/CMakeCache.txt; then rm -rf build-fuzz; fi
  CXX=$cxx CC=$cc cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXIAODIAN_AFL=ON >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target $targets_to_build >/dev/null
  export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_QUIET=1 AFL_NO_AFFINITY=1
  for t in $targets; do
    out=build-fuzz/afl-$t
    rm -rf "$out"
    afl-fuzz -i "fuzz/corpus/$t" -o "$out" -V "$seconds" -- "build-fuzz/fuzz/fuzz_$t" >"$out.log" 2>&1 || true
    stats="$out/default/fuzzer_stats"
    execs=$(awk -F: '/^execs_done/{gsub(/ /,"",$2);print $2}' "$stats" 2>/dev/null || echo 0)
    paths=$(awk -F: '/^corpus_count/{gsub(/ /,"",$2);print $2}' "$stats" 2>/dev/null || echo 0)
    crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    if [ "$crashes" -gt 0 ]; then mkdir -p "fuzz/crashes/$t"; cp "$out"/default/crashes/id:* "fuzz/crashes/$t/"; fi
    total_crashes=$((total_crashes + crashes))
    echo "{\"fuzzer\":\"afl++ ($cxx)\",\"target\":\"$t\",\"seconds\":$seconds,\"execs\":${execs:-0},\"corpus\":${paths:-0},\"crashes\":$crashes}"
  done
fi
[ "$total_crashes" -eq 0 ]
