#!/usr/bin/env bash
# The sandbox's authenticated GET next to nginx returning the same bytes, alternated: the
# ratio issue #29 sets at 0.70. Paytomat's GET /api/v1/currencies with Basic credentials
# (the request path whole: Host and cross-site guards, authentication, faults, the journal)
# against nginx with one worker serving that response's body as a static file, both keep-alive,
# neither logging requests (the sandbox at --log-level warning, nginx with access_log off);
# wrk -t1 -c32 on the same two cores, nginx then the sandbox, ROUNDS times; prints each
# round's req/s and ratio, then the median ratio.
# Needs wrk and nginx (apt-get install wrk nginx-light).
# Usage: [LOG_LEVEL=info] scripts/vs-nginx.sh BINARY [rounds, default 5] [seconds per run, default 5]
# (LOG_LEVEL=info: the sandbox writes its access log, a line per request, to a file)
set -euo pipefail
bin=${1:?usage: scripts/vs-nginx.sh BINARY [ROUNDS] [SECONDS]}
rounds=${2:-5}
secs=${3:-5}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk"; exit 2; }
command -v nginx >/dev/null || { echo "needs nginx: apt-get install nginx-light"; exit 2; }
work=$(mktemp -d /tmp/paysandbox-vs-nginx-XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port)
"$bin" --port "$port" --host 127.0.0.1 --db :memory: --no-provider-ports --log-level "${LOG_LEVEL:-warning}" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$port/_sandbox/health" >/dev/null 2>&1 && break; sleep 0.05; done
url="http://127.0.0.1:$port/paytomat/api/v1/currencies"
mkdir -p "$work/www"
curl -fsS -u sandbox:sandbox-secret "$url" -o "$work/www/currencies"
nport=$(free_port)
cat >"$work/nginx.conf" <<NGX
worker_processes 1;
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
printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf sandbox:sandbox-secret | base64)" >"$work/auth.lua"
rps() { wrk -t1 -c32 -d"${secs}s" "$@" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'; }
echo "body: $(wc -c <"$work/www/currencies") bytes; $rounds rounds of ${secs} s, wrk -t1 -c32"
ratios=()
for r in $(seq "$rounds"); do
  n=$(rps "http://127.0.0.1:$nport/currencies")
  s=$(rps -s "$work/auth.lua" "$url")
  ratio=$(python3 -c "print(f'{$s/$n:.3f}')")
  ratios+=("$ratio")
  echo "round $r: nginx $n req/s, sandbox $s req/s, ratio $ratio"
done
python3 -c "import statistics,sys;print('median ratio', f'{statistics.median(map(float,sys.argv[1:])):.3f}')" "${ratios[@]}"
