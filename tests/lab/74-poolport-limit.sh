#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# enforce.pool_port_conns: new TCP connections per second per host to the
# pool ports, metered in the kernel (@pmeter4, ruleset_sets.c). A burst of
# connections from the client to a pool port through the gateway: the first
# ones (the meter's allowance) connect, every one after them is dropped (no
# answer; the SYN never reaches the pool). The same burst to a port that is
# not a pool port, and from another host to the pool port, is not limited by
# it; IPv6 has its own meter; the first host gets through again once the meter refilled; with the
# limit turned off (reload) the same burst all connects.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
C2=198.51.100.3		# a second host behind the gateway
ip -n "$LAB_CLIENT" addr add $C2/24 dev eth0 || lab_fail "cannot add $C2"
lab_serve --tcp 3333 --tcp 7000
N=12			# connections per burst
RATE=2			# pool_port_conns: per second and at most this many at once
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" "enforce.pool_port_conns=$RATE" 'enforce.block_timeout=0'
lab_start_daemon "$conf"

lab_gw nft list set inet minewall pool_ports >"$LAB_DIR/pool_ports" 2>&1 ||
	lab_fail "no pool_ports set: $(cat "$LAB_DIR/pool_ports")"
grep -qw 3333 "$LAB_DIR/pool_ports" || lab_fail "3333 is not in the pool_ports set: $(head -c 600 "$LAB_DIR/pool_ports")"
grep -qw 7000 "$LAB_DIR/pool_ports" && lab_fail "7000 is in the pool_ports set; the test needs a port that is not"
lab_gw nft list table inet minewall 2>/dev/null | grep -q 'add @pmeter4' ||
	lab_fail "no rule uses @pmeter4: $(lab_gw nft list table inet minewall 2>/dev/null | grep -n meter)"
# What reaches the pool: SYNs to 3333, counted in the pool's own namespace.
lab_pool nft -f - <<EOF || lab_fail "cannot add the SYN counter in the pool"
table inet mwtest {
	counter syn3333 { }
	chain pre {
		type filter hook prerouting priority 0;
		tcp dport 3333 tcp flags & (syn | ack) == syn counter name syn3333
	}
}
EOF
syns() {
	lab_pool nft list counter inet mwtest syn3333 | awk '$1 == "packets" { print $2 }'
}

# burst SRC PORT: N connections from SRC to the pool at once (all SYNs leave
# within milliseconds), each given 0.8 s (less than the 1 s SYN retransmit,
# so a dropped SYN is not retried into a refilled meter). Prints one letter
# per connection in the order they were started: o connected, d no answer
# (dropped), r refused or another error.
burst() {
	case $1 in *:*) _b_dst=$LAB_P6 ;; *) _b_dst=$LAB_P4 ;; esac
	lab_client "$PYTHON" - "$1" "$_b_dst" "$2" "$N" 0.8 <<'PY'
import select, socket, sys, time
src, host, port, n, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
    s.bind((src, 0))
    s.setblocking(False)
    s.connect_ex((host, port))
    socks.append(s)
state = ["d"] * n
pending = set(range(n))
deadline = time.monotonic() + wait
while pending:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    _, w, _ = select.select([], [socks[i] for i in pending], [], left)
    for s in w:
        i = socks.index(s)
        pending.discard(i)
        state[i] = "o" if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 else "r"
print("".join(state))
PY
}

# check WHAT GOT: some connected, then only drops (the meter's allowance, then over it).
check_limited() {
	echo "$2" | grep -Eq '^o+d+$' ||
		lab_fail "$1: expected connections then drops, got $2 (o connected, d dropped, r refused)"
	_ok=$(printf %s "$2" | tr -cd o | wc -c)
	# The meter's burst is its rate: RATE at once (one more if a token
	# came back while the burst was being opened).
	[ "$_ok" -ge "$RATE" ] && [ "$_ok" -le $((RATE + 1)) ] ||
		lab_fail "$1: $_ok of $N connected, expected $RATE..$((RATE + 1)): $2"
	lab_log "$1: $_ok of $N connected, the other $((N - _ok)) dropped ($2)"
}

s0=$(syns)
got=$(burst $LAB_C4 3333) || lab_fail "burst to 3333 failed to run"
check_limited "client -> pool port 3333" "$got"
first=$(printf %s "$got" | tr -cd o | wc -c)
# The dropped ones never left the gateway: the pool saw one SYN per connection.
s1=$(syns)
[ "$((s1 - s0))" = "$first" ] ||
	lab_fail "the pool saw $((s1 - s0)) SYNs to 3333 for $first connections ($got)"

got=$(burst $LAB_C4 7000) || lab_fail "burst to 7000 failed to run"
[ "$got" = "$(printf %${N}s | tr ' ' o)" ] ||
	lab_fail "client -> 7000 (not a pool port) right after: all $N should connect, got $got"
lab_log "client -> 7000 (not a pool port): all $N connected"

got=$(burst $C2 3333) || lab_fail "burst from $C2 failed to run"
check_limited "another host -> pool port 3333" "$got"
[ "$(printf %s "$got" | tr -cd o | wc -c)" = "$first" ] ||
	lab_fail "another host got a different allowance ($got) than the first ($first connected)"

got=$(burst $LAB_C6 3333) || lab_fail "v6 burst to 3333 failed to run"
check_limited "client -> pool port 3333 over IPv6 (@pmeter6)" "$got"

# The meter refills at RATE/s: after 3 s the first host connects again.
sleep 3
got=$(burst $LAB_C4 3333) || lab_fail "burst to 3333 failed to run"
case $got in
o*) ;;
*) lab_fail "client -> 3333 after 3 s: the first connection should pass, got $got" ;;
esac
check_limited "client -> pool port 3333 after 3 s" "$got"

# Limit off: the meter rule goes, the same burst all connects.
sed -i 's/pool_port_conns = [0-9]*;/pool_port_conns = 0;/' "$conf"
grep -q 'pool_port_conns = 0;' "$conf" || lab_fail "could not edit pool_port_conns in $conf"
kill -HUP "$LAB_DAEMON_PID"
lab_wait 5 eval '! lab_gw nft list table inet minewall 2>/dev/null | grep -q "@pmeter4"' ||
	lab_fail "pmeter rule still installed after reloading with pool_port_conns = 0"
lab_daemon_alive || lab_fail "minewalld died on the reload"
got=$(burst $LAB_C4 3333) || lab_fail "burst to 3333 failed to run"
[ "$got" = "$(printf %${N}s | tr ' ' o)" ] ||
	lab_fail "pool_port_conns = 0: all $N should connect, got $got"
lab_log "pool_port_conns = 0: all $N connected"

lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC"
