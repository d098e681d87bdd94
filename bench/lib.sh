# bench/lib.sh: shell functions shared by the bench scripts. Source it from the repository root;
# the functions that write files want BENCH_DIR (a temp directory the caller removes) set first.
# Loopback only. Needs python3, curl and psql (postgresql-client).

# bench_workdir NAME: for a script that starts its own server (run.sh, feed.sh, bi.sh): a scratch
# directory WORK, and SERVER_PID for the server the script starts; on exit (or INT/TERM) the
# server is stopped if it still runs and WORK is removed.
bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/xd-$1.XXXXXX")
  SERVER_PID=
  trap bench_workdir_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_workdir_cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

lg=build/bench/loadgen
bin=build/xiaodian
TCK=$(getconf CLK_TCK)

# pg_start: a private durable PostgreSQL cluster (fsync and full-page writes on). Sets PG_URL,
# PG_TOOL (the xd_pg_cluster process: SIGTERM stops the cluster and removes it) and
# PG_POSTMASTER (the postmaster's pid: the one postgres process whose command line names the port).
pg_start() {
  build/tests/xd_pg_cluster --durable >"$BENCH_DIR/pg.url" 2>"$BENCH_DIR/pg.err" &
  PG_TOOL=$!
  for _ in $(seq 300); do [ -s "$BENCH_DIR/pg.url" ] && break; sleep 0.2; done
  PG_URL=$(cat "$BENCH_DIR/pg.url")
  [ -n "$PG_URL" ] || { cat "$BENCH_DIR/pg.err" >&2; return 1; }
  local port=${PG_URL##*:}
  port=${port%%/*}
  PG_POSTMASTER=$(python3 - "$port" <<'EOF'
import os, sys
for p in filter(str.isdigit, os.listdir('/proc')):
    try:
        a = open(f'/proc/{p}/cmdline', 'rb').read().split(b'\0')
    except OSError:
        continue
    if a[0].endswith(b'/postgres') and b'-p' in a and sys.argv[1].encode() in a:
        print(p)
EOF
)
  [ -n "$PG_POSTMASTER" ] || { echo "bench: no postmaster on port $port" >&2; return 1; }
}

pg_stop() {
  [ -n "${PG_TOOL:-}" ] && kill "$PG_TOOL" 2>/dev/null && wait "$PG_TOOL" 2>/dev/null
  PG_TOOL=
}

# pg_fresh_schema: drops and recreates the database's public schema (a fresh store per run).
pg_fresh_schema() {
  psql "$PG_URL" -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION pg_trgm;" >/dev/null 2>&1
}

# pg_cpu_ticks: CPU (user + system, clock ticks) of the whole cluster: the postmaster, its
# children that have exited (the postmaster's cutime + cstime: it reaps them) and its live
# children (backends, checkpointer, WAL writer, ...), found by their parent pid.
pg_cpu_ticks() {
  [ -n "${PG_POSTMASTER:-}" ] || { echo 0; return; }
  python3 - "$PG_POSTMASTER" <<'EOF'
import os, sys
pm = sys.argv[1]
def stat(p):
    s = open(f'/proc/{p}/stat').read()
    return s[s.rindex(')') + 2:].split()  # fields from 3 (state) on; comm may hold spaces
f = stat(pm)
total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime (fields 14-17)
for p in filter(str.isdigit, os.listdir('/proc')):
    try:
        g = stat(p)
    except OSError:
        continue
    if g[1] == pm:  # ppid (field 4)
        total += int(g[11]) + int(g[12])
print(total)
EOF
}

# cpu_ticks PID...: user + system ticks summed over live processes.
cpu_ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo $t
}

# sample_cmd OUT PID...: a shell command for loadgen --on-start / --on-end (so the window is
# exactly the timed run, not the setup) that writes "<app ticks> <PostgreSQL ticks> <load1>" to OUT.
sample_cmd() {
  local out=$1
  shift
  echo "bash -c '. bench/lib.sh; PG_POSTMASTER=${PG_POSTMASTER:-}; echo \$(cpu_ticks $*) \$(pg_cpu_ticks) \$(load1)' > $out"
}

# run_loadgen SCENARIO "PID..." URL...: loadgen over the URLs (connections spread over them),
# with the CPU of the PIDs and of the cluster sampled at the edges of the timed run. Its line
# goes to $BENCH_DIR/lg.out, its stderr to $BENCH_DIR/lg.err; report() reads them.
run_loadgen() {
  local sc=$1 pids=$2
  shift 2
  local urls=() u
  for u in "$@"; do urls+=(--url "$u"); done
  # flash: stop before the 10,000 units sell out, so every attempt is a sale on every backend
  # (SQLite sold out within a second and then answered mostly cheap per-user-limit refusals).
  [ "$sc" = flash ] && urls+=(--max-ops "${FLASH_MAX_OPS:-8000}")
  rm -f "$BENCH_DIR/c0" "$BENCH_DIR/c1"
  $lg "${urls[@]}" --scenario "$sc" $LOADGEN_FLAGS \
    --on-start "$(sample_cmd "$BENCH_DIR/c0" $pids)" --on-end "$(sample_cmd "$BENCH_DIR/c1" $pids)" \
    >"$BENCH_DIR/lg.out" 2>"$BENCH_DIR/lg.err"
}

# report KEY=VALUE...: one JSON line for the last run_loadgen: the given fields, loadgen's
# headline figures, CPU per op of the app servers and of PostgreSQL (µs, over the timed run),
# the 1-minute load average at its start and end, and loadgen's whole line under "loadgen".
report() {
  python3 - "$BENCH_DIR" "$TCK" "$@" <<'EOF'
import json, sys
d, tck, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
out = {}
for kv in extra:
    k, v = kv.split('=', 1)
    out[k] = int(v) if v.isdigit() else v
lines = [l for l in open(f'{d}/lg.out') if l.startswith('{')]
if not lines:
    out['failed'] = open(f'{d}/lg.err').read()[-2000:]
    print(json.dumps(out, ensure_ascii=False))
    sys.exit()
j = json.loads(lines[-1])
a0, p0, l0 = open(f'{d}/c0').read().split()
a1, p1, l1 = open(f'{d}/c1').read().split()
ops, secs, us = max(j['ops'], 1), j['duration_s'], 1e6 / tck
out.update(scenario=j['scenario'], ops_per_s=j['ops_per_s'], p50_ms=j['p50_ms'], p99_ms=j['p99_ms'],
           errors=j['errors'], app_cpu_us_per_op=round((int(a1) - int(a0)) * us / ops),
           pg_cpu_us_per_op=round((int(p1) - int(p0)) * us / ops),
           app_cpu_cores=round((int(a1) - int(a0)) / tck / secs, 2),
           pg_cpu_cores=round((int(p1) - int(p0)) / tck / secs, 2),
           load_start=float(l0), load_end=float(l1))
for k in ('exact', 'successes', 'refused', 'stock_left', 'groups_overfilled', 'groups_inconsistent'):
    if k in j:
        out[k] = j[k]
if j['scenario'] == 'flash':  # none oversold: what sold is what the activity lost
    out['flash_consistent'] = j.get('successes', -1) + j.get('stock_left', -1) == j.get('flash_stock')
out['loadgen'] = j
print(json.dumps(out, ensure_ascii=False))
EOF
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# serve_start DB LOGFILE [flags...]: starts `xiaodian serve` on a free loopback port; waits for
# /healthz. Sets SERVE_PID and SERVE_PORT. SERVE_FLAGS (e.g. "--pg-writers 1") go to every server.
SERVE_FLAGS=${SERVE_FLAGS:-}
serve_start() {
  local db=$1 log=$2
  shift 2
  SERVE_PORT=$(free_port)
  $bin serve --db "$db" --listen 127.0.0.1:$SERVE_PORT --fast-hash --log-level warn $SERVE_FLAGS "$@" >"$log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 600); do
    curl -sf 127.0.0.1:$SERVE_PORT/healthz >/dev/null && return 0
    kill -0 $SERVE_PID 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: serve on $db did not come up; log:" >&2
  tail -20 "$log" >&2
  return 1
}

# demo_run SCENARIO [serve flags...]: a fresh `$bin serve --demo` (with the flags), the loadgen
# scenario against it, then the server stopped and its database removed; report() reads the run.
demo_run() {
  local sc=$1
  shift
  serve_start "$BENCH_DIR/db" "$BENCH_DIR/log" --demo "$@" || return 1
  run_loadgen "$sc" "$SERVE_PID" "http://127.0.0.1:$SERVE_PORT"
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null
  SERVE_PID=
  rm -f "$BENCH_DIR"/db*
}

# ab_rounds ROUNDS: calls the caller's `ab_arm ARM ROUND` for arms 0 and 1 in every round, in
# the order 0 1, then 1 0 in the next round, so neither arm always runs first on a host that
# warms up or gets busier. A failed arm stops the bench.
ab_rounds() {
  local r i order
  for r in $(seq "$1"); do
    order="0 1"
    [ $((r % 2)) -eq 0 ] && order="1 0"
    for i in $order; do
      ab_arm "$i" "$r" || exit 1
    done
  done
}

# Loadgen flags per scenario: every run bounded at 8 s, 64 connections. The promo scenarios
# sell 10,000 units (flash) to 12,000 buyers registered before the clock starts (fast hashes).
LOADGEN_FLAGS=${LOADGEN_FLAGS:-"--connections 64 --duration-s 8 --grace-s 10"}

load1() { cut -d' ' -f1 /proc/loadavg; }

# pg_log: the cluster's server log (the directory the postmaster was started in, -D DIR/data).
pg_log() {
  local dir
  dir=$(tr '\0' '\n' <"/proc/$PG_POSTMASTER/cmdline" | grep -A1 -x -- -D | tail -1)
  echo "${dir%/data}/server.log"
}

# pg_deadlocks: "deadlock detected" errors in the cluster's log so far. (pg_stat_database's
# counter lags: a backend reports it when it next goes idle, and a writer retrying inside its
# transaction does not.) Sample it once every node has stopped to count a run's.
pg_deadlocks() {
  local n
  n=$(grep -c 'deadlock detected' "$(pg_log)" 2>/dev/null)
  echo "${n:-0}"
}
