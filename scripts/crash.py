#!/usr/bin/env python3
"""Crash durability: several clients create Project CX payments that settle at once
(X-PaySandbox-Outcome: success, so each queues a callback) while the server is killed with
SIGKILL at random moments. After every restart, every payment answered 200 must be there,
and at the end every callback of a completed payment must have reached the local receiver
(at least once).

Usage: scripts/crash.py BINARY [CYCLES] [CLIENTS]"""
import http.client, http.server, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 5
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 4

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

received = set()
lock = threading.Lock()
class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock: received.add(self.path.split("order=")[-1])
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass

rport = free_port()
class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass   # a killed sandbox resets its connections

receiver = QuietServer(("127.0.0.1", rport), Receiver)
receiver.daemon_threads = True
threading.Thread(target=receiver.serve_forever, daemon=True).start()

work = tempfile.mkdtemp(prefix="paysandbox-crash-")
db = f"{work}/db.sqlite"
port = free_port()

def start():
    p = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", "--db", db, "--no-provider-ports",
                          "--log-level", "error", "--delivery-backoff", "0.2"])
    for _ in range(400):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", "/_sandbox/health")
            if c.getresponse().status == 200: return p
        except OSError: time.sleep(0.01)
    raise SystemExit("did not start")

acknowledged = {}          # orderId -> amount
ack_lock = threading.Lock()
stop = threading.Event()

def client(n):
    seq = 0
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("POST", "/projectcx/rest2/login", json.dumps({"username": "sandbox", "password": "sandbox-secret"}), {"Content-Type": "application/json"})
            token = json.loads(c.getresponse().read())["auth_token"]
            while not stop.is_set():
                seq += 1
                tag = f"{n}-{seq}"
                amount = 100 + (seq % 50) * 100          # never a magic amount
                c.request("POST", "/projectcx/rest2/payment/create",
                          json.dumps({"amount": amount, "callback": f"http://127.0.0.1:{rport}/cb?order={tag}"}),
                          {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-PaySandbox-Outcome": "success"})
                r = c.getresponse(); body = r.read()
                if r.status == 200:
                    with ack_lock: acknowledged[json.loads(body)["orderId"]] = (tag, amount)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            time.sleep(0.02)

proc = start()
threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
for t in threads: t.start()
lost_total = 0
for cycle in range(cycles):
    time.sleep(random.uniform(0.3, 1.5))
    proc.send_signal(signal.SIGKILL); proc.wait()
    with ack_lock: snapshot = dict(acknowledged)
    proc = start()
    c = http.client.HTTPConnection("127.0.0.1", port)
    stored = {}
    offset = 0
    while True:
        c.request("GET", f"/_sandbox/payments?provider=projectcx&limit=1000&offset={offset}")
        page = json.loads(c.getresponse().read())["payments"]
        for p in page: stored[p["id"]] = p
        if len(page) < 1000: break
        offset += 1000
    lost = [o for o in snapshot if o not in stored]
    changed = [o for o in snapshot if o in stored and stored[o]["amount"] != f"{snapshot[o][1] // 100}.{snapshot[o][1] % 100:02d}"]
    lost_total += len(lost) + len(changed)
    print(f"cycle {cycle + 1}: killed; {len(snapshot)} acknowledged payments, {len(lost)} missing, {len(changed)} changed after restart")
stop.set()
for t in threads: t.join(timeout=5)
# Everything due must be sent: settle jobs run at once, callbacks retried quickly.
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("POST", "/_sandbox/clock/advance", json.dumps({"seconds": 60}), {"Content-Type": "application/json"}); c.getresponse().read()
deadline = time.time() + 30
with ack_lock: expected = {tag for tag, _ in acknowledged.values()}
while time.time() < deadline and not expected <= received: time.sleep(0.2)
missing = expected - received
proc.terminate(); proc.wait(); receiver.shutdown()
print(f"callbacks: {len(expected) - len(missing)}/{len(expected)} received after {cycles} kills")
# Nothing acknowledged proves nothing (a broken login or create): that fails too.
problems = []
if not expected: problems.append("no payment was acknowledged: nothing was tested")
if lost_total: problems.append(f"{lost_total} lost or changed")
if missing: problems.append(f"{len(missing)} callbacks missing")
print("RESULT: " + ("ok" if not problems else "FAILED (" + ", ".join(problems) + ")"))
sys.exit(0 if not problems else 1)
