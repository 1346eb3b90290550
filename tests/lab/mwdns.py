#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mwdns: a tiny DNS responder for the lab (Python standard library only).

Answers A queries for the names given with --answer NAME=ADDRESS (TTL 300),
NXDOMAIN for every other name; anything that is not a one-question query is
ignored. Exits after --lifetime seconds or on SIGTERM.
"""

import argparse
import os
import signal
import socket
import struct
import sys
import time


def parse_question(msg):
    """(id, flags, name, qtype, end of question) of a query, or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n > 63 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace").lower())
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype, _ = struct.unpack("!HH", msg[pos:pos + 4])
    return qid, flags, ".".join(labels), qtype, pos + 4


def answer(msg, table):
    q = parse_question(msg)
    if q is None:
        return None
    qid, flags, name, qtype, end = q
    addr = table.get(name)
    rd = flags & 0x0100
    if addr is None or qtype != 1:
        rcode = 0 if addr is not None else 3
        return struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, 0, 0, 0) + msg[12:end]
    rrs = b"".join(struct.pack("!HHHIH", 0xc00c, 1, 1, 300, 4) + socket.inet_aton(a)
                   for a in addr)
    return struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, len(addr), 0, 0) + msg[12:end] + rrs


def main(argv):
    ap = argparse.ArgumentParser(prog="mwdns", description=__doc__)
    ap.add_argument("--listen", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--answer", action="append", default=[], help="NAME=IPV4[,IPV4...]")
    ap.add_argument("--ready", help="file written once the socket is bound")
    ap.add_argument("--lifetime", type=float, default=300.0)
    args = ap.parse_args(argv)
    table = {}
    for a in args.answer:
        name, _, addrs = a.partition("=")
        addr = addrs.split(",")
        for one in addr:
            socket.inet_aton(one)
        table[name.lower().rstrip(".")] = addr
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.listen, args.port))
    s.settimeout(0.2)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    deadline = time.monotonic() + args.lifetime
    while not stop and time.monotonic() < deadline:
        try:
            msg, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        out = answer(msg, table)
        if out is not None:
            s.sendto(out, peer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
