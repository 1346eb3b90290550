#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Emulated feed subscribers for tests/bench/feeds-fleet.sh: N kept connections, each
# sending the conditional GET of the index that minewalld sends (same headers) every
# PERIOD seconds, spread evenly, for SECONDS. Prints one line: requests, answers by
# status, errors. Only to load the web server; minewalld's own subscribers are measured
# separately.
import argparse
import resource
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/a/index")
    ap.add_argument("--etag", required=True)
    ap.add_argument("--last-modified", required=True)
    ap.add_argument("--subscribers", type=int, required=True)
    ap.add_argument("--period", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.subscribers + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: minewall/0.1.0\r\nAccept: */*\r\n"
           "If-None-Match: %s\r\nIf-Modified-Since: %s\r\n\r\n"
           % (a.path, a.host, a.port, a.etag, a.last_modified)).encode()
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(a.subscribers):
        s = socket.create_connection((a.host, a.port), timeout=5)
        s.setblocking(False)
        conns.append(s)
        sel.register(s, selectors.EVENT_READ)
    status = {}
    sent = errors = 0
    start = time.monotonic()
    end = start + a.seconds
    # Subscriber i polls at start + i * period / n + k * period.
    nxt = [start + i * a.period / a.subscribers for i in range(a.subscribers)]
    order = 0
    bufs = {s: b"" for s in conns}
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # Send what is due (round robin over the schedule).
        while nxt[order] <= now:
            try:
                conns[order].send(req)
                sent += 1
            except OSError:
                errors += 1
            nxt[order] += a.period
            order = (order + 1) % a.subscribers
        timeout = max(0.0, min(nxt[order], end) - time.monotonic())
        for key, _ in sel.select(timeout):
            s = key.fileobj
            try:
                d = s.recv(65536)
            except OSError:
                errors += 1
                continue
            if not d:
                errors += 1
                sel.unregister(s)
                continue
            b = bufs[s] + d
            # Responses to a conditional GET carry no body when 304.
            while b"\r\n\r\n" in b:
                head, b = b.split(b"\r\n\r\n", 1)
                code = head.split(b" ", 2)[1].decode()
                status[code] = status.get(code, 0) + 1
            bufs[s] = b
    for s in conns:
        s.close()
    print("sent %d answers %s errors %d seconds %.1f" %
          (sent, " ".join("%s:%d" % kv for kv in sorted(status.items())), errors, a.seconds))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
