#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — the whole benchmark suite (bench/README.md), run by `make bench`.
#
# Builds nothing: uses BUILD_DIR/xiaodian, BUILD_DIR/bench/pipeline_bench and
# BUILD_DIR/bench/loadgen. Runs the store pipeline benchmark, then starts a fresh demo server
# on a free loopback port with a temp database, loads it with wrk and loadgen (reads, paid
# orders, then the flash-sale / group-buy / coupon storms with 512 connections), stops it, runs
# `xiaodian check` on its database and fills `invariants_ok`. Every JSON line goes to
# bench/results/latest.json; a table goes to stdout. BENCH_SHORT=1 cuts every run to ~3 s.
set -euo pipefail

BUILD=${1:?usage: bench/run.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHORT=${BENCH_SHORT:-0}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
XIAODIAN=$BUILD/xiaodian
PIPELINE=$BUILD/bench/pipeline_bench
LOADGEN=$BUILD/bench/loadgen
for bin in "$XIAODIAN" "$PIPELINE" "$LOADGEN"; do
  [[ -x $bin ]] || { echo "bench: missing $bin (run 'make build' first)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "bench: curl is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 1; }

if [[ $SHORT == 1 ]]; then
  READ_S=3 WRITE_S=3 PIPE_S=0.3 PROMO_ATTEMPTS=30000 GROUP_S=3
else
  READ_S=10 WRITE_S=15 PIPE_S=1.5 PROMO_ATTEMPTS=100000 GROUP_S=10
fi
# The promo storms (flash, groupbuy, coupon, member) run with this many connections; flash and coupon
# sell 10,000 units / coupons to 12,000 buyers registered up front, PROMO_ATTEMPTS attempts
# in all (bounded by 30 s too).
PROMO_CONNECTIONS=${BENCH_PROMO_CONNECTIONS:-512}

. "$HERE/lib.sh"
bench_workdir bench

mkdir -p "$HERE/results"
LINES=$WORK/lines.json
: >"$LINES"
emit() { tee -a "$LINES" >&2; }

# Share of the last minute some runnable task waited for a CPU (Linux PSI); -1 if unknown.
cpu_pressure() { awk -F'avg60=' '/^some/ { split($2, a, " "); print a[1]; found = 1 } END { if (!found) print -1 }' /proc/pressure/cpu 2>/dev/null || echo -1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${BENCH_PORT:-18181}
for _ in $(seq 1 50); do port_busy "$PORT" || break; PORT=$((PORT + 1)); done
port_busy "$PORT" && { echo "bench: no free port near 18181" >&2; exit 1; }
URL=http://127.0.0.1:$PORT

jq -cn --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg git "$(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg cpus "$(nproc)" --arg short "$SHORT" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
  --arg psi "$(cpu_pressure)" \
  '{bench:"meta",date:$date,git:$git,cpus:($cpus|tonumber),short:($short=="1"),loadavg_1m_before:($load|tonumber),
    cpu_pressure_avg60_before:($psi|tonumber)}' | emit

echo "== pipeline_bench (store group commit vs raw SQLite, ${PIPE_S}s per run, median of 3)" >&2
"$PIPELINE" --max-seconds "$PIPE_S" --reps 3 --dir "$WORK" | emit

echo "== starting xiaodian on $URL" >&2
"$XIAODIAN" serve --db "$WORK/bench.db" --listen "127.0.0.1:$PORT" --demo --fast-hash --threads 2 --log-level warn \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
  curl -sf "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "bench: server died" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$URL/healthz" >/dev/null || { echo "bench: server did not answer /healthz" >&2; exit 1; }

# wrk's latency figures carry their unit (us, ms, s); convert to ms.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
if command -v wrk >/dev/null; then
  echo "== wrk -t2 -c$CONNECTIONS -d${READ_S}s --latency $URL/healthz" >&2
  wrk -t2 -c"$CONNECTIONS" -d"${READ_S}s" --latency "$URL/healthz" >"$WORK/wrk.txt"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")
  errs=$(awk '/Non-2xx|Socket errors/ { print }' "$WORK/wrk.txt" | tr '\n' ' ')
  jq -cn --argjson rps "$rps" --argjson p50 "$(to_ms "$p50")" --argjson p99 "$(to_ms "$p99")" --arg errs "$errs" --argjson c "$CONNECTIONS" \
    --argjson d "$READ_S" \
    '{bench:"wrk_healthz",connections:$c,duration_s:$d,requests_per_s:$rps,p50_ms:$p50,p99_ms:$p99,errors:$errs}' | emit
else
  echo "bench: wrk not installed, skipping wrk_healthz" >&2
fi

run_loadgen() {  # scenario duration_s [more loadgen flags]
  local scenario=$1 duration=$2
  shift 2
  echo "== loadgen --scenario $scenario --connections $CONNECTIONS --duration-s $duration $*" >&2
  timeout $((duration + 60)) "$LOADGEN" --url "$URL" --scenario "$scenario" --connections "$CONNECTIONS" --duration-s "$duration" "$@" | emit
}
run_loadgen healthz "$READ_S"
run_loadgen product "$READ_S"
run_loadgen search "$READ_S"
# Paid orders: checkout that starts the payment (the cashier's one round trip), then the same
# with a separate POST /orders/{id}/pay, then one hot SKU.
run_loadgen checkout "$WRITE_S"
run_loadgen checkout "$WRITE_S" --pay separate
run_loadgen hot "$WRITE_S"
run_promo() {  # scenario duration_s [more loadgen flags]
  local scenario=$1 duration=$2
  shift 2
  echo "== loadgen --scenario $scenario --connections $PROMO_CONNECTIONS --duration-s $duration $*" >&2
  timeout $((duration + 90)) "$LOADGEN" --url "$URL" --scenario "$scenario" --connections "$PROMO_CONNECTIONS" \
    --duration-s "$duration" "$@" | emit
}
run_promo flash 30 --max-ops "$PROMO_ATTEMPTS" --promo-stock 10000
run_promo groupbuy "$GROUP_S" --group-size 5
run_promo coupon 30 --max-ops "$PROMO_ATTEMPTS" --promo-stock 10000
# The launch-day queue at the counter: 2,000 buyers claim a membership card limited to 1,000.
run_promo member 30 --max-ops 2000 --promo-stock 1000

# Other processes on the machine skew every figure: record how busy it was.
jq -cn --arg load "$(cut -d' ' -f1 /proc/loadavg)" --arg psi "$(cpu_pressure)" \
  '{bench:"meta_end",loadavg_1m_after:($load|tonumber),cpu_pressure_avg60_after:($psi|tonumber)}' | emit
curl -s "$URL/metrics" >"$WORK/metrics.txt" || true
metric() { awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }' "$WORK/metrics.txt"; }
jq -cn --argjson commands "$(metric xd_pipeline_commands_total)" --argjson batches "$(metric xd_pipeline_batches_total)" \
  --argjson max "$(metric xd_pipeline_batch_size_max)" --argjson us "$(metric xd_pipeline_batch_us_total)" \
  '{bench:"server_pipeline",commands:$commands,batches:$batches,mean_batch:(if $batches > 0 then ($commands/$batches*10|round/10) else 0 end),
    max_batch_seen:$max,writer_busy_us_per_command:(if $commands > 0 then ($us/$commands|round) else 0 end)}' | emit

echo "== stopping the server, then xiaodian check" >&2
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
ok=false
if "$XIAODIAN" check --db "$WORK/bench.db" >"$WORK/check.json" 2>"$WORK/check.err"; then ok=true; fi
jq -c --argjson ok "$ok" '{bench:"check",invariants_ok:$ok,report:.}' "$WORK/check.json" 2>/dev/null | emit ||
  jq -cn --argjson ok "$ok" --arg err "$(cat "$WORK/check.err")" '{bench:"check",invariants_ok:$ok,error:$err}' | emit

jq -c --argjson ok "$ok" 'if .bench == "loadgen" then .invariants_ok = $ok else . end' "$LINES" >"$HERE/results/latest.json"

echo
jq -r '
  def r(x): if x == null then "-" else (x * 10 | round / 10 | tostring) end;
  if .bench == "pipeline" or .bench == "sqlite_raw" then
    "\(.bench)\tbatch \(.max_batch)\t\(r(.commands_per_s)) commands/s\tmean batch \(r(.mean_batch))\truns \(.runs_commands_per_s | map(tostring) | join(","))"
  elif .bench == "wrk_healthz" then
    "wrk healthz\tc=\(.connections)\t\(r(.requests_per_s)) req/s\tp50 \(r(.p50_ms)) ms\tp99 \(r(.p99_ms)) ms"
  elif .bench == "loadgen" then
    "loadgen \(.scenario)\(if .pay == "separate" then "/separate-pay" else "" end)\tc=\(.connections)\t\(r(.ops_per_s)) ops/s\tp50 \(r(.p50_ms)) ms\tp99 \(r(.p99_ms)) ms\tp99.9 \(r(.p999_ms)) ms\terrors \(.errors) \(.error_codes | tostring)\tinvariants_ok \(.invariants_ok)" +
    (if .exact == null then "" elif .scenario == "groupbuy" then
       "\texact \(.exact): \(.seats_paid) seats in \(.groups) groups, \(.groups_succeeded) succeeded, \(.groups_overfilled) over-filled"
     else "\texact \(.exact): \(.successes) successes, refused \(.refusals | tostring)" end)
  elif .bench == "server_pipeline" then
    "server pipeline\t\(.commands) commands in \(.batches) batches\tmean batch \(.mean_batch)\tmax \(.max_batch_seen)\twriter \(.writer_busy_us_per_command) us/command"
  elif .bench == "check" then "xiaodian check\tinvariants_ok \(.invariants_ok)"
  elif .bench == "meta" then "machine\t\(.cpus) cpus\tloadavg before \(.loadavg_1m_before)\tcpu pressure avg60 \(.cpu_pressure_avg60_before)%\tgit \(.git)\t\(.date)"
  elif .bench == "meta_end" then "machine\tafter the load runs\tloadavg \(.loadavg_1m_after)\tcpu pressure avg60 \(.cpu_pressure_avg60_after)%"
  else empty end' "$HERE/results/latest.json" | column -t -s $'\t'
echo
echo "results: $HERE/results/latest.json"
# The promo storms must come out exact (every unit / coupon sold once, no group over-filled).
exact_ok=$(jq -s 'all(.[]; .exact != false)' "$HERE/results/latest.json")
[[ $exact_ok == true ]] || echo "bench: a promo scenario did not come out exact (see \"exact\")" >&2
[[ $ok == true && $exact_ok == true ]]
