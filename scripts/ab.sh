#!/usr/bin/env bash
# A/B of two paysandbox binaries, alternated (this machine drifts by tens of percent within
# minutes, so only neighbours in time compare): Paytomat's GET currencies (Basic), Census's GET
# payment method and Project CX's creating POST, each at 32 connections with wrk. Each load runs
# on A and on B back to back (a fresh server each), A first in odd rounds and B first in even
# ones, so that a drift during a pair does not favour one side.
# Usage: scripts/ab.sh OLD_BINARY NEW_BINARY [rounds, default 4] [seconds per run, default 5]
# Prints each run, then per load: both means and B's change against A, pair by pair, with its
# 95% confidence interval ("within noise" when the interval holds 0).
# (build the old one from a worktree: git worktree add /tmp/old REV; cd /tmp/old;
#  swift build -c release --product paysandbox)
set -u
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
mkdir -p /tmp/ab
A=$1; B=$2; rounds=${3:-4}; secs=${4:-5}
printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf sandbox:sandbox-secret | base64)" > /tmp/ab/ptm.lua
run_one() { # binary label load
  local port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$1" --port $port --host 127.0.0.1 --db :memory: --no-provider-ports --log-level error & local pid=$!
  for i in $(seq 100); do curl -fsS -m1 http://127.0.0.1:$port/_sandbox/health >/dev/null 2>&1 && break; sleep 0.05; done
  local url script=()
  case $3 in
    paytomat-GET) url=/paytomat/api/v1/currencies; script=(-s /tmp/ab/ptm.lua) ;;
    census-GET) url=/census/api/v1/payments/payment_methods/1 ;;
    projectcx-POST)
      local tok=$(curl -fsS http://127.0.0.1:$port/projectcx/rest2/login -d '{"username":"sandbox","password":"sandbox-secret"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["auth_token"])')
      printf 'wrk.method="POST"\nwrk.body=[[{"amount":10000,"callback":"http://127.0.0.1:9/cb"}]]\nwrk.headers["Content-Type"]="application/json"\nwrk.headers["Authorization"]="Bearer %s"\n' "$tok" > /tmp/ab/pcx.lua
      url=/projectcx/rest2/payment/create; script=(-s /tmp/ab/pcx.lua) ;;
  esac
  local rate=$(wrk -t1 -c32 -d${secs}s "${script[@]}" http://127.0.0.1:$port$url 2>/dev/null | awk '/Requests\/sec/{print int($2)}')
  kill $pid; wait $pid 2>/dev/null
  echo "$2 $3 ${rate:-0}"
}
for r in $(seq $rounds); do
  for load in paytomat-GET census-GET projectcx-POST; do
    if [ $((r % 2)) -eq 1 ]; then run_one "$A" A $load; run_one "$B" B $load
    else run_one "$B" B $load; run_one "$A" A $load; fi
  done
done | tee /dev/stderr | python3 -c '
import math, statistics, sys
runs = [line.split() for line in sys.stdin if line.strip()]
t95 = [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11,
       2.10, 2.09, 2.09]
for load in ("paytomat-GET", "census-GET", "projectcx-POST"):
    a = [int(r[2]) for r in runs if r[0] == "A" and r[1] == load]
    b = [int(r[2]) for r in runs if r[0] == "B" and r[1] == load]
    pairs = [(x, y) for x, y in zip(a, b) if x > 0 and y > 0]
    if not pairs:
        print(f"{load}: no runs")
        continue
    changes = [100 * (y / x - 1) for x, y in pairs]
    line = (f"{load}: A {statistics.mean(x for x, _ in pairs):.0f}  B {statistics.mean(y for _, y in pairs):.0f}"
            f"  change {statistics.mean(changes):+.1f}%")
    if len(changes) > 1:
        half = t95[min(len(changes) - 2, len(t95) - 1)] * statistics.stdev(changes) / math.sqrt(len(changes))
        low, high = statistics.mean(changes) - half, statistics.mean(changes) + half
        verdict = "within noise" if low <= 0 <= high else "measurable"
        line += f" (95% CI {low:+.1f}% .. {high:+.1f}%: {verdict})"
    print(line)
'
