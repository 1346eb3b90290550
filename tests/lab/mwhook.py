#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mwhook: a notify receiver for the lab tests, in both forms minewalld knows.

Python standard library only; every loop is bounded in time.

  serve  an HTTP server (v4 or v6): one JSON line per request in --log, written
         as the request arrives (before any --delay), with the path, the
         X-Minewall-* headers, the parsed body and whether the signature checks
         out against --secret-file (HMAC-SHA256 over the body, the key being
         the file's bytes without trailing white space). Answers --status
         after --delay seconds. Exits after --lifetime seconds.
  exec   what an exec receiver runs: reads the document from stdin, appends one
         JSON line to --out (the document, uid, capability sets, no_new_privs,
         the MINEWALL_* environment), says something on stderr, sleeps
         --sleep seconds, exits --exit.
"""

import argparse
import hashlib
import hmac
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

PROG = "mwhook"


def load_key(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read().rstrip(b"\r\n \t")


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer's own looks up the address's name: no resolver in a lab namespace.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def make_handler(args, key, lock):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            if n < 0 or n > 1 << 20:
                n = 0
            body = self.rfile.read(n)
            sig = self.headers.get("X-Minewall-Signature")
            ok = None
            if key is not None:
                want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
                ok = sig is not None and hmac.compare_digest(sig, want)
            try:
                doc = json.loads(body)
            except ValueError as e:
                doc = {"unparsable": str(e)}
            rec = {
                "time": time.time(),
                "path": self.path,
                "event": self.headers.get("X-Minewall-Event"),
                "delivery": self.headers.get("X-Minewall-Delivery"),
                "signature": sig,
                "signature_ok": ok,
                "content_type": self.headers.get("Content-Type"),
                "body": doc,
            }
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
            if args.delay > 0:
                time.sleep(args.delay)
            try:
                self.send_response(args.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")
            except OSError:
                pass

    return Handler


def cmd_serve(args):
    key = load_key(args.secret_file)
    lock = threading.Lock()
    Server.address_family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    srv = Server((args.listen, args.port), make_handler(args, key, lock))
    srv.timeout = 0.2
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        srv.handle_request()
    srv.server_close()
    return 0


def caps():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Uid"):
                out[k] = v.strip()
    return out


def cmd_exec(args):
    data = sys.stdin.buffer.read(1 << 20)
    try:
        doc = json.loads(data)
    except ValueError as e:
        doc = {"unparsable": str(e)}
    rec = {
        "time": time.time(),
        "uid": os.getuid(),
        "status": caps(),
        "env": {k: v for k, v in os.environ.items()},
        "argv": sys.argv[1:],
        "doc": doc,
    }
    with open(args.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    sys.stderr.write("%s: exec receiver says: exiting %d\n" % (PROG, args.exit))
    sys.stderr.flush()
    if args.sleep > 0:
        time.sleep(args.sleep)
    return args.exit


def main(argv):
    p = argparse.ArgumentParser(prog=PROG)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", default="::")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--status", type=int, default=200)
    s.add_argument("--delay", type=float, default=0.0)
    s.add_argument("--secret-file")
    s.add_argument("--ready")
    s.add_argument("--lifetime", type=float, default=120.0)
    e = sub.add_parser("exec")
    e.add_argument("--out", required=True)
    e.add_argument("--exit", type=int, default=0)
    e.add_argument("--sleep", type=float, default=0.0)
    args = p.parse_args(argv)
    return cmd_serve(args) if args.cmd == "serve" else cmd_exec(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
