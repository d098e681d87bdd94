#!/usr/bin/env bash
# bench/slowloris.sh BUILD_DIR — p99 of normal traffic (loadgen product, 32 connections,
# 8 s) without and then with 5,000 slow idle connections held open by bench/slowloris.py.
# Prints JSON lines. The server runs with a raised fd limit (ulimit -n 20000).
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/slowloris.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IDLE=${IDLE_CONNECTIONS:-5000}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
ulimit -n 20000
"$BUILD/xiaodian" serve --db "$WORK/s.db" --listen "127.0.0.1:$PORT" --demo --fast-hash --log-level warn >"$WORK/log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
run() { "$BUILD/bench/loadgen" --url "http://127.0.0.1:$PORT" --scenario product --connections 32 --duration-s 8 2>/dev/null | tail -1 \
        | jq -c --arg what "$1" '{bench:"slowloris_normal_traffic",with:$what,ops_per_s,p50_ms,p99_ms,p999_ms,errors}'; }
run "no idle connections"
python3 "$HERE/slowloris.py" --port "$PORT" --connections "$IDLE" --seconds 18 &
SL=$!
sleep 3
run "$IDLE slow idle connections"
wait $SL
