#!/usr/bin/env bash
# Browser tests: starts a demo server on a free loopback port with the built front ends,
# runs web/e2e (playwright-core driving Debian's Chromium), stops the server by PID.
# Usage: e2e.sh [xiaodian binary] [xd_pg_cluster binary]. With the second, the server's store is
# a private PostgreSQL cluster that tool starts (and stops when we stop it), else SQLite.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/xiaodian}
pg_tool=${2:-}
if [ ! -f web/e2e/run.mjs ]; then echo "no browser tests (web/e2e/run.mjs missing)"; exit 1; fi
dir=$(mktemp -d)
pid=
pg_pid=
trap '[ -n "$pid" ] && { kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; }
      [ -n "$pg_pid" ] && { kill -TERM $pg_pid 2>/dev/null; wait $pg_pid 2>/dev/null; }
      rm -rf "$dir"' EXIT
db="$dir/e2e.db"
if [ -n "$pg_tool" ]; then
  "$pg_tool" >"$dir/pg.url" 2>"$dir/pg.log" </dev/null &
  pg_pid=$!
  for _ in $(seq 1 600); do
    [ -s "$dir/pg.url" ] && break
    kill -0 $pg_pid 2>/dev/null || break
    sleep 0.1
  done
  db=$(head -1 "$dir/pg.url")
  if [ -z "$db" ]; then echo "PostgreSQL did not start:"; cat "$dir/pg.log"; exit 1; fi
fi
echo "store: $db"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --demo --web-root web --log-level warn >"$dir/server.log" 2>&1 &
pid=$!
# Up to 120 s while the server lives (a hang bound: it starts beside a compile in `make test`).
for _ in $(seq 1 1200); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 $pid 2>/dev/null || { echo "the server exited:"; cat "$dir/server.log"; exit 1; }
  sleep 0.1
done
XIAODIAN_URL="http://127.0.0.1:$port" node web/e2e/run.mjs
rc=$?
[ $rc -eq 0 ] || tail -20 "$dir/server.log"
exit $rc
