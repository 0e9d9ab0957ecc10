#!/usr/bin/env python3
"""Overload and slow clients: 1,000 open keep-alive connections and 200 slowloris
connections (a header byte every 2 s) held against the server while a normal client
measures latency on a fresh connection; then everything closes and the server must
recover. Prints latencies, RSS and thread counts, then RESULT: ok when the normal client's
p99 stayed under 50 ms throughout, RSS under 512 MiB, and after the close the threads are
back to the idle count (±4) and RSS within 32 MiB of idle; otherwise RESULT: FAILED, exit 1.

Usage: scripts/overload.py BINARY [IDLE] [SLOW] [SECONDS]"""
import http.client, os, resource, socket, statistics, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]
idle_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
slow_count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10

# This client holds every connection open itself: lift its descriptor limit to the hard one.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if hard != resource.RLIM_INFINITY and idle_count + slow_count > hard - 64:
    scale = (hard - 64) / (idle_count + slow_count)
    idle_count, slow_count = int(idle_count * scale), int(slow_count * scale)
    print(f"descriptor limit {hard}: holding {idle_count} idle and {slow_count} slowloris connections instead")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

port = free_port()
work = tempfile.mkdtemp(prefix="paysandbox-overload-")
proc = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", "--db", f"{work}/db.sqlite", "--no-provider-ports", "--log-level", "error"])
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
    except OSError: time.sleep(0.02)

def status():
    fields = {}
    for line in open(f"/proc/{proc.pid}/status"):
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["Threads"])

def probe(n=200):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/_sandbox/health"); r = c.getresponse(); r.read(); c.close()
        assert r.status == 200, r.status
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99s.append(times[int(len(times) * 0.99)])
    return f"p50 {times[len(times) // 2]:.2f} ms, p99 {times[int(len(times) * 0.99)]:.2f} ms, max {times[-1]:.2f} ms"

p99s, peaks = [], []

rss, threads = status()
idle_rss, idle_threads = rss, threads
print(f"idle: RSS {rss} MiB, {threads} threads; normal request latency {probe()}")

idle, refused = [], 0
for _ in range(idle_count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    if not s.recv(4096).startswith(b"HTTP/1.1 200"): refused += 1
    idle.append(s)

def still_open(sockets):
    """How many of `sockets` the server has not closed (a peek that would block: open)."""
    n = 0
    for s in sockets:
        try:
            n += 1 if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) else 0
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n
slow = []
for _ in range(slow_count):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /_sandbox/health HTTP/1.1\r\n"); slow.append(s)
stop = threading.Event()
def drip():
    while not stop.is_set():
        for s in slow:
            try: s.sendall(b"X")
            except OSError: pass
        stop.wait(2)
threading.Thread(target=drip, daemon=True).start()
time.sleep(1)
rss, threads = status()
peaks.append(rss)
print(f"with {idle_count} idle keep-alive + {slow_count} slowloris connections: RSS {rss} MiB, {threads} threads; normal request latency {probe()}")
held = [still_open(idle), still_open(slow)]
time.sleep(seconds)
rss, threads = status()
peaks.append(rss)
print(f"after {seconds:.0f} s more: RSS {rss} MiB, {threads} threads; normal request latency {probe()}")
# Held through the run: the keep-alive timeout (15 s) may close idle ones in a longer run.
held_after = [still_open(idle), still_open(slow)]
print(f"held: idle {held[0]}/{len(idle)} then {held_after[0]}, slowloris {held[1]}/{len(slow)} then {held_after[1]}")
stop.set()
for s in idle + slow: s.close()
time.sleep(1.5)
rss, threads = status()
print(f"after closing them: RSS {rss} MiB, {threads} threads; normal request latency {probe()}")
proc.terminate(); proc.wait()
problems = []
# The latencies mean nothing if the connections were refused or dropped meanwhile.
if refused: problems.append(f"{refused} idle connections not answered 200")
if held != [len(idle), len(slow)]: problems.append(f"only {held} of {len(idle)} idle and {len(slow)} slowloris held")
if seconds < 14 and held_after != [len(idle), len(slow)]:
    problems.append(f"only {held_after} held after {seconds:.0f} s")
if max(p99s) > 50: problems.append(f"a p99 of {max(p99s):.1f} ms")
if max(peaks) > 512: problems.append(f"RSS {max(peaks)} MiB under load")
if abs(threads - idle_threads) > 4: problems.append(f"{threads} threads after the close (idle: {idle_threads})")
if rss > idle_rss + 32: problems.append(f"RSS {rss} MiB after the close (idle: {idle_rss})")
print("RESULT: " + ("ok" if not problems else "FAILED: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
