#!/bin/bash
# bench/live_storm.sh: the stream's coalescing of counts and likes, before/after (issue 18,
# "coalescing of likes and counts"). Usage: bench/live_storm.sh [BUILD_DIR] [ROUNDS] [VIEWERS]
# [LIKERS]. Per round, two `live_bench` runs in alternating order (ab_rounds): with coalescing
# (the server's defaults: counts at most once a second, state re-reads at most 20 a second per
# room) and with --no-coalesce (counts every 1 ms, re-reads up to 1,000 a second); each opens
# VIEWERS reading WebSocket viewers, pins 5 times, then LIKERS signed-in viewers tap likes as
# fast as their requests go for 10 s. Prints each run's JSON line and, per arm, the medians of
# frames per viewer over the storm and server CPU. SQLite, loopback; results:
# bench/results/live-storm.jsonl (gitignored).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
rounds=${2:-3}
viewers=${3:-1000}
likers=${4:-20}
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
out=bench/results/live-storm.jsonl
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
trap 'rm -rf "$BENCH_DIR"' EXIT
ab_arm() {
  local line
  line=$("$BUILD/bench/live_bench" --viewers "$viewers" --rounds 5 --slow 0 --buyers 0 \
    --likers "$likers" --storm-s 10 --no-coalesce "$1") || return 1
  echo "$line"
  echo "$line" >>"$out"
}
ab_rounds "$rounds" || exit 1
python3 - "$out" "$rounds" "$viewers" <<'PY'
import json, statistics, sys
path, rounds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = [r for r in (json.loads(l) for l in open(path) if l.strip())
        if r["viewers"] == n and r.get("like_storm")]
for coalesce in (True, False):
    mine = [r for r in runs if r["coalesce"] == coalesce][-rounds:]
    if not mine:
        continue
    med = lambda f: statistics.median(f(r["like_storm"]) for r in mine)
    print(json.dumps({"summary": "live_storm", "coalesce": coalesce, "viewers": n, "runs": len(mine),
                      "taps_per_s_median": med(lambda s: s["taps_per_s"]),
                      "frames_per_viewer_median": med(lambda s: s["frames_per_viewer"]),
                      "counts_frames_per_viewer_median": med(lambda s: s["counts_frames_per_viewer"]),
                      "server_cpu_s_median": med(lambda s: s["server_cpu_s"]),
                      "server_cpu_ms_per_tap_median": med(lambda s: s["server_cpu_ms_per_tap"])}))
PY
