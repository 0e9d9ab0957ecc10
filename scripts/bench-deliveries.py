#!/usr/bin/env python3
"""Callback delivery benchmark: creates payments that settle at once (X-PaySandbox-Outcome:
success) and receives their Project CX callbacks on nginx (which logs each arrival with
its wall-clock time), then prints deliveries per second, callbacks that arrived more than
once, and the delay from due (the create call's answer) to received, p50/p99. Needs nginx.

Usage: scripts/bench-deliveries.py BINARY [N] [CONCURRENCY] [RATE]
RATE (payments/s, default 0 = as fast as the clients go) paces the creating clients, to
measure the delay at a load the sandbox keeps up with rather than a backlog's."""
import http.client, json, os, socket, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 8
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

work = tempfile.mkdtemp(prefix="paysandbox-deliveries-")
rport, port = free_port(), free_port()
with open(f"{work}/nginx.conf", "w") as f:
    f.write(f"""worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ log_format t '$msec $request_uri'; access_log {work}/access.log t;
  client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work}; uwsgi_temp_path {work}; scgi_temp_path {work};
  server {{ listen 127.0.0.1:{rport}; keepalive_requests 1000000; location / {{ return 200 "ok"; }} }} }}
""")
subprocess.run(["nginx", "-c", f"{work}/nginx.conf"], check=True)
proc = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", "--db", f"{work}/db.sqlite",
                         "--no-provider-ports", "--log-level", "error"])
try:
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", "/_sandbox/health")
            if c.getresponse().status == 200: break
        except OSError: time.sleep(0.05)
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/projectcx/rest2/login", json.dumps({"username": "sandbox", "password": "sandbox-secret"}),
              {"Content-Type": "application/json"})
    token = json.loads(c.getresponse().read())["auth_token"]

    due = {}
    def worker(indices):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for k, i in enumerate(indices):
            if rate > 0:
                wait = start + (k * concurrency) / rate - time.time()
                if wait > 0: time.sleep(wait)
            body = json.dumps({"amount": 1000, "callback": f"http://127.0.0.1:{rport}/cb?i={i}"})
            conn.request("POST", "/projectcx/rest2/payment/create", body,
                         {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-PaySandbox-Outcome": "success"})
            r = conn.getresponse(); r.read()
            assert r.status == 200, r.status
            due[str(i)] = time.time()
    start = time.time()
    threads = [threading.Thread(target=worker, args=(range(k, n, concurrency),)) for k in range(concurrency)]
    for t in threads: t.start()
    for t in threads: t.join()
    received = {}
    deadline = time.time() + 60
    while len(received) < n and time.time() < deadline:
        time.sleep(0.05)
        with open(f"{work}/access.log") as log:
            for line in log:
                t, uri = line.split()
                received.setdefault(uri.split("i=")[-1], float(t))
    end = max(received.values())
    time.sleep(1)  # a callback sent twice arrives within it
    with open(f"{work}/access.log") as log:
        arrivals = sum(1 for _ in log)
    delays = sorted(max(0.0, received[k] - due[k]) * 1000 for k in received if k in due)
    def pct(p): return delays[min(len(delays) - 1, int(len(delays) * p / 100))]
    pace = f"paced at {rate:.0f}/s" if rate > 0 else "unpaced"
    print(f"callbacks received: {len(received)}/{n} ({concurrency} creating clients, {pace}, receiver nginx)")
    print(f"arrivals: {arrivals} ({arrivals - len(received)} sent more than once)")
    print(f"deliveries/s (first create to last callback): {len(received) / (end - start):.0f}")
    print(f"due -> received: p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {delays[-1]:.1f} ms (nginx logs whole milliseconds)")
finally:
    proc.terminate(); proc.wait()
    subprocess.run(["nginx", "-s", "stop", "-c", f"{work}/nginx.conf"])
