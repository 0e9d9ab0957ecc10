#!/usr/bin/env bash
# Benchmarks the release build on this machine with wrk (-t1, on the same cores), next to
# nginx serving a static JSON file in the same run, and prints one table: per provider its
# cheapest GET and its creating POST (a durable commit each) at 1 and 32 connections, with
# requests/s, p50 and p99, the GETs as a ratio to nginx measured just before them (the
# machine drifts by tens of percent within minutes: each ratio compares neighbours in time);
# then the health GET, start-up time to the first 200, idle and loaded RSS, and the callback
# delay from completion to arrival.
# Needs wrk and nginx (apt-get install wrk nginx-light).
# Usage: scripts/bench.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 2; }
command -v nginx >/dev/null || { echo "needs nginx: apt-get install nginx-light"; exit 2; }

swift build -c release --product paysandbox >/dev/null
bin="$(swift build -c release --show-bin-path)/paysandbox"
work=$(mktemp -d /tmp/paysandbox-bench-XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# --- start-up: process start to the first 200 (store opened, migrated, seeded) ---
startup_ms=$(python3 - "$bin" "$work" "$(free_port)" <<'PY'
import socket, subprocess, sys, time
binary, work, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
best = []
for i in range(5):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--port", str(port), "--db", f"{work}/startup{i}.sqlite", "--no-provider-ports", "--log-level", "error", "--host", "127.0.0.1"])
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            time.sleep(0.0005)
    best.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
print(f"{min(best):.1f} (median {sorted(best)[2]:.1f})")
PY
)

# --- the sandbox under load ---
port=$(free_port)
"$bin" --port "$port" --db "$work/bench.sqlite" --no-provider-ports --log-level warning --host 127.0.0.1 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; [ -f "$work/nginx.pid" ] && kill $(cat "$work/nginx.pid") 2>/dev/null; true' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/_sandbox/health" >/dev/null 2>&1 && break; sleep 0.05; done
sleep 1
idle_rss_kib=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

# nginx serving a static JSON of the same size, as the reference
nport=$(free_port)
mkdir -p "$work/www"
curl -fsS "http://127.0.0.1:$port/_sandbox/health" >"$work/www/health.json"
cat >"$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$nport; default_type application/json; root $work/www; keepalive_requests 1000000; }
}
NGX
nginx -c "$work/nginx.conf"
sleep 0.3

B="http://127.0.0.1:$port"
json() { python3 -c "import json,sys;print(json.load(sys.stdin)$1)"; }
# What each provider's calls need: tokens, a client, one object to read.
pcx_token=$(curl -fsS "$B/projectcx/rest2/login" -d '{"username":"sandbox","password":"sandbox-secret"}' | json '["auth_token"]')
pcx_order=$(curl -fsS "$B/projectcx/rest2/payment/create" -H "Authorization: Bearer $pcx_token" \
  -d '{"amount":10000,"callback":"http://127.0.0.1:9/cb"}' | json '["orderId"]')
basic="Basic $(printf sandbox:sandbox-secret | base64)"
pxt_client=$(curl -fsS "$B/payxtoday/api/v1/1/sandbox-secret/clients/create" -d 'name=Bench&id_country=102&e_mail=bench@example.com' | json '["data"]["id_client"]')
ac_token=$(curl -fsS "$B/alphacomm/oauth/v2/token?client_id=sandbox&client_secret=sandbox-secret&grant_type=client_credentials" | json '["access_token"]')
curl -fsS "$B/alphacomm/api/paypal/create" -H "Authorization: Bearer $ac_token" --data-binary @Tests/Fixtures/Alphacomm/create-request.json >/dev/null

post_script() { # file, path, content type, body, extra header line
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.path = "$2"
wrk.body = [[$4]]
wrk.headers["Content-Type"] = "$3"
$5
LUA
}
post_script "$work/pcx.lua" /projectcx/rest2/payment/create application/json \
  '{"amount":10000,"description":"Bench","info":"Payment","callback":"http://127.0.0.1:9/cb"}' "wrk.headers[\"Authorization\"] = \"Bearer $pcx_token\""
post_script "$work/ptm.lua" /paytomat/api/v1/create_transaction application/json \
  '{"ref":"125","currency_in":"USD","currency_out":"BTC","amount_in":100}' "wrk.headers[\"Authorization\"] = \"$basic\""
post_script "$work/cen.lua" /census/api/v1/payments/orders application/x-www-form-urlencoded \
  'person_id=1%40census&description=Bench&amount=1000&campaign_code=bench&payment_method_type=existing_payment_method&payment_method_id=2' ""
post_script "$work/pxt.lua" /payxtoday/api/v1/1/sandbox-secret/payments/create application/x-www-form-urlencoded \
  "id_client=$pxt_client&price=290&period=12&description=Bench" ""
# Alphacomm: every request a new paymentId (a repeated one is answered from the store). The
# request is formatted once around a placeholder as long as the id; each call only joins the
# two halves and the id (formatting and substituting in a 1.3 KB body per request had cost the
# client, on the same two cores, a third of what the server spends).
python3 - "$work/alc.lua" "$ac_token" <<'PY'
import json, sys
body = json.load(open("Tests/Fixtures/Alphacomm/create-request.json"))
body["paymentId"] = "PAYMENTID" + "X" * 27
open(sys.argv[1], "w").write("""
local body = [==[%s]==]
local n = 0
local run = string.format("%%08x", math.random(0, 0x7fffffff))
local head, tail
request = function()
  if not head then
    local whole = wrk.format("POST", "/alphacomm/api/paypal/create",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
    local i, j = whole:find("PAYMENTIDXXXXXXXXXXXXXXXXXXXXXXXXXXX", 1, true)
    head, tail = whole:sub(1, i - 1), whole:sub(j + 1)
  end
  n = n + 1
  return head .. run .. string.format("-d9cb-469f-a165-%%012x", n) .. tail
end
""" % (json.dumps(body), sys.argv[2]))
PY
printf 'wrk.headers["Authorization"] = "%s"\n' "$basic" > "$work/ptm-get.lua"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$ac_token" > "$work/alc-get.lua"
: > "$work/none.lua"

run() { # url, connections, lua script -> "req/s p50 p99"
  wrk -t1 -c"$2" -d"${secs}s" --latency -s "$3" "$1" 2>/dev/null | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    END {printf "%d %s %s", rps, p50, p99}'
}

ref="http://127.0.0.1:$nport/health.json"
printf '%-10s %-58s %4s %9s %9s %9s %9s %7s\n' provider call conns "req/s" p50 p99 "nginx" "×nginx"
row() { # provider, label, url, lua, is_get
  for c in 1 32; do
    local n="" ratio="-" nrps="-"
    if [ "$5" = get ]; then n=$(run "$ref" "$c" "$work/none.lua"); nrps=${n%% *}; fi
    local r; r=$(run "$3" "$c" "$4")
    local rps=${r%% *} rest=${r#* }
    if [ "$5" = get ]; then ratio=$(python3 -c "print(f'{$rps/$nrps:.2f}')"); fi
    printf '%-10s %-58s %4s %9s %9s %9s %9s %7s\n' "$1" "$2" "$c" "$rps" "${rest% *}" "${rest#* }" "$nrps" "$ratio"
  done
}
row sandbox "GET /_sandbox/health (store read)" "$B/_sandbox/health" "$work/none.lua" get
row projectcx "GET /payment?orderId= (payer page; the API has no GET)" "$B/projectcx/payment?orderId=$pcx_order" "$work/none.lua" get
row projectcx "POST /rest2/payment/create (Bearer)" "$B/projectcx/rest2/payment/create" "$work/pcx.lua" post
row paytomat "GET /api/v1/currencies (Basic)" "$B/paytomat/api/v1/currencies" "$work/ptm-get.lua" get
row paytomat "POST /api/v1/create_transaction (Basic)" "$B/paytomat/api/v1/create_transaction" "$work/ptm.lua" post
row census "GET /api/v1/payments/payment_methods/1" "$B/census/api/v1/payments/payment_methods/1" "$work/none.lua" get
row census "POST /api/v1/payments/orders (existing method)" "$B/census/api/v1/payments/orders" "$work/cen.lua" post
row payxtoday "GET /api/v1/{id}/{key}/options" "$B/payxtoday/api/v1/1/sandbox-secret/options" "$work/none.lua" get
row payxtoday "POST /api/v1/{id}/{key}/payments/create" "$B/payxtoday/api/v1/1/sandbox-secret/payments/create" "$work/pxt.lua" post
row alphacomm "GET /api/paypal/status/{id} (Bearer)" "$B/alphacomm/api/paypal/status/31e5fa51-2475-455d-b0ad-5febd25434c5" "$work/alc-get.lua" get
row alphacomm "POST /api/paypal/create (Bearer, schema-validated)" "$B/alphacomm/api/paypal/create" "$work/alc.lua" post
echo
echo "start-up to first 200: ${startup_ms} ms"
echo "idle RSS: $((idle_rss_kib / 1024)) MiB ($idle_rss_kib KiB)"
echo "loaded RSS after the runs: $(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
echo
echo "callbacks, completion to arrival at a local receiver (scripts/bench-deliveries.py, 3000 payments paced at 500/s):"
python3 scripts/bench-deliveries.py "$bin" 3000 8 500 2>/dev/null | grep -E "received|deliveries/s"
echo "a page of 100 Paytomat transactions over 1,000,000 stored: scripts/bench-paytomat.py $bin (builds the rows, a few minutes)"
