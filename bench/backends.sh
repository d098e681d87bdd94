#!/bin/bash
# bench/backends.sh: loadgen scenarios (product reads, paid-order checkout) against a fresh demo
# server on SQLite and on a private durable PostgreSQL cluster (build/tests/xd_pg_cluster
# --durable: fsync on), rotated SQLite, PostgreSQL, PostgreSQL, SQLite per scenario. One JSON line
# per run on stdout, with the server process's CPU per op (user + system from /proc). Loopback
# only; every run is bounded (8 s). Needs the release build and psql (postgresql-client).
cd "$(dirname "$0")/.."
lg=build/bench/loadgen; bin=build/xiaodian
d=$(mktemp -d)
build/tests/xd_pg_cluster --durable > $d/url 2>$d/err & cp=$!
for i in $(seq 200); do [ -s $d/url ] && break; sleep 0.2; done
U=$(cat $d/url)
run() { # backend scenario db
  port=$((18400 + RANDOM % 300))
  $bin serve --db "$3" --listen 127.0.0.1:$port --demo --log-level warn >$d/log.$1 2>&1 & p=$!
  for i in $(seq 200); do curl -sf 127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  c0=$(awk '{print $14+$15}' /proc/$p/stat)
  r=$($lg --url http://127.0.0.1:$port --scenario $2 --connections 64 --duration-s 8 2>/dev/null | tail -1)
  c1=$(awk '{print $14+$15}' /proc/$p/stat)
  kill $p; wait $p 2>/dev/null
  echo "$r" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps({"backend":"'$1'","scenario":j["scenario"],"ops_per_s":j["ops_per_s"],"p50_ms":j["p50_ms"],"p99_ms":j["p99_ms"],"errors":j["errors"],"server_cpu_us_per_op":round(('$c1'-'$c0')*10000.0/max(j["ops"],1)),"load":float(open("/proc/loadavg").read().split()[0])}))'
}
for sc in product checkout; do
  run sqlite $sc $d/db1; rm -f $d/db1*
  # a fresh schema per run: drop and recreate the database's public schema
  psql "$U" -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION pg_trgm;" >/dev/null 2>&1
  run postgres $sc "$U"
  psql "$U" -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION pg_trgm;" >/dev/null 2>&1
  run postgres $sc "$U"
  run sqlite $sc $d/db2; rm -f $d/db2*
done
kill $cp; wait $cp 2>/dev/null; rm -rf $d
