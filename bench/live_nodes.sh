#!/bin/bash
# bench/live_nodes.sh: the live room stream across two nodes (issue 18, "measure the added
# latency"). Usage: bench/live_nodes.sh [BUILD_DIR] [ROUNDS] [VIEWERS]. Per round: a fresh schema
# on one private durable PostgreSQL cluster (build/tests/xd_pg_cluster --durable), then one
# `live_bench --pg-url`: two forked nodes on it, the viewers alternating between them, the host
# pinning on the first, 200 buyers bursting on the pinned product (alternating between the nodes:
# the live stock must come out exact on both).
# The pin reaches the second node's viewers through PostgreSQL (the store's row notifications,
# Store::WatchRows), the first node's from its own commit. Prints each run's JSON line, then the
# medians over the rounds of p50/p99 for the same node's viewers and the other node's. Loopback
# only; the cluster is stopped on exit. Results: bench/results/live-nodes.jsonl (gitignored).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
rounds=${2:-3}
viewers=${3:-2000}
BENCH_DIR=$(mktemp -d)
. bench/lib.sh
out=bench/results/live-nodes.jsonl
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
trap 'pg_stop; rm -rf "$BENCH_DIR"' EXIT
trap 'exit 130' INT TERM
pg_start || exit 1
for r in $(seq "$rounds"); do
  pg_fresh_schema
  line=$("$BUILD/bench/live_bench" --pg-url "$PG_URL" --viewers "$viewers" --rounds 20 --slow 0 \
    --buyers 200 --live-stock 100)
  echo "$line"
  echo "$line" >>"$out"
done
python3 - "$out" "$rounds" "$viewers" <<'PY'
import json, statistics, sys
path, rounds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = [r for r in (json.loads(l) for l in open(path) if l.strip()) if r["viewers"] == n][-rounds:]
med = lambda f: statistics.median(f(r) for r in runs)
print(json.dumps({"summary": "live_nodes", "viewers": n, "runs": len(runs),
                  "same_node_p50_ms_median": med(lambda r: r["pin_to_viewer_ms_same_node"]["p50"]),
                  "same_node_p99_ms_median": med(lambda r: r["pin_to_viewer_ms_same_node"]["p99"]),
                  "other_node_p50_ms_median": med(lambda r: r["pin_to_viewer_ms_other_node"]["p50"]),
                  "other_node_p99_ms_median": med(lambda r: r["pin_to_viewer_ms_other_node"]["p99"]),
                  "all_rounds_received": all(r["pin_rounds_all_received"] == r["pin_rounds"] for r in runs),
                  "burst_exact": all(r["burst"]["exact"] for r in runs)}))
PY
