#!/bin/bash
# bench/live.sh: the live room stream's fan-out at 2,000 and 10,000 viewers (issue 18).
# Usage: bench/live.sh [BUILD_DIR] [ROUNDS] [VIEWER_COUNTS]. Each run is one `live_bench` (a
# forked server on loopback, N WebSocket viewers, 20 timed pins, 200 slow viewers that never
# read while the host pins 100 times, 200 buyers bursting on the pinned product; it stops by
# itself). Prints each run's JSON line, then one summary line per viewer count with the medians
# over the rounds: pin-to-viewer p50/p99 (ms), server KiB per idle viewer, slow viewers' RSS
# growth, skips and dropped frames. Results: bench/results/live-fanout.jsonl (gitignored).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
rounds=${2:-3}
counts=${3:-"2000 10000"}
out=bench/results/live-fanout.jsonl
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for n in $counts; do
  for r in $(seq "$rounds"); do
    line=$("$BUILD/bench/live_bench" --viewers "$n" --rounds 20 --slow 200 --buyers 200 --live-stock 100)
    echo "$line"
    echo "$line" >>"$out"
  done
done
python3 - "$out" "$rounds" $counts <<'PY'
import json, statistics, sys
path, rounds, counts = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]
runs = [json.loads(l) for l in open(path) if l.strip()]
for n in counts:
    mine = [r for r in runs if r["viewers"] == n][-rounds:]
    if not mine:
        continue
    med = lambda f: statistics.median(f(r) for r in mine)
    print(json.dumps({"summary": "live", "viewers": n, "runs": len(mine),
                      "connected_median": med(lambda r: r["connected"]),
                      "pin_p50_ms_median": med(lambda r: r["pin_to_viewer_ms"]["p50"]),
                      "pin_p99_ms_median": med(lambda r: r["pin_to_viewer_ms"]["p99"]),
                      "kib_per_idle_viewer_median": med(lambda r: r["server_kib_per_idle_viewer"]),
                      "slow_rss_growth_kib_median": med(lambda r: r["slow_rss_growth_kib"]),
                      "skips_median": med(lambda r: r["skips"]),
                      "dropped_frames_median": med(lambda r: r.get("dropped_frames", -1)),
                      "all_rounds_received": all(r["pin_rounds_all_received"] == r["pin_rounds"] for r in mine),
                      "burst_exact": all(r["burst"]["exact"] for r in mine)}))
PY
