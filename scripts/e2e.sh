#!/usr/bin/env bash
# Browser tests: starts a demo server on a free loopback port with the built front ends,
# runs web/e2e (playwright-core driving Debian's Chromium), stops the server by PID.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/xiaodian}
if [ ! -f web/e2e/run.mjs ]; then echo "no browser tests (web/e2e/run.mjs missing)"; exit 1; fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
"$bin" serve --db "$dir/e2e.db" --listen "127.0.0.1:$port" --demo --web-root web --log-level warn >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
XIAODIAN_URL="http://127.0.0.1:$port" node web/e2e/run.mjs
rc=$?
[ $rc -eq 0 ] || tail -20 "$dir/server.log"
exit $rc
