#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mwcap: capture one interface's frames, both directions, into a pcap file.

For lab tests that replay what the gateway saw through `minewalld -r`. Python
standard library only (the lab has no tcpdump): an AF_PACKET socket sees a
frame on its way in before netfilter does, so packets the daemon dropped are
in the file too. Bounded by --max-packets and --lifetime; SIGTERM ends it.

  mwcap.py --iface cl0 --out FILE [--ready FILE] [--lifetime S] [--max-packets N]
"""

import argparse
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


def main(argv):
    ap = argparse.ArgumentParser(prog="mwcap", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready", help="file written once the socket is bound")
    ap.add_argument("--lifetime", type=float, default=300.0)
    ap.add_argument("--max-packets", type=int, default=100000)
    args = ap.parse_args(argv)

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((args.iface, 0))
    out = open(args.out, "wb")
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    out.flush()
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    n = 0
    deadline = time.monotonic() + args.lifetime
    while not stop and n < args.max_packets and time.monotonic() < deadline:
        try:
            r, _, _ = select.select([s], [], [], 0.2)
        except InterruptedError:
            continue
        if not r:
            continue
        data = s.recv(SNAPLEN)
        t = time.time()
        sec = int(t)
        out.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(data), len(data)))
        out.write(data)
        out.flush()
        n += 1
    out.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
