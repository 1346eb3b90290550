#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TLS servers and miner-like TLS clients for the prober's lab test (tests/lab/97-probe-tls.sh).

serve: one thread per ADDR:PORT:KIND, TLS with the given certificate, every
connection logged as a JSON line to --log (peer, kind, what it asked).
  pool kinds: cryptonote, bitcoin, ethstratum, ethproxy, getwork: answer
              their dialect as a pool does, "method not found" to the rest
  benign kinds: https (HTTP/1.1 page), jsonrpc-https (an Ethereum node's
              JSON-RPC over HTTPS), jsonrpc-tls (raw line JSON-RPC service,
              not a pool), garbage (random bytes to anything), silent (never
              answers)
client: connect by address (no name, no ALPN unless asked), speak KIND's
        client side once per 0.3 s for --seconds, then try --retries new
        connections; prints one JSON summary line.
Every wait is bounded; the server stops after --lifetime seconds.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time

LOCK = threading.Lock()


def log(path, rec):
    rec["t"] = round(time.time(), 3)
    with LOCK, open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def rpc(id_, result=None, error=None):
    return (json.dumps({"id": id_, "jsonrpc": "2.0", "result": result, "error": error}) + "\n").encode()


JOB = {"blob": "07" * 76, "job_id": "1", "target": "b88d0600", "algo": "rx/0"}
ETH_WORK = ["0x" + "ab" * 32, "0x" + "cd" * 32, "0x" + "00" * 4 + "ff" * 28]


def pool_line(kind, req):
    m, i = req.get("method"), req.get("id")
    if kind == "cryptonote":
        if m == "login":
            return rpc(i, {"id": "probe1", "job": JOB, "status": "OK"})
        if m in ("keepalived", "submit"):
            return rpc(i, {"status": "OK"})
    elif kind == "bitcoin":
        if m == "mining.subscribe":
            return rpc(i, [[["mining.set_difficulty", "1"], ["mining.notify", "1"]], "08000002", 4]) + \
                (json.dumps({"id": None, "method": "mining.notify", "params": ["1", "00" * 32, "01", "02", [],
                                                                               "20000000", "1d00ffff", "5f5e1000", True]}) + "\n").encode()
        if m in ("mining.authorize", "mining.submit"):
            return rpc(i, True)
    elif kind == "ethstratum":
        if m == "mining.subscribe":
            return rpc(i, [["mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f", "EthereumStratum/1.0.0"], "080c"])
        if m in ("mining.authorize", "mining.submit"):
            return rpc(i, True)
    elif kind == "ethproxy":
        if m == "eth_submitLogin":
            return rpc(i, True)
        if m in ("eth_getWork", "eth_submitHashrate"):
            return rpc(i, ETH_WORK if m == "eth_getWork" else True)
    elif kind == "jsonrpc-tls":
        if m == "echo":
            return rpc(i, req.get("params"))
    return rpc(i, None, {"code": -32601, "message": "the method %s does not exist/is not available" % m})


def read_http(f):
    head = f.readline()
    if not head:
        return None, None
    if not head.startswith((b"GET ", b"POST ", b"HEAD ")) or not head.rstrip().endswith((b"HTTP/1.1", b"HTTP/1.0")):
        return b"", None
    while b"\r\n\r\n" not in head:
        d = f.readline()
        if not d:
            return None, None
        head += d
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    return head, f.read(n) if n else b""


def http_answer(code, body, ctype="application/json"):
    return ("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (code, ctype, len(body))).encode() + body


def handle(conn, peer, kind, logpath, srv):
    conn.settimeout(10)
    f = conn.makefile("rb")
    if kind == "silent":
        time.sleep(8)
        return
    if kind in ("getwork", "https", "jsonrpc-https"):
        while True:
            head, body = read_http(f)
            if head is None:
                return
            if body is None:
                conn.sendall(http_answer(400, b"bad request\n", "text/plain"))
                log(logpath, {"peer": peer, "srv": srv, "kind": kind, "method": "bad-request"})
                return
            try:
                req = json.loads(body) if body else {}
            except ValueError:
                req = {}
            m = req.get("method") if isinstance(req, dict) else None
            log(logpath, {"peer": peer, "srv": srv, "kind": kind, "method": m or head.split(b" ")[0].decode("ascii", "replace")})
            if kind == "getwork" and m in ("getwork", "getblocktemplate"):
                out = http_answer(200, rpc(req.get("id"), {"data": "00" * 128, "target": "ff" * 32}))
            elif kind == "https":
                out = http_answer(200, b"<html><body>hello</body></html>\n", "text/html")
            else:
                out = http_answer(200, rpc(req.get("id"), None, {
                    "code": -32601, "message": "the method %s does not exist/is not available" % m}))
            conn.sendall(out)
    while True:
        line = f.readline()
        if not line:
            return
        if kind == "garbage":
            log(logpath, {"peer": peer, "srv": srv, "kind": kind, "method": None})
            conn.sendall(os.urandom(64))
            continue
        try:
            req = json.loads(line)
        except ValueError:
            conn.sendall(rpc(None, None, {"code": -32700, "message": "Parse error"}))
            continue
        log(logpath, {"peer": peer, "srv": srv, "kind": kind, "method": req.get("method")})
        conn.sendall(pool_line(kind, req))


def serve_one(spec, ctx, logpath, stop):
    addr, port, kind = spec.rsplit(":", 2)
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(16)
    s.settimeout(0.5)
    while time.time() < stop:
        try:
            c, a = s.accept()
        except socket.timeout:
            continue

        def run(c=c, a=a):
            try:
                t = ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log(logpath, {"peer": a[0], "srv": addr + ":" + port, "kind": kind, "tls_error": str(e)[:80]})
                c.close()
                return
            try:
                handle(t, a[0], kind, logpath, addr + ":" + port)
            except (OSError, ValueError):
                pass
            finally:
                t.close()
        threading.Thread(target=run, daemon=True).start()


def client_req(kind, n):
    if kind == "cryptonote":
        if n == 0:
            return json.dumps({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
                "login": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
                "pass": "x", "agent": "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0", "algo": ["rx/0"]}}) + "\n"
        return json.dumps({"id": n + 1, "jsonrpc": "2.0", "method": "keepalived", "params": {"id": "probe1"}}) + "\n"
    if kind in ("bitcoin", "ethstratum"):
        if n == 0:
            p = ["cgminer/4.11.1"] + (["EthereumStratum/1.0.0"] if kind == "ethstratum" else [])
            return json.dumps({"id": 1, "method": "mining.subscribe", "params": p}) + "\n"
        return json.dumps({"id": n + 1, "method": "mining.authorize", "params": ["wallet.rig", "x"]}) + "\n"
    if kind == "ethproxy":
        m = "eth_submitLogin" if n == 0 else "eth_getWork"
        return json.dumps({"id": n + 1, "jsonrpc": "2.0", "method": m, "params": ["0x" + "12" * 20] if n == 0 else []}) + "\n"
    if kind in ("getwork", "jsonrpc-https", "https"):
        body = json.dumps({"id": n + 1, "method": "getwork" if kind == "getwork" else "eth_blockNumber", "params": []})
        verb = "GET / HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n" \
            if kind == "https" else (
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        return verb
    if kind == "jsonrpc-tls":
        return json.dumps({"id": n + 1, "jsonrpc": "2.0", "method": "echo", "params": ["hello"]}) + "\n"
    return "hello\n"


def client_ctx(alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn.split(","))
    return ctx


def connect(a):
    s = socket.create_connection((a.addr, a.port), timeout=1.5)
    return client_ctx(a.alpn).wrap_socket(s, server_hostname=a.sni or None)


def client(a):
    t0 = time.time()
    out = {"kind": a.kind, "addr": a.addr, "port": a.port, "exchanges": 0, "cut_after": None,
           "max_rtt": 0.0, "retries_refused": 0, "retries": a.retries}
    try:
        c = connect(a)
        f = c.makefile("rb")
        n = 0
        while time.time() - t0 < a.seconds:
            t1 = time.time()
            c.sendall(client_req(a.kind, n).encode())
            c.settimeout(1.5)
            if a.kind in ("getwork", "https", "jsonrpc-https"):
                head, _ = read_http(f)
                if head is None:
                    raise OSError("closed")
            elif a.kind not in ("garbage", "silent"):
                if not f.readline():
                    raise OSError("closed")
            out["max_rtt"] = max(out["max_rtt"], round(time.time() - t1, 3))
            out["exchanges"] += 1
            n += 1
            time.sleep(0.3)
        c.close()
    except (OSError, ssl.SSLError, ValueError) as e:
        out["cut_after"] = round(time.time() - t0, 3)
        out["error"] = str(e)[:60]
    for _ in range(a.retries):
        try:
            c = connect(a)
            if a.kind != "silent":  # the handshake is all a silent server gives
                c.sendall(client_req(a.kind, 0).encode())
                c.settimeout(1.0)
                if not c.recv(1):
                    raise OSError("closed")
            c.close()
        except (OSError, ssl.SSLError):
            out["retries_refused"] += 1
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--ready", required=True)
    s.add_argument("--lifetime", type=float, default=120)
    s.add_argument("specs", nargs="+", help="ADDR:PORT:KIND")
    c = sub.add_parser("client")
    c.add_argument("--addr", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--kind", required=True)
    c.add_argument("--sni", default="")
    c.add_argument("--alpn", default="")
    c.add_argument("--seconds", type=float, default=6)
    c.add_argument("--retries", type=int, default=0)
    a = ap.parse_args()
    if a.cmd == "client":
        client(a)
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    stop = time.time() + a.lifetime
    for spec in a.specs:
        threading.Thread(target=serve_one, args=(spec, ctx, a.log, stop), daemon=True).start()
    time.sleep(0.3)
    with open(a.ready, "w") as f:
        f.write("ready\n")
    while time.time() < stop:
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
