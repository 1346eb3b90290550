#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stand-in for minewalld to check the lab tests themselves (not part of make check).

  MINEWALLD=$PWD/tests/lab/fake-minewalld.py sh tests/lab/10-forward.sh

It follows the CLI contract loosely: -t checks only that the file opens and has
no line with "= =" (a stand-in syntax error); -f -c FILE adds "table inet minewall"
plus xt NFQUEUE rules (iptables-nft, bypass when fail_open = true) and accepts
every queued packet from queue 0 through nfnetlink_queue. SIGTERM/SIGINT remove
both; SIGHUP re-reads the file and logs FILE:LINE on a "broken" one.
Known gap: its queue rules live in iptables-nft's filter table, not in minewall.
"""

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def log(msg):
    print("fake-minewalld: " + msg, file=sys.stderr, flush=True)


def check(path):
    """Errors as FILE:LINE: message strings."""
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError as e:
        return ["%s:0: %s" % (path, e)]
    return ["%s:%d: syntax error" % (path, i + 1) for i, l in enumerate(lines) if "= =" in l]


def fail_open(path):
    with open(path) as f:
        return "fail_open = false" not in f.read()


def nla(atype, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * ((4 - n % 4) % 4)


def nfmsg(mtype, flags, queue, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, 0, 0) + body


def rules(opened):
    # Stale rules of a killed run are replaced, as a daemon taking over would.
    for ipt in ("iptables", "ip6tables"):
        for chain in ("FORWARD", "OUTPUT"):
            subprocess.run([ipt, "-F", chain], stderr=subprocess.DEVNULL)
            if opened is not None:
                cmd = [ipt, "-A", chain, "-j", "NFQUEUE", "--queue-num", "0"]
                subprocess.run(cmd + (["--queue-bypass"] if opened else []), check=True)
    subprocess.run(["nft", "delete table inet minewall"], stderr=subprocess.DEVNULL)
    if opened is not None:
        subprocess.run(["nft", "add table inet minewall"], check=True)


def main(argv):
    conf, test = "/etc/minewall/minewall.conf", False
    i = 0
    while i < len(argv):
        if argv[i] == "-c":
            conf, i = argv[i + 1], i + 1
        elif argv[i] == "-t":
            test = True
        i += 1
    errs = check(conf)
    if test:
        for e in errs:
            print(e)
        if not errs:
            print("configuration OK")
        return 1 if errs else 0
    if errs:
        for e in errs:
            log(e)
        return 1

    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    s.send(nfmsg(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, 0,
                 nla(1, struct.pack("=BBH", 1, 0, 0))))           # NFQA_CFG_CMD bind
    s.send(nfmsg(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, 0,
                 nla(2, struct.pack(">IB", 0, 1))))               # NFQA_CFG_PARAMS meta
    rules(fail_open(conf))
    log("running on %s" % conf)

    events = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda n, f: events.append(n))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        while events:
            n = events.pop(0)
            if n == signal.SIGHUP:
                errs = check(conf)
                for e in errs:
                    log(e)
                log("reload " + ("failed, keeping the old configuration" if errs else "done"))
            else:
                rules(None)
                return 0
        try:
            r, _, _ = select.select([s], [], [], 0.2)
        except InterruptedError:
            continue
        if not r:
            continue
        buf = s.recv(65536)
        off = 0
        while off + 16 <= len(buf):
            mlen, mtype = struct.unpack_from("=IH", buf, off)
            if mlen < 16:
                break
            if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + mlen:
                    alen, atype = struct.unpack_from("=HH", buf, a)
                    if alen < 4:
                        break
                    if atype & 0x7fff == 1:                       # NFQA_PACKET_HDR
                        pid = struct.unpack_from(">I", buf, a + 4)[0]
                        s.send(nfmsg(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0,
                                     nla(2, struct.pack(">II", 1, pid))))   # NF_ACCEPT
                    a += (alen + 3) & ~3
            off += (mlen + 3) & ~3
    rules(None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
