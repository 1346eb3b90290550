#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ooo_tcp: a TCP client on a raw socket that sends its first data out of order.

Python standard library only; run as root in the lab's client namespace, with
an nft rule there that drops the kernel's own resets for --sport (the kernel
knows no socket for this connection and would reset it).

It opens a connection (SYN, SYN-ACK, ACK), sends the second segment first,
then the first, then retransmits whatever the peer has not acknowledged, as
TCP would, every --rto seconds, at most --tries times. It prints one line:

  result=reset|acked|timeout acked=N resets=R

where N is how many of the payload's bytes the peer acknowledged (the gateway
holding a segment shows up as a smaller N). Bounded in time by --timeout.
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import time

SYN, RST, PSH, ACK, FIN = 0x02, 0x04, 0x08, 0x10, 0x01


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Conn:
    def __init__(self, a):
        self.a = a
        self.fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
        self.s = socket.socket(self.fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.src = socket.inet_pton(self.fam, a.src)
        self.dst = socket.inet_pton(self.fam, a.dst)
        self.isn = random.randrange(1 << 32)
        self.peer_isn = None
        self.acked = 0
        self.resets = 0

    def send(self, seq, ack, flags, payload=b""):
        hdr = struct.pack("!HHIIBBHHH", self.a.sport, self.a.dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 64240, 0, 0)
        seg = hdr + payload
        if self.fam == socket.AF_INET:
            pseudo = self.src + self.dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(seg))
        else:
            pseudo = self.src + self.dst + struct.pack("!IxxxB", len(seg), socket.IPPROTO_TCP)
        c = csum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
        self.s.sendto(seg, (self.a.dst, 0))

    def recv(self, wait):
        """One segment of this connection from the peer: (flags, seq, ack) or None."""
        end = time.monotonic() + wait
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            data, addr = self.s.recvfrom(65535)
            if self.fam == socket.AF_INET:
                ihl = (data[0] & 0x0F) * 4
                if data[12:16] != self.dst:
                    continue
                data = data[ihl:]
            elif socket.inet_pton(self.fam, addr[0]) != self.dst:
                continue
            if len(data) < 20:
                continue
            sport, dport, seq, ack, _, flags = struct.unpack("!HHIIBB", data[:14])
            if sport != self.a.dport or dport != self.a.sport:
                continue
            return flags, seq, ack

    def note(self, seg):
        flags, seq, ack = seg
        if flags & RST:
            self.resets += 1
        elif flags & ACK and self.peer_isn is not None:
            got = (ack - self.isn - 1) & 0xFFFFFFFF
            if got < 1 << 31 and got > self.acked:
                self.acked = got


def main(argv):
    p = argparse.ArgumentParser(prog="ooo_tcp")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--seg1", required=True, help="first segment's text (\\n understood)")
    p.add_argument("--seg2", required=True, help="second segment's text, sent first")
    p.add_argument("--rto", type=float, default=0.3)
    p.add_argument("--tries", type=int, default=4)
    p.add_argument("--timeout", type=float, default=8.0)
    a = p.parse_args(argv)
    seg1 = a.seg1.encode().decode("unicode_escape").encode("latin-1")
    seg2 = a.seg2.encode().decode("unicode_escape").encode("latin-1")
    c = Conn(a)
    deadline = time.monotonic() + a.timeout

    for _ in range(3):
        c.send(c.isn, 0, SYN)
        seg = c.recv(1.0)
        while seg and not (seg[0] & SYN and seg[0] & ACK):
            c.note(seg)
            seg = c.recv(1.0)
        if seg:
            c.peer_isn = seg[1]
            break
    if c.peer_isn is None:
        print("result=timeout acked=0 resets=%d (no SYN-ACK)" % c.resets)
        return 1
    rcv = c.peer_isn + 1
    c.send(c.isn + 1, rcv, ACK)
    time.sleep(0.05)
    # Out of order: the second segment first, then the first.
    c.send(c.isn + 1 + len(seg1), rcv, PSH | ACK, seg2)
    seg = c.recv(a.rto)
    if seg:
        c.note(seg)
    c.send(c.isn + 1, rcv, ACK, seg1)
    total = len(seg1) + len(seg2)
    tries = 0
    while c.resets == 0 and c.acked < total and time.monotonic() < deadline:
        seg = c.recv(min(a.rto, max(0.0, deadline - time.monotonic())))
        if seg:
            c.note(seg)
            continue
        if tries == a.tries:
            break
        tries += 1
        # Retransmit from the first byte not acknowledged, as TCP does.
        if c.acked < len(seg1):
            c.send(c.isn + 1 + c.acked, rcv, ACK, seg1[c.acked:])
        if c.acked < total:
            off = max(c.acked, len(seg1))
            c.send(c.isn + 1 + off, rcv, PSH | ACK, seg2[off - len(seg1):])
    result = "reset" if c.resets else "acked" if c.acked == total else "timeout"
    print("result=%s acked=%d resets=%d" % (result, c.acked, c.resets))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
