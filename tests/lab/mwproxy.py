#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mwproxy: a small SOCKS4/4a/5 and HTTP CONNECT proxy for the minewall lab.

Python standard library only. It opens TCP tunnels the way common proxies do
(Dante, Squid, ssh -D): SOCKS4 and 4a, SOCKS5 without authentication or with
RFC 1929 user/password (--auth; any credentials are accepted), HTTP CONNECT answered
"200 Connection established". Names are resolved only through --name
NAME=ADDRESS (the lab has no DNS); a target that is not reachable gets the
protocol's refusal. Everything is bounded: connections at once and in total,
handshake size and time, idle time of a tunnel, the process's lifetime.

  mwproxy.py --socks 203.0.113.3:1080 --connect 203.0.113.3:3128 \\
             --ready FILE --log FILE [--name pool.lab.test=203.0.113.2]

One line per tunnel goes to --log: "KIND TARGET ok|refused|failed CLIENT".
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

PROG = "mwproxy"
HEAD_MAX = 16384        # bytes of a CONNECT request head or a SOCKS request
HANDSHAKE_S = 5.0       # seconds for a client to finish its request
IDLE_S = 10.0           # a tunnel with no bytes either way for this long is closed
TUNNEL_S = 60.0         # and none lives longer than this
CONNECT_S = 3.0         # to reach a target


class Refused(Exception):
    pass


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    host = host.strip("[]")
    return host, int(port)


class Proxy:
    def __init__(self, args):
        self.args = args
        self.names = {}
        for item in args.name:
            name, _, addr = item.partition("=")
            self.names[name.lower()] = addr
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.lock = threading.Lock()
        self.active = 0
        self.total = 0
        self.stop = False

    def note(self, kind, target, result, peer):
        if not self.log:
            return
        with self.lock:
            self.log.write("%s %s %s %s\n" % (kind, target, result, peer[0]))

    # ------------------------------------------------------------ helpers

    def read_exact(self, c, n, deadline):
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Refused("handshake timeout")
            c.settimeout(left)
            d = c.recv(n - len(buf))
            if not d:
                raise Refused("client closed during the handshake")
            buf += d
        return buf

    def read_until_nul(self, c, deadline):
        buf = b""
        while not buf.endswith(b"\0"):
            if len(buf) > 1024:
                raise Refused("field too long")
            buf += self.read_exact(c, 1, deadline)
        return buf[:-1]

    def dial(self, host, port):
        addr = self.names.get(host.lower(), host)
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            raise Refused("cannot resolve %s" % host)
        fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(CONNECT_S)
        try:
            s.connect((str(ip), port))
        except OSError as e:
            s.close()
            raise Refused("connect to %s port %d: %s" % (ip, port, e))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    # ------------------------------------------------------------ protocols

    def socks4(self, c, deadline):
        hdr = self.read_exact(c, 7, deadline)       # after the version byte
        cmd, port = hdr[0], struct.unpack("!H", hdr[1:3])[0]
        ip = hdr[3:7]
        self.read_until_nul(c, deadline)            # user id
        if ip[:3] == b"\0\0\0" and ip[3] != 0:
            host = self.read_until_nul(c, deadline).decode("latin-1")
            kind = "socks4a"
        else:
            host = socket.inet_ntoa(ip)
            kind = "socks4"
        target = "%s:%d" % (host, port)
        if cmd != 1:
            c.sendall(b"\0\x5b" + b"\0" * 6)
            raise Refused("%s: only CONNECT" % kind)
        try:
            up = self.dial(host, port)
        except Refused:
            c.sendall(b"\0\x5b" + b"\0" * 6)
            self.note(kind, target, "refused", c.getpeername())
            raise
        c.sendall(b"\0\x5a" + b"\0" * 6)
        self.note(kind, target, "ok", c.getpeername())
        return up

    def socks5(self, c, deadline):
        n = self.read_exact(c, 1, deadline)[0]
        methods = self.read_exact(c, n, deadline)
        if 0 in methods and not self.args.auth:
            c.sendall(b"\x05\x00")
        elif 2 in methods:
            c.sendall(b"\x05\x02")
            if self.read_exact(c, 1, deadline) != b"\x01":
                raise Refused("bad RFC 1929 version")
            ulen = self.read_exact(c, 1, deadline)[0]
            self.read_exact(c, ulen, deadline)
            plen = self.read_exact(c, 1, deadline)[0]
            self.read_exact(c, plen, deadline)
            c.sendall(b"\x01\x00")
        else:
            c.sendall(b"\x05\xff")
            raise Refused("no acceptable method")
        ver, cmd, _, atyp = self.read_exact(c, 4, deadline)
        if ver != 5:
            raise Refused("bad request version")
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, self.read_exact(c, 4, deadline))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, self.read_exact(c, 16, deadline))
        elif atyp == 3:
            ln = self.read_exact(c, 1, deadline)[0]
            host = self.read_exact(c, ln, deadline).decode("latin-1")
        else:
            c.sendall(b"\x05\x08\x00\x01" + b"\0" * 6)
            raise Refused("bad address type")
        port = struct.unpack("!H", self.read_exact(c, 2, deadline))[0]
        target = ("[%s]:%d" if atyp == 4 else "%s:%d") % (host, port)
        if cmd != 1:
            c.sendall(b"\x05\x07\x00\x01" + b"\0" * 6)
            raise Refused("socks5: only CONNECT")
        try:
            up = self.dial(host, port)
        except Refused:
            c.sendall(b"\x05\x05\x00\x01" + b"\0" * 6)
            self.note("socks5", target, "refused", c.getpeername())
            raise
        bound = up.getsockname()
        if up.family == socket.AF_INET6:
            rep = b"\x05\x00\x00\x04" + socket.inet_pton(socket.AF_INET6, bound[0])
        else:
            rep = b"\x05\x00\x00\x01" + socket.inet_aton(bound[0])
        c.sendall(rep + struct.pack("!H", bound[1]))
        self.note("socks5", target, "ok", c.getpeername())
        return up

    def connect(self, c, deadline, first):
        head = first
        while b"\r\n\r\n" not in head:
            if len(head) > HEAD_MAX:
                raise Refused("request head too long")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Refused("handshake timeout")
            c.settimeout(left)
            d = c.recv(4096)
            if not d:
                raise Refused("client closed during the handshake")
            head += d
        head, _, rest = head.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "CONNECT" or not parts[2].startswith("HTTP/1."):
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            raise Refused("not a CONNECT request: %r" % line)
        target = parts[1]
        host, port = parse_hostport(target)
        try:
            up = self.dial(host, port)
        except Refused:
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            self.note("connect", target, "refused", c.getpeername())
            raise
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.note("connect", target, "ok", c.getpeername())
        if rest:
            up.sendall(rest)
        return up

    # ------------------------------------------------------------ tunnel

    def relay(self, a, b):
        a.setblocking(False)
        b.setblocking(False)
        end = time.monotonic() + TUNNEL_S
        peer = {a: b, b: a}
        while time.monotonic() < end and not self.stop:
            r, _, _ = select.select([a, b], [], [], IDLE_S)
            if not r:
                return
            for s in r:
                try:
                    d = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return
                if not d:
                    return
                try:
                    peer[s].setblocking(True)
                    peer[s].settimeout(IDLE_S)
                    peer[s].sendall(d)
                    peer[s].setblocking(False)
                except OSError:
                    return

    def handle(self, c, kind):
        up = None
        try:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            deadline = time.monotonic() + HANDSHAKE_S
            first = self.read_exact(c, 1, deadline)
            if kind == "socks" and first == b"\x04":
                up = self.socks4(c, deadline)
            elif kind == "socks" and first == b"\x05":
                up = self.socks5(c, deadline)
            elif kind == "connect":
                up = self.connect(c, deadline, first)
            else:
                raise Refused("not a %s request" % kind)
            self.relay(c, up)
        except (Refused, OSError) as e:
            if self.log:
                with self.lock:
                    self.log.write("# %s: %s\n" % (kind, e))
        finally:
            for s in (c, up):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass
            with self.lock:
                self.active -= 1

    def listen(self, spec, kind):
        host, port = parse_hostport(spec)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(64)
        return s, kind

    def run(self):
        socks = [self.listen(x, "socks") for x in self.args.socks]
        socks += [self.listen(x, "connect") for x in self.args.connect]
        if self.args.ready:
            with open(self.args.ready, "w") as f:
                f.write("%d\n" % os.getpid())
        kinds = dict(socks)
        deadline = time.monotonic() + self.args.lifetime
        while not self.stop and time.monotonic() < deadline:
            r, _, _ = select.select(list(kinds), [], [], 0.2)
            for ls in r:
                try:
                    c, _ = ls.accept()
                except OSError:
                    continue
                with self.lock:
                    busy = self.active >= self.args.max_active or self.total >= self.args.max_conns
                    if not busy:
                        self.active += 1
                        self.total += 1
                if busy:
                    c.close()
                    continue
                threading.Thread(target=self.handle, args=(c, kinds[ls]), daemon=True).start()
        self.stop = True
        for ls in kinds:
            ls.close()
        return 0


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socks", action="append", default=[], help="HOST:PORT for SOCKS4/4a/5")
    ap.add_argument("--connect", action="append", default=[], help="HOST:PORT for HTTP CONNECT")
    ap.add_argument("--name", action="append", default=[], help="NAME=ADDRESS the proxy resolves")
    ap.add_argument("--auth", action="store_true",
                    help="SOCKS5: ask for RFC 1929 user/password (any is accepted)")
    ap.add_argument("--ready", help="file written once every port is bound")
    ap.add_argument("--log", help="one line per tunnel")
    ap.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting")
    ap.add_argument("--max-active", type=int, default=64, help="connections at once")
    ap.add_argument("--max-conns", type=int, default=2000, help="connections in total")
    args = ap.parse_args(argv)
    if not args.socks and not args.connect:
        ap.error("nothing to serve: give --socks and/or --connect")
    p = Proxy(args)

    def on_term(signum, frame):
        p.stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    return p.run()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
