#!/usr/bin/env python3
"""Paytomat listing benchmark: 1,000,000 stored transactions for one merchant, then
wrk on GET /api/v1/transactions?order_by=-updated&limit=100 (Basic auth) at 1 and 32
connections. Prints requests/s and p50/p99. Needs wrk.

Usage: scripts/bench-paytomat.py BINARY [ROWS] [SECONDS]"""
import base64, os, random, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request

binary = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
secs = sys.argv[3] if len(sys.argv) > 3 else "5"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(db, port):
    p = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", "--db", db, "--no-provider-ports", "--log-level", "error"])
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1); return p
        except OSError: time.sleep(0.05)
    raise SystemExit("sandbox did not start")

work = tempfile.mkdtemp(prefix="paysandbox-paytomat-")
db = f"{work}/db.sqlite"
p = start(db, free_port()); p.terminate(); p.wait()        # migrate and seed

t0 = time.time()
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=OFF")
base = int(time.time() * 1000) - rows * 1000
statuses = ["new", "pending", "confirmation", "success", "cancelled", "failure", "timeout"]
batch = []
for i in range(rows):
    created = base + i * 1000
    updated = created + random.randint(0, 3_600_000)
    batch.append((1, f"{i:020x}", f"O{i}", f"O{i}_{created // 1000}", random.choice(statuses), "Bench", created, updated,
                  "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "USD", "BTC", "100", "0.00231214", "0.00002312",
                  "bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy?amount=0.00231214"))
    if len(batch) == 50_000:
        con.executemany("""INSERT INTO paytomat_transactions (merchant, code, order_id, ref, status, comment, created, updated, address,
            currency_in, currency_out, amount_in, amount_out, rate, qr_code) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", batch)
        batch = []
if batch:
    con.executemany("""INSERT INTO paytomat_transactions (merchant, code, order_id, ref, status, comment, created, updated, address,
        currency_in, currency_out, amount_in, amount_out, rate, qr_code) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", batch)
con.commit(); con.execute("PRAGMA wal_checkpoint(TRUNCATE)"); con.close()
print(f"stored {rows} transactions in {time.time() - t0:.1f} s ({os.path.getsize(db) // (1 << 20)} MiB)")

port = free_port()
p = start(db, port)
try:
    auth = "Basic " + base64.b64encode(b"sandbox:sandbox-secret").decode()
    url = f"http://127.0.0.1:{port}/paytomat/api/v1/transactions?order_by=-updated&limit=100"
    req = urllib.request.Request(url, headers={"Authorization": auth})
    t = time.perf_counter(); body = urllib.request.urlopen(req).read(); first = (time.perf_counter() - t) * 1000
    print(f"first page: {len(body)} bytes in {first:.1f} ms")
    for c in (1, 32):
        out = subprocess.run(["wrk", "-t1", f"-c{c}", f"-d{secs}s", "--latency", "-H", f"Authorization: {auth}", url],
                             capture_output=True, text=True).stdout
        rps = next(l.split()[1] for l in out.splitlines() if "Requests/sec" in l)
        p50 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("50%"))
        p99 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("99%"))
        print(f"GET transactions?order_by=-updated&limit=100, c{c}: {rps} req/s, p50 {p50}, p99 {p99}")
finally:
    p.terminate(); p.wait()
