#!/usr/bin/env python3
"""Runs the docs' shell examples as a newcomer pastes them, in order, so that a doc that
drifts from the server fails the test run (scripts/test.sh runs this).

Every ```sh block of README.md and docs/*.md is run, but a block the doc marks with
`<!-- not run: why -->` on the line before it (one that starts a server of its own, talks to
another host, or runs your own test suite). The blocks of one document run in one bash, in
order (a variable set in one is there in the next), with `set -euo pipefail`, against one
sandbox started here on a free port (`localhost:8080` in the text is that port), reset before
each document: every document starts from a fresh sandbox. `curl` fails on an HTTP error
(`--fail-with-body`): an example that means to show one says so in its own command
(`|| echo …`). `paysandbox ARGS` starts this binary with ARGS on a free port, in memory, and
checks that it answers. `open` (a browser) does nothing. The working folder is a new one
holding `Tests/` and `examples/` (the files some examples send or start from).

Usage: scripts/docs-examples.py BINARY
"""

import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.abspath(sys.argv[1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_health(port):
    for _ in range(400):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.05)
    return False


PRELUDE = r"""
set -euo pipefail
curl() { command curl --fail-with-body --max-time 15 "$@"; }
open() { echo "(open $*: a browser's job)"; }
paysandbox() {
  local port pid
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$PAYSANDBOX_BINARY" "$@" --port "$port" --db :memory: --no-provider-ports --log-level error &
  pid=$!
  for _ in $(seq 200); do command curl -fsS "http://127.0.0.1:$port/_sandbox/health" >/dev/null 2>&1 && break; sleep 0.05; done
  command curl -fsS "http://127.0.0.1:$port/_sandbox/health" >/dev/null || { kill $pid; echo "paysandbox $* did not start"; return 1; }
  kill $pid; wait $pid 2>/dev/null || true
  echo "(paysandbox $* started and answered)"
}
"""


def blocks(path):
    """(line number, text) of each ```sh block to run, and (line, reason) of those not run."""
    lines = open(path).read().split("\n")
    run, skipped = [], []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i + 1
            j = start
            while lines[j].strip() != "```":
                j += 1
            marker = re.match(r"\s*<!-- not run: (.*) -->", lines[i - 1]) if i > 0 else None
            if marker:
                skipped.append((start, marker.group(1)))
            else:
                run.append((start, "\n".join(lines[start:j])))
            i = j
        i += 1
    return run, skipped


def main():
    port = free_port()
    work = tempfile.mkdtemp(prefix="paysandbox-docs-")
    for folder in ("Tests", "examples"):
        os.symlink(os.path.join(root, folder), os.path.join(work, folder))
    server = subprocess.Popen([binary, "--port", str(port), "--host", "127.0.0.1", "--db", ":memory:",
                               "--no-provider-ports", "--log-level", "warning"],
                              stderr=open(os.path.join(work, "server.log"), "w"))
    failed = []
    ran = 0
    try:
        if not wait_health(port):
            print("docs-examples: the sandbox did not start")
            return 1
        for doc in ["README.md"] + sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
            path = doc if os.path.isabs(doc) else os.path.join(root, doc)
            name = os.path.relpath(path, root)
            run, skipped = blocks(path)
            for line, reason in skipped:
                print(f"docs-examples: {name}:{line} not run ({reason})")
            if not run:
                continue
            reset = subprocess.run(["curl", "-fsS", "-X", "POST", f"http://127.0.0.1:{port}/_sandbox/reset"],
                                   capture_output=True)
            if reset.returncode != 0:
                failed.append(f"{name}: the reset before it failed")
                continue
            script = PRELUDE
            for line, text in run:
                script += f"\n# {name}:{line}\n" + text.replace("localhost:8080", f"localhost:{port}") + "\n"
            result = subprocess.run(["bash", "-x", "-c", script], cwd=work, capture_output=True, text=True,
                                    env=dict(os.environ, PAYSANDBOX_BINARY=binary, PS4="+ "), timeout=300)
            ran += len(run)
            if result.returncode == 0:
                print(f"docs-examples: {name}: {len(run)} block(s) passed")
            else:
                trace = [l for l in result.stderr.split("\n") if l.startswith("+ ") and not l.startswith("+ command")]
                print(f"docs-examples: {name}: FAILED (exit {result.returncode}) at: {trace[-1] if trace else '?'}")
                print("\n".join(("    " + l) for l in (result.stdout + result.stderr).strip().split("\n")[-12:]))
                failed.append(name)
    finally:
        server.terminate()
        server.wait()
    print(f"docs-examples: {ran} blocks run, {len(failed)} document(s) failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


sys.exit(main())
