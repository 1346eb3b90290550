#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mwtraffic: lab traffic for minewall tests (serve in the pool, send/load from the client).

Python standard library only. Every loop is bounded in count and in time.

  serve    listen on TCP/UDP ports (v4 and v6), record every byte received per
           connection under --logdir, reply with a canned response or echo.
  send     one connection/exchange (through --proxy tunnels if given); exit 0 when
           the expected response came back, 1 otherwise with "mwtraffic: REASON:
           detail" on stderr, where REASON is one of refused, reset, timeout,
           closed, mismatch, error, proxy (a proxy refused the tunnel).
  load     many short connections, bounded by --count and --duration.
  received summarise what the server recorded (bytes, connections, pattern search).
"""

import argparse
import binascii
import os
import selectors
import signal
import socket
import struct
import sys
import time

PROG = "mwtraffic"


class Failure(Exception):
    """A failed exchange; reason is a single word the tests can match."""

    def __init__(self, reason, detail):
        super().__init__("%s: %s" % (reason, detail))
        self.reason = reason
        self.detail = detail


def parse_bytes(hexstr=None, path=None, text=None):
    """Bytes from exactly one of hex, file or text (text understands \\n, \\r)."""
    if hexstr is not None:
        clean = "".join(hexstr.split())
        try:
            return binascii.unhexlify(clean)
        except (binascii.Error, ValueError) as e:
            raise SystemExit("%s: bad hex: %s" % (PROG, e))
    if path is not None:
        with open(path, "rb") as f:
            return f.read()
    if text is not None:
        return text.encode().decode("unicode_escape").encode("latin-1")
    return None


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


# ---------------------------------------------------------------- serve

class Server:
    def __init__(self, args):
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.conns = {}        # sock -> dict(file, nbytes, replied, peer)
        self.udp_flows = {}    # (port, peer) -> dict(file, nbytes)
        self.seq = 0
        self.total_conns = 0
        self.stop = False
        self.reply = parse_bytes(args.reply_hex, args.reply_file, args.reply_text)
        os.makedirs(args.logdir, exist_ok=True)
        self.index = open(os.path.join(args.logdir, "index.tsv"), "a", buffering=1)

    def bind(self, proto, port):
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        for fam, addr in ((socket.AF_INET, self.args.v4), (socket.AF_INET6, self.args.v6)):
            if not addr:
                continue
            s = socket.socket(fam, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            if proto == "tcp":
                s.listen(128)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, ("listen-" + proto, port))

    def new_record(self, proto, port, peer):
        self.seq += 1
        name = "%s-%d-%06d.bin" % (proto, port, self.seq)
        f = open(os.path.join(self.args.logdir, name), "wb", buffering=0)
        self.index.write("%d\t%s\t%d\t%s\t%d\t%s\n" % (self.seq, proto, port, peer[0], peer[1], name))
        return f

    def accept(self, lsock, port):
        try:
            c, peer = lsock.accept()
        except OSError:
            return
        if self.total_conns >= self.args.max_conns:
            c.close()
            return
        self.total_conns += 1
        c.setblocking(False)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conns[c] = {"file": self.new_record("tcp", port, peer), "nbytes": 0,
                         "replied": False, "opened": time.monotonic()}
        self.sel.register(c, selectors.EVENT_READ, ("conn", port))

    def close_conn(self, c):
        st = self.conns.pop(c, None)
        if st:
            st["file"].close()
        try:
            self.sel.unregister(c)
        except (KeyError, ValueError):
            pass
        c.close()

    def answer(self, nbytes_before, data, replied):
        """Bytes to send back for data, or None."""
        if self.reply is None:
            return data
        if replied:
            return None
        if nbytes_before + len(data) >= self.args.reply_after:
            return self.reply
        return None

    def read_conn(self, c):
        st = self.conns[c]
        try:
            data = c.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.close_conn(c)
            return
        st["file"].write(data)
        out = self.answer(st["nbytes"], data, st["replied"])
        st["nbytes"] += len(data)
        if out is not None:
            st["replied"] = True
            try:
                c.setblocking(True)
                c.settimeout(2)
                c.sendall(out)
                c.setblocking(False)
            except OSError:
                self.close_conn(c)

    def read_udp(self, s, port):
        try:
            data, peer = s.recvfrom(65536)
        except OSError:
            return
        key = (port, peer[0], peer[1])
        st = self.udp_flows.get(key)
        if st is None:
            if len(self.udp_flows) >= self.args.max_conns:
                return
            st = {"file": self.new_record("udp", port, peer), "nbytes": 0, "replied": False}
            self.udp_flows[key] = st
        st["file"].write(data)
        out = self.answer(st["nbytes"], data, st["replied"])
        st["nbytes"] += len(data)
        if out is not None:
            st["replied"] = self.reply is not None
            try:
                s.sendto(out, peer)
            except OSError:
                pass

    def run(self):
        for p in self.args.tcp:
            self.bind("tcp", p)
        for p in self.args.udp:
            self.bind("udp", p)
        if self.args.ready:
            with open(self.args.ready, "w") as f:
                f.write("%d\n" % os.getpid())
        deadline = time.monotonic() + self.args.lifetime
        while not self.stop and time.monotonic() < deadline:
            for key, _ in self.sel.select(timeout=0.2):
                kind, port = key.data
                if kind == "listen-tcp":
                    self.accept(key.fileobj, port)
                elif kind == "listen-udp":
                    self.read_udp(key.fileobj, port)
                else:
                    self.read_conn(key.fileobj)
            # Idle connections are dropped so the connection table stays bounded.
            now = time.monotonic()
            for c in [c for c, st in self.conns.items() if now - st["opened"] > self.args.conn_lifetime]:
                self.close_conn(c)
        for c in list(self.conns):
            self.close_conn(c)
        for st in self.udp_flows.values():
            st["file"].close()
        self.index.close()
        return 0


def cmd_serve(args):
    srv = Server(args)

    def on_term(signum, frame):
        srv.stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    return srv.run()


# ---------------------------------------------------------------- send

def expected_of(args, payload):
    if args.no_expect:
        return None
    exp = parse_bytes(args.expect_hex, args.expect_file, args.expect_text)
    return payload if exp is None else exp


def split(payload, n):
    n = max(1, min(n, len(payload) or 1))
    size, rest = divmod(len(payload), n)
    out, pos = [], 0
    for i in range(n):
        step = size + (1 if i < rest else 0)
        out.append(payload[pos:pos + step])
        pos += step
    return out


def check_got(got, expected):
    """True once the expected bytes have arrived (bounded: 1 MiB at most)."""
    if expected in got:
        return True
    if len(got) > (1 << 20):
        raise Failure("mismatch", "expected %s, got %s" % (preview(expected), preview(got)))
    return False


def preview(b, limit=48):
    s = binascii.hexlify(b[:limit]).decode()
    return s + ("..." if len(b) > limit else "") + " (%d bytes)" % len(b)


PROXY_KINDS = ("socks4", "socks4a", "socks5", "socks5h", "connect")


def parse_proxy(spec):
    """KIND:HOST:PORT (HOST may be [v6]) -> (kind, host, port)."""
    kind, _, rest = spec.partition(":")
    host, _, port = rest.rpartition(":")
    if kind not in PROXY_KINDS or not host or not port.isdigit():
        raise SystemExit("%s: bad --proxy %r (KIND:HOST:PORT, KIND one of %s)"
                         % (PROG, spec, ", ".join(PROXY_KINDS)))
    return kind, host.strip("[]"), int(port)


def recv_exact(s, n, what):
    buf = b""
    while len(buf) < n:
        try:
            d = s.recv(n - len(buf))
        except socket.timeout:
            raise Failure("timeout", "no %s from the proxy" % what)
        except ConnectionResetError:
            raise Failure("reset", "connection reset while waiting for the %s" % what)
        if not d:
            raise Failure("closed", "proxy closed before its %s" % what)
        buf += d
    return buf


def is_ip(host, fam):
    try:
        socket.inet_pton(fam, host)
        return True
    except OSError:
        return False


def proxy_handshake(s, kind, host, port):
    """Ask the proxy at the other end of s for a tunnel to host:port, waiting
    for each answer as curl does."""
    try:
        if kind in ("socks4", "socks4a"):
            if is_ip(host, socket.AF_INET):
                req = b"\x04\x01" + struct.pack("!H", port) + socket.inet_aton(host) + b"\0"
            elif kind == "socks4a":
                req = (b"\x04\x01" + struct.pack("!H", port) + b"\0\0\0\x01\0" +
                       host.encode() + b"\0")
            else:
                raise SystemExit("%s: socks4 needs an IPv4 target, not %s" % (PROG, host))
            s.sendall(req)
            rep = recv_exact(s, 8, "SOCKS4 reply")
            if rep[1] != 0x5a:
                raise Failure("proxy", "SOCKS4 request refused (%#x)" % rep[1])
            return
        if kind in ("socks5", "socks5h"):
            s.sendall(b"\x05\x02\x00\x01")
            rep = recv_exact(s, 2, "SOCKS5 method choice")
            if rep != b"\x05\x00":
                raise Failure("proxy", "SOCKS5 method choice %s" % rep.hex())
            if kind == "socks5" and is_ip(host, socket.AF_INET):
                addr = b"\x01" + socket.inet_aton(host)
            elif kind == "socks5" and is_ip(host, socket.AF_INET6):
                addr = b"\x04" + socket.inet_pton(socket.AF_INET6, host)
            else:
                addr = b"\x03" + bytes([len(host)]) + host.encode()
            s.sendall(b"\x05\x01\x00" + addr + struct.pack("!H", port))
            rep = recv_exact(s, 4, "SOCKS5 reply")
            if rep[1] != 0:
                raise Failure("proxy", "SOCKS5 request refused (%#x)" % rep[1])
            alen = {1: 4, 4: 16}.get(rep[3])
            if alen is None:
                alen = recv_exact(s, 1, "SOCKS5 reply")[0]
            recv_exact(s, alen + 2, "SOCKS5 reply")
            return
        auth = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mwtraffic\r\n"
                   "Proxy-Connection: Keep-Alive\r\n\r\n" % (auth, auth)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            if len(head) > 16384:
                raise Failure("proxy", "CONNECT answer too long")
            head += recv_exact(s, 1, "CONNECT answer")
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if status.split(" ")[1:2] != ["200"]:
            raise Failure("proxy", "CONNECT refused: %s" % status)
    except (BrokenPipeError, ConnectionResetError):
        raise Failure("reset", "connection reset during the %s handshake" % kind)


def tcp_exchange(host, port, payload, expected, args):
    chain = [parse_proxy(p) for p in args.proxy]
    hops = [(h, p) for _, h, p in chain] + [(host, port)]
    fam = family_of(hops[0][0])
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(args.connect_timeout)
        try:
            s.connect(hops[0])
        except socket.timeout:
            raise Failure("timeout", "no answer to connect to %s port %d within %.1fs"
                          % (host, port, args.connect_timeout))
        except ConnectionRefusedError:
            raise Failure("refused", "connection to %s port %d refused (RST to SYN)" % (host, port))
        except ConnectionResetError:
            raise Failure("reset", "connection to %s port %d reset" % (host, port))
        except OSError as e:
            raise Failure("error", "connect to %s port %d: %s" % (hops[0][0], hops[0][1], e))
        s.settimeout(args.timeout)
        for i, (kind, _, _) in enumerate(chain):
            proxy_handshake(s, kind, hops[i + 1][0], hops[i + 1][1])
        parts = split(payload, args.segments) if payload else []
        try:
            for i, part in enumerate(parts):
                if i and args.delay > 0:
                    time.sleep(args.delay)
                s.sendall(part)
        except (ConnectionResetError, BrokenPipeError):
            raise Failure("reset", "connection reset while sending")
        except socket.timeout:
            raise Failure("timeout", "timeout while sending")
        if expected is None:
            return b""
        return read_until(s, expected, args)
    finally:
        s.close()


def read_until(s, expected, args):
    got = b""
    deadline = time.monotonic() + args.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            # Bytes that cannot grow into the expected response are a mismatch.
            reason = "timeout" if expected.startswith(got) else "mismatch"
            raise Failure(reason, "no complete response within %.1fs (expected %s, got %s)"
                          % (args.timeout, preview(expected), preview(got)))
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            raise Failure("reset", "connection reset by peer after %d response bytes" % len(got))
        except ConnectionRefusedError:
            raise Failure("refused", "port unreachable (ICMP) after %d response bytes" % len(got))
        if not data:
            if s.type == socket.SOCK_STREAM:
                raise Failure("closed", "peer closed (FIN) after %s" % preview(got))
            continue
        got += data
        if check_got(got, expected):
            return got


def udp_exchange(host, port, payload, expected, args):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    try:
        try:
            s.connect((host, port))
            for i, part in enumerate(split(payload, args.segments)):
                if i and args.delay > 0:
                    time.sleep(args.delay)
                s.send(part)
        except ConnectionRefusedError:
            raise Failure("refused", "port unreachable (ICMP) for %s port %d" % (host, port))
        except OSError as e:
            raise Failure("error", "udp to %s port %d: %s" % (host, port, e))
        if expected is None:
            return b""
        return read_until(s, expected, args)
    finally:
        s.close()


def exchange(args, payload, expected):
    if args.udp:
        return udp_exchange(args.host, args.port, payload, expected, args)
    return tcp_exchange(args.host, args.port, payload, expected, args)


def payload_of(args):
    p = parse_bytes(args.payload_hex, args.payload_file, args.payload_text)
    return b"mwtraffic hello\n" if p is None else p


def cmd_send(args):
    payload = payload_of(args)
    expected = expected_of(args, payload)
    try:
        got = exchange(args, payload, expected)
    except Failure as f:
        print("%s: %s: %s" % (PROG, f.reason, f.detail), file=sys.stderr)
        return 1
    if args.verbose:
        print("%s: ok: %s" % (PROG, preview(got)), file=sys.stderr)
    return 0


def cmd_load(args):
    payload = payload_of(args)
    expected = expected_of(args, payload)
    log = open(args.log, "a", buffering=1) if args.log else None
    ok = failed = 0
    reasons = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    deadline = time.monotonic() + args.duration
    for i in range(args.count):
        if stop or time.monotonic() >= deadline:
            break
        t0 = time.time()
        try:
            exchange(args, payload, expected)
            ok += 1
            line = "%.3f\t%d\tok\t-" % (t0, i)
        except Failure as f:
            failed += 1
            reasons[f.reason] = reasons.get(f.reason, 0) + 1
            line = "%.3f\t%d\tfail\t%s" % (t0, i, f.reason)
        if log:
            log.write(line + "\n")
        if args.interval > 0:
            time.sleep(args.interval)
    summary = ", ".join("%s %d" % kv for kv in sorted(reasons.items())) or "none"
    print("%s: load: %d ok, %d failed (%s)" % (PROG, ok, failed, summary), file=sys.stderr)
    if log:
        log.close()
    return 0 if failed == 0 and ok > 0 else 1


# ---------------------------------------------------------------- received

def cmd_received(args):
    conns = 0
    total = 0
    found = False
    pattern = parse_bytes(args.contains_hex, args.contains_file, args.contains_text)
    index = os.path.join(args.logdir, "index.tsv")
    if not os.path.exists(index):
        print("connections 0 bytes 0")
        return 1 if pattern is not None else 0
    with open(index) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 6:
                continue
            _, proto, port, peer, _, name = fields
            if args.proto and proto != args.proto:
                continue
            if args.port and int(port) != args.port:
                continue
            if args.peer and peer != args.peer:
                continue
            with open(os.path.join(args.logdir, name), "rb") as g:
                data = g.read()
            conns += 1
            total += len(data)
            if pattern is not None and pattern in data:
                found = True
    print("connections %d bytes %d" % (conns, total))
    if pattern is not None:
        return 0 if found else 1
    return 0


# ---------------------------------------------------------------- CLI

def add_payload_opts(p):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--payload-hex")
    g.add_argument("--payload-file")
    g.add_argument("--payload-text", help="text with \\n/\\r escapes")
    e = p.add_mutually_exclusive_group()
    e.add_argument("--expect-hex")
    e.add_argument("--expect-file")
    e.add_argument("--expect-text")
    e.add_argument("--no-expect", action="store_true", help="send only")
    p.add_argument("--tcp", action="store_true", default=True)
    p.add_argument("--udp", action="store_true")
    p.add_argument("--host", required=True)
    p.add_argument("--proxy", action="append", default=[],
                   help="KIND:HOST:PORT, KIND socks4, socks4a, socks5, socks5h (target by name) "
                   "or connect; repeat to nest, outermost first: the client connects to the "
                   "first and asks each proxy for the next, the last for --host")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--segments", type=int, default=1, help="split the payload into N sends")
    p.add_argument("--delay", type=float, default=0.05, help="seconds between segments")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the response")
    p.add_argument("--connect-timeout", type=float, default=3.0)
    p.add_argument("-v", "--verbose", action="store_true")


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve")
    s.add_argument("--tcp", type=int, action="append", default=[])
    s.add_argument("--udp", type=int, action="append", default=[])
    s.add_argument("--v4", default="0.0.0.0")
    s.add_argument("--v6", default="::")
    s.add_argument("--logdir", required=True)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--reply-hex")
    g.add_argument("--reply-file")
    g.add_argument("--reply-text")
    s.add_argument("--reply-after", type=int, default=1,
                   help="send the canned reply once this many bytes arrived")
    s.add_argument("--ready", help="file written once every port is bound")
    s.add_argument("--lifetime", type=float, default=600.0, help="seconds before exiting")
    s.add_argument("--conn-lifetime", type=float, default=30.0)
    s.add_argument("--max-conns", type=int, default=20000)

    for name in ("send", "load"):
        p = sub.add_parser(name)
        add_payload_opts(p)
        if name == "load":
            p.add_argument("--count", type=int, default=100)
            p.add_argument("--duration", type=float, default=10.0)
            p.add_argument("--interval", type=float, default=0.05)
            p.add_argument("--log", help="one line per attempt: time, n, ok|fail, reason")

    r = sub.add_parser("received")
    r.add_argument("--logdir", required=True)
    r.add_argument("--proto", choices=("tcp", "udp"))
    r.add_argument("--port", type=int)
    r.add_argument("--peer")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--contains-hex")
    g.add_argument("--contains-file")
    g.add_argument("--contains-text")

    args = ap.parse_args(argv)
    if args.cmd in ("send", "load") and args.udp:
        args.tcp = False
    return {"serve": cmd_serve, "send": cmd_send, "load": cmd_load,
            "received": cmd_received}[args.cmd](args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
