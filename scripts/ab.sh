#!/usr/bin/env bash
# A/B of two paysandbox binaries, alternated (this machine drifts by tens of percent within
# minutes, so only neighbours in time compare): Paytomat's GET currencies (Basic), Census's GET
# payment method and Project CX's creating POST, each at 32 connections with wrk.
# Usage: scripts/ab.sh OLD_BINARY NEW_BINARY [rounds, default 4] [seconds per run, default 5]
# Prints each run, then per load: both means and B's change against A, round by round, with
# its 95% confidence interval.
# (build the old one from a worktree: git worktree add /tmp/old REV; cd /tmp/old;
#  swift build -c release --product paysandbox)
set -u
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
mkdir -p /tmp/ab
A=$1; B=$2; rounds=${3:-4}; secs=${4:-5}
run_one() { # bin label
  local port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$1" --port $port --host 127.0.0.1 --db :memory: --no-provider-ports --log-level error & local pid=$!
  for i in $(seq 100); do curl -fsS -m1 http://127.0.0.1:$port/_sandbox/health >/dev/null 2>&1 && break; sleep 0.05; done
  local tok=$(curl -fsS http://127.0.0.1:$port/projectcx/rest2/login -d '{"username":"sandbox","password":"sandbox-secret"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["auth_token"])')
  printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf sandbox:sandbox-secret | base64)" > /tmp/ab/ptm.lua
  printf 'wrk.method="POST"\nwrk.body=[[{"amount":10000,"callback":"http://127.0.0.1:9/cb"}]]\nwrk.headers["Content-Type"]="application/json"\nwrk.headers["Authorization"]="Bearer %s"\n' "$tok" > /tmp/ab/pcx.lua
  local g=$(wrk -t1 -c32 -d${secs}s -s /tmp/ab/ptm.lua http://127.0.0.1:$port/paytomat/api/v1/currencies 2>/dev/null | awk '/Requests\/sec/{print int($2)}')
  local c=$(wrk -t1 -c32 -d${secs}s http://127.0.0.1:$port/census/api/v1/payments/payment_methods/1 2>/dev/null | awk '/Requests\/sec/{print int($2)}')
  local p=$(wrk -t1 -c32 -d${secs}s -s /tmp/ab/pcx.lua http://127.0.0.1:$port/projectcx/rest2/payment/create 2>/dev/null | awk '/Requests\/sec/{print int($2)}')
  kill $pid; wait $pid 2>/dev/null
  echo "$2 paytomat-GET $g census-GET $c projectcx-POST $p"
}
# Each round's B against its own A (neighbours in time), then the mean of those changes with a
# 95% confidence interval (Student's t): "within noise" when the interval holds 0.
for r in $(seq $rounds); do run_one "$A" A; run_one "$B" B; done | tee /dev/stderr | python3 -c '
import math, statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
a = [r for r in rows if r[0] == "A"]; b = [r for r in rows if r[0] == "B"]
t95 = [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11,
       2.10, 2.09, 2.09]
for column, name in ((2, "paytomat-GET"), (4, "census-GET"), (6, "projectcx-POST")):
    pairs = [(int(x[column]), int(y[column])) for x, y in zip(a, b) if int(x[column]) > 0]
    mean_a = statistics.mean(x for x, _ in pairs); mean_b = statistics.mean(y for _, y in pairs)
    changes = [100 * (y / x - 1) for x, y in pairs]
    line = f"{name}: A {mean_a:.0f}  B {mean_b:.0f}  change {statistics.mean(changes):+.1f}%"
    if len(changes) > 1:
        half = t95[min(len(changes) - 2, len(t95) - 1)] * statistics.stdev(changes) / math.sqrt(len(changes))
        low, high = statistics.mean(changes) - half, statistics.mean(changes) + half
        verdict = "within noise" if low <= 0 <= high else "measurable"
        line += f" (95% CI {low:+.1f}% .. {high:+.1f}%: {verdict})"
    print(line)
'
