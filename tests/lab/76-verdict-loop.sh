#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A packet the daemon marks for drop or reject leaves the ruleset, with or
# without a conntrack entry (issue 14, part 1).
#
# 1. Late FIN: a miner's stratum flow is rejected; the client gets its reset,
#    the pool's side stays open. Conntrack forgets the flow (CLOSE timeout
#    shortened to 1 s here, 10 s by default); then the pool closes and its
#    FIN reaches the gateway as ct state invalid. The daemon still holds the
#    flow as blocked and answers NF_REPEAT with the reject mark: the packet
#    must be rejected on its way back, not queued again.
# 2. A crafted segment: one FIN+ACK carrying a stratum line, with no
#    connection before it (invalid for conntrack), from the client.
# Each must take at most one trip to user space (engine.packets), and the
# daemon's loop counter (engine.verdict_loops) must stay 0.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'detect.actions.stratum="reject"' 'enforce.block_timeout=0' \
	'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }'
lab_start_daemon "$conf"
lab_gw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=1 ||
	lab_fail "cannot shorten the conntrack CLOSE timeout in the gateway"

counter() {
	lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

LOGIN='{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}'

# The pool: accepts one connection, keeps it open for 4 s whatever happens
# to the client, then closes it (its FIN).
lab_spawn "$LAB_POOL" "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2345))
s.listen(1)
open(sys.argv[1], "w").write("ready\n")
c, _ = s.accept()
time.sleep(4)
c.close()
time.sleep(2)
' "$LAB_DIR/pool.ready"
lab_wait 5 test -s "$LAB_DIR/pool.ready" || lab_fail "pool did not start"

out=$(lab_client "$PYTHON" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 2345), timeout=3)
s.sendall(sys.argv[2].encode() + b"\n")
try:
    d = s.recv(100)
    print("eof" if not d else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
' "$LAB_P4" "$LOGIN")
[ "$out" = reset ] || lab_fail "late FIN: the miner was not reset (client says: $out)"
lab_log "late FIN: the miner was reset; waiting for conntrack to forget the flow"

before=$(counter engine.packets)
# The pool closes 4 s after accepting; conntrack forgot the flow after 1 s.
sleep 5
after=$(counter engine.packets)
loops=$(counter engine.verdict_loops)
lab_log "late FIN: engine.packets $before -> $after, engine.verdict_loops $loops"
[ $((after - before)) -le 2 ] ||
	lab_fail "late FIN: $((after - before)) trips to user space for the pool's FIN (at most 2: FIN and one retransmission)"
[ "$loops" = 0 ] || lab_fail "late FIN: engine.verdict_loops is $loops"

# 2. One crafted FIN+ACK with a stratum line and no connection before it.
before=$(counter engine.packets)
lab_client "$PYTHON" -c '
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

src, dst, payload = sys.argv[1], sys.argv[2], sys.argv[3].encode() + b"\n"
sport, dport = 40404, 2346
FIN, ACK, PSH = 0x01, 0x10, 0x08
hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, FIN | ACK | PSH, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
c = csum(pseudo + hdr + payload)
hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(hdr + payload, (dst, 0))
' "$LAB_C4" "$LAB_P4" "$LOGIN" || lab_fail "could not send the crafted segment"
sleep 2
after=$(counter engine.packets)
loops=$(counter engine.verdict_loops)
lab_log "crafted FIN+ACK: engine.packets $before -> $after, engine.verdict_loops $loops"
[ $((after - before)) -le 1 ] ||
	lab_fail "crafted FIN+ACK: $((after - before)) trips to user space for one packet"
[ "$loops" = 0 ] || lab_fail "crafted FIN+ACK: engine.verdict_loops is $loops"
lab_alive "$LAB_DAEMON_PID" || lab_fail "minewalld died"
lab_log "every marked packet left the ruleset after one trip"
