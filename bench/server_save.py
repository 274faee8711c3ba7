#!/usr/bin/env python3
"""Save-to-diagnostics time of `dormlint server` on a large tree (issue 8's target:
<= 200 ms). A scripted LSP client over stdio: initialize on ROOT, open one view
buffer, then N times append a comment to a models module on disk, send didSave, and
time until the open buffer's diagnostics are published again.

Usage: bench/server_save.py DORMLINT ROOT [RUNS]
Prints each run's milliseconds, then min / median / max.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def send(proc, message):
    body = json.dumps(message).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def read(proc):
    length = None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server closed its output")
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(proc.stdout.read(length))


def wait_for(proc, method, uri=None):
    while True:
        message = read(proc)
        if message.get("method") == method and (
            uri is None or message["params"].get("uri") == uri
        ):
            return message


def main():
    dormlint, root = sys.argv[1], Path(sys.argv[2]).resolve()
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    models = next(root.rglob("django/db/models/query.py"), None) or next(root.rglob("models.py"))
    view = next(p for p in root.rglob("views.py") if "test" not in str(p))
    proc = subprocess.Popen(
        [dormlint, "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
        env={**os.environ, "DORMLINT_CACHE_DIR": "/nonexistent"},
    )
    started = time.perf_counter()
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}})
    while read(proc).get("id") != 1:
        pass
    print(f"initialize (indexing {root.name}): {(time.perf_counter() - started) * 1000:.0f} ms")
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    view_uri = view.as_uri()
    send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": view_uri, "languageId": "python", "version": 1,
                         "text": view.read_text()}}})
    wait_for(proc, "textDocument/publishDiagnostics", view_uri)
    original = models.read_bytes()
    timings = []
    try:
        for run in range(runs):
            models.write_bytes(original + f"\n# touched {run}\n".encode())
            started = time.perf_counter()
            send(proc, {"jsonrpc": "2.0", "method": "textDocument/didSave",
                        "params": {"textDocument": {"uri": models.as_uri()}}})
            wait_for(proc, "textDocument/publishDiagnostics", view_uri)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        models.write_bytes(original)
        send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        send(proc, {"jsonrpc": "2.0", "method": "exit"})
        proc.wait(timeout=10)
    print("save to diagnostics (ms):", " ".join(f"{t:.0f}" for t in timings))
    print(f"min {min(timings):.0f} ms, median {statistics.median(timings):.0f} ms, "
          f"max {max(timings):.0f} ms (target <= 200 ms)")


if __name__ == "__main__":
    main()
