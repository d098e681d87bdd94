#!/usr/bin/env bash
# Breakdowns of the 1M-order store: trading-computed (before) vs analytics (after), same ranges.
# Used in session 17 (bench/README.md, "Breakdowns from order gaps"): BEFORE and AFTER are two
# xiaodian binaries, DB a copy of the bench/bi.sh store at BEFORE's schema; AFTER migrates it.
# Usage: bench/bi-compare.sh DB BEFORE_BIN AFTER_BIN OUT_FILE   (the JSON kept in $WORK)
set -u
DB=$1; BEFORE=$2; AFTER=$3; OUT=$4
WORK=${WORK:-$(mktemp -d)}
fetch() {  # BIN LABEL
  local port=18731
  local t0=$(date +%s%N)
  "$1" serve --db "$DB" --listen "127.0.0.1:$port" --no-analytics --fast-hash --threads 2 --log-level info > $WORK/serve-$2.log 2>&1 &
  local pid=$!
  for _ in $(seq 6000); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  echo "$2 serve_start_s $(( ($(date +%s%N) - t0) / 1000000 ))e-3" | tee -a "$OUT"
  python3 - $port $2 "$WORK" <<'PY'
import datetime, http.client, json, sys
port, label, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def call(method, path, body=None, tok=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    h = {'Content-Type': 'application/json'}
    if tok: h['Authorization'] = 'Bearer ' + tok
    c.request(method, path, json.dumps(body) if body else None, h)
    r = c.getresponse(); return r.status, json.loads(r.read())
st, b = call('POST', '/api/v1/auth/login', {'phone': '13900000001', 'password': 'demo123'})
tok = b['token']
china = datetime.timezone(datetime.timedelta(hours=8))
today = datetime.datetime.now(china).date()
d = lambda k: today - datetime.timedelta(days=k)
ranges = [('', ''), (d(89), today), (d(16), d(10)), (d(80), d(36)), (d(3), d(3)), (today, today), (d(60), d(2))]
out = {}
for f, t in ranges:
    q = f'?from={f}&to={t}' if f else ''
    st, b = call('GET', '/api/v1/merchant/insights/breakdowns' + q, tok=tok)
    assert st == 200, (st, b)
    out[f'{f}..{t}'] = {k: b[k] for k in ('customers', 'cohorts', 'members', 'shares', 'chat_groups', 'live_rooms', 'leaders', 'stores', 'coupons', 'group_buy')}
json.dump(out, open(f'{work}/bd-{label}.json', 'w'), indent=1, sort_keys=True, ensure_ascii=False)
print(label, 'ranges', len(out))
PY
  kill $pid; wait $pid 2>/dev/null
}
fetch "$BEFORE" before
fetch "$AFTER" after
if diff "$WORK/bd-before.json" "$WORK/bd-after.json" > "$WORK/bd.diff"; then echo "IDENTICAL" | tee -a "$OUT"; else echo "DIFFERENT: $(wc -l < "$WORK/bd.diff") lines ($WORK/bd.diff)" | tee -a "$OUT"; fi
