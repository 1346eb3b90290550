#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The SYN log (queue.syns = "log"): SYNs are forwarded in the kernel and only
# logged to minewalld, which still knows where each TCP stream starts.
#
# 1. An out-of-order first segment is still judged: a raw-socket client opens
#    a connection and sends the second half of a Stratum subscribe before the
#    first. The daemon learns the stream's start from the SYN's record, so the
#    second segment is a gap it holds (drops; TCP resends it), the first
#    passes, and when the second comes again the line is complete and the
#    connection is reset. The pool never receives the second segment. Were
#    the SYN's record ignored, the flow would be midstream, start at the
#    second segment, and that segment would reach the pool unjudged.
#    IPv4 and IPv6.
# 2. The SYNs no longer reach the queue: short connections cost one trip
#    each to the daemon with the log, two with queue.syns = "queue".
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

OOO=$top_srcdir/tests/lab/ooo_tcp.py
lab_require
lab_up
lab_serve --tcp 3334 --tcp 8080 --reply-text 'HTTP/1.0 200 OK\r\n\r\n' --reply-after 16

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.block_timeout=0' \
	'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' 'detect.actions.stratum="reject"'
lab_start_daemon "$conf"
grep -q 'SYN log: NFLOG group 100' "$LAB_DAEMON_LOG" || lab_fail "the daemon did not bind the SYN log"
lab_gw nft list chain inet minewall syn_tcp >/dev/null 2>&1 || lab_fail "no syn_tcp chain in the ruleset"

ctr() { lab_ctl stats | awk -v k="$1" '$1 == k { print $2 }'; }

# The client's kernel knows no socket for the raw connections: its resets
# would end them. The pool counts what arrives of each second segment.
SEG1='{"id": 1, "method": "mining.subscribe", "par'
SEG2='ams": ["cpuminer/2.5.1"]}\n'
SEG2_LEN=$(printf '%s' "$SEG2" | sed 's/\\n/X/' | wc -c)
lab_client nft -f - <<EOF || lab_fail "client rst table"
table inet mwooo {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport { 41000, 41001 } tcp flags rst drop
	}
}
EOF
lab_pool nft -f - <<EOF || lab_fail "pool counter table"
table inet mwooo {
	counter seg2v4 { }
	counter seg2v6 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr $LAB_C4 tcp sport 41000 ip length $((40 + SEG2_LEN)) counter name seg2v4
		ip6 saddr $LAB_C6 tcp sport 41001 ip6 length $((20 + SEG2_LEN)) counter name seg2v6
	}
}
EOF
seg2_at_pool() {
	lab_pool nft list counter inet mwooo "$1" | awk '$1 == "packets" { print $2 }'
}

# ooo FAMILY SRC DST SPORT
ooo() {
	_held0=$(ctr engine.held) _found0=$(ctr engine.syn_found)
	_out=$(lab_client timeout 20 "$PYTHON" "$OOO" --src "$2" --dst "$3" --sport "$4" --dport 3334 \
		--seg1 "$SEG1" --seg2 "$SEG2") || lab_fail "$1: ooo_tcp failed: $_out"
	lab_log "$1 out-of-order client: $_out"
	_n=$(seg2_at_pool "seg2$1")
	[ "$_n" = 0 ] || lab_fail "$1: the second segment reached the pool $_n times before the stream's start was judged"
	case $_out in
	result=reset*) ;;
	*) lab_fail "$1: the connection was not reset: $_out" ;;
	esac
	[ "$(ctr engine.held)" -gt "$_held0" ] || lab_fail "$1: no segment was held"
	[ "$(ctr engine.syn_found)" -gt "$_found0" ] || lab_fail "$1: the flow did not start from its SYN's record"
	lab_wait 3 grep -q "\"detector\":\"stratum\".*\"dest_port\":3334\|\"dest_port\":3334.*\"detector\":\"stratum\"" \
		"$LAB_DIR/eve.json" || lab_fail "$1: no stratum detection logged"
}
ooo v4 "$LAB_C4" "$LAB_P4" 41000
ooo v6 "$LAB_C6" "$LAB_P6" 41001
[ "$(ctr engine.syn_missing)" = 0 ] || lab_fail "flows without a SYN record: $(ctr engine.syn_missing)"
[ "$(ctr synlog.lost)" = 0 ] || lab_fail "SYN records lost: $(ctr synlog.lost)"

# 2. Trips per short connection: engine.packets per connection, log vs queue.
N=20
trips() {
	_p0=$(ctr engine.packets) _r0=$(ctr synlog.records)
	lab_client "$PYTHON" "$LAB_TRAFFIC" load --host "$LAB_P4" --port 8080 \
		--payload-text 'GET / HTTP/1.0\r\n\r\n' --expect-text 'HTTP/1.0 200' --count $N \
		--duration 20 >/dev/null || lab_fail "short connections failed ($1)"
	TRIPS=$(($(ctr engine.packets) - _p0)) LOGGED=$(($(ctr synlog.records) - _r0))
	lab_log "$1: $N connections, $TRIPS packets judged, $LOGGED SYNs logged"
}
trips log
[ "$LOGGED" -ge "$N" ] || lab_fail "only $LOGGED SYNs of $N connections logged"
[ "$TRIPS" -le $((N + N / 4)) ] || lab_fail "with the SYN log $N connections cost $TRIPS packets to the daemon"
lab_stop_daemon
lab_write_conf "$LAB_DIR/queue.conf" 'queue.syns="queue"'
lab_start_daemon "$LAB_DIR/queue.conf"
lab_gw nft list chain inet minewall syn_tcp >/dev/null 2>&1 && lab_fail "syn_tcp chain with queue.syns = queue"
trips queue
[ "$TRIPS" -ge $((2 * N)) ] || lab_fail "with SYNs queued $N connections cost only $TRIPS packets"
[ "$LOGGED" = 0 ] || lab_fail "SYNs logged with queue.syns = queue"
lab_stop_daemon
lab_log "SYN log OK"
