#!/usr/bin/env bash
# Benchmarks the release build on this machine with wrk, next to nginx serving a static
# JSON file, and prints requests/s, p99 latency, the ratio to nginx, start-up time to the
# first 200 and idle RSS. Needs wrk and nginx (apt-get install wrk nginx-light).
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

token=$(curl -fsS "http://127.0.0.1:$port/projectcx/rest2/login" -H 'Content-Type: application/json' \
  -d '{"username":"sandbox","password":"sandbox-secret"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["auth_token"])')
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"amount":10000,"description":"Bench","info":"Payment","callback":"http://127.0.0.1:9/cb"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA

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

run() { # url, connections, extra wrk args... -> "req/s p99"
  local url=$1 c=$2; shift 2
  wrk -t1 -c"$c" -d"${secs}s" --latency "$@" "$url" 2>/dev/null | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {p99=$2}
    END {printf "%s %s", rps, p99}'
}

printf '%-44s %12s %10s %12s %8s\n' "case" "req/s" "p99" "nginx req/s" "ratio"
row() { # label, sandbox result, nginx result
  local label=$1 s=$2 n=$3
  local srps=${s% *} sp99=${s#* } nrps=${n% *}
  printf '%-44s %12s %10s %12s %8s\n' "$label" "$srps" "$sp99" "$nrps" "$(python3 -c "print(f'{$srps/$nrps:.2f}')")"
}
get="http://127.0.0.1:$port/_sandbox/health"
ref="http://127.0.0.1:$nport/health.json"
post="http://127.0.0.1:$port/projectcx/rest2/payment/create"
row "GET  /_sandbox/health (store read), c1" "$(run "$get" 1)" "$(run "$ref" 1)"
row "GET  /_sandbox/health (store read), c32" "$(run "$get" 32)" "$(run "$ref" 32)"
row "GET  Connection: close, c32" "$(run "$get" 32 -H 'Connection: close')" "$(run "$ref" 32 -H 'Connection: close')"
row "POST payment/create (auth+insert), c1" "$(run "$post" 1 -s "$work/post.lua")" "$(run "$ref" 1)"
row "POST payment/create (auth+insert), c32" "$(run "$post" 32 -s "$work/post.lua")" "$(run "$ref" 32)"
echo
echo "start-up to first 200: ${startup_ms} ms"
echo "idle RSS: $((idle_rss_kib / 1024)) MiB ($idle_rss_kib KiB)"
echo "busy RSS after the runs: $(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
