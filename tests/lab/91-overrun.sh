#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Queue overrun (issue 8) with queue.max_len = 16, for each fail mode:
# 1. Deterministic: the daemon is stopped (SIGSTOP) while the client sends
#    BURST datagrams, so the kernel queue holds 16 and overflows with the rest.
#    fail_open = true: the pool receives every datagram (the overflow passes
#    uninspected, the 16 queued after SIGCONT), the kernel's queue_dropped does
#    not move. fail_open = false: the pool receives only the 16 that were queued
#    and the kernel counts the rest in queue_dropped
#    (/proc/net/netfilter/nfnetlink_queue: queue, portid, waiting, copy mode,
#    copy range, queue_dropped, user_dropped, id sequence, 1).
# 2. A free-running burst (udpblast, unpaced, 2 s) against the running daemon:
#    no crash, minewallctl answers, a normal TCP exchange works afterwards; the
#    daemon's queue.enobufs and the kernel's drop counters are reported.
# 3. queue.max_len = 1048576 and the daemon stopped while BIG datagrams come:
#    the daemon's netlink socket buffer overruns; after SIGCONT it counts
#    queue.enobufs and keeps going. fail_open = true: every datagram reached the
#    pool; false: the kernel counts user_dropped and the pool misses them.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

BURST=2000
BIG=60000
MAXLEN=16
UDPBLAST=$top_builddir/tests/bench/udpblast

lab_require
[ -x "$UDPBLAST" ] || lab_skip "no $UDPBLAST (make check builds it)"
lab_up
lab_serve --tcp 7000 --reply-text 'ok\n'
# The pool counts and drops the datagrams before its UDP stack.
lab_pool nft -f - <<'EOF' || lab_fail "pool drop rule"
table inet mwoverrun {
	counter burst { }
	chain pre { type filter hook prerouting priority -300; policy accept; udp dport 9000-9063 counter name burst drop; }
}
EOF

pool_got() {
	lab_pool nft -j list counter inet mwoverrun burst |
		"$PYTHON" -c 'import json, sys
for o in json.load(sys.stdin)["nftables"]:
    if "counter" in o:
        print(o["counter"]["packets"])'
}
# kq FIELD: a column of our queue's line in the gateway's nfnetlink_queue file
# (6 queue_dropped, 7 user_dropped).
kq() {
	lab_gw awk -v f="$1" '$1 == 0 { print $f }' /proc/net/netfilter/nfnetlink_queue
}
stat() {
	lab_ctl --json stats | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
hello() {
	lab_send --host $LAB_P4 --port 7000 --payload-text 'hello\n' --expect-text ok --timeout 3 \
		--connect-timeout 3 2>"$LAB_DIR/send.err" || lab_fail "$1: TCP exchange failed: $(cat "$LAB_DIR/send.err")"
}

phase() {
	mode=$1
	conf=$LAB_DIR/$mode.conf
	if [ "$mode" = open ]; then
		lab_write_conf "$conf" queue.max_len=$MAXLEN queue.fail_open=true flows.mark_clean=false
	else
		lab_write_conf "$conf" queue.max_len=$MAXLEN queue.fail_open=false flows.mark_clean=false
	fi
	lab_start_daemon "$conf"
	hello "fail-$mode before the burst"

	# --- 1. the daemon stopped: the kernel queue overflows at exactly 16
	got0=$(pool_got) qd0=$(kq 6) eng0=$(stat queue.packets)
	kill -STOP "$LAB_DAEMON_PID"
	lab_client "$UDPBLAST" -d $LAB_P4 -p 9000 -n 64 -c $BURST -r 20000 -t 10 >"$LAB_DIR/blast.out" 2>&1 ||
		{ kill -CONT "$LAB_DAEMON_PID"; lab_fail "udpblast: $(cat "$LAB_DIR/blast.out")"; }
	sleep 0.3
	waiting=$(kq 3)
	kill -CONT "$LAB_DAEMON_PID"
	sent=$(awk '$1 == "sent" { print $2 }' "$LAB_DIR/blast.out")
	[ "$sent" = $BURST ] || lab_fail "udpblast sent $sent of $BURST: $(cat "$LAB_DIR/blast.out")"
	lab_wait 3 eval '[ "$(kq 3)" = 0 ]' || lab_fail "fail-$mode: the queue did not drain after SIGCONT"
	sleep 0.3
	got=$(($(pool_got) - got0)) qd=$(($(kq 6) - qd0)) eng=$(($(stat queue.packets) - eng0))
	lab_log "fail-$mode, daemon stopped: $BURST sent, $waiting waited in the queue, pool got $got, kernel queue_dropped +$qd, daemon judged $eng"
	[ "$waiting" = $MAXLEN ] || lab_fail "fail-$mode: $waiting packets waited, queue.max_len is $MAXLEN"
	[ "$eng" = $MAXLEN ] || lab_fail "fail-$mode: the daemon judged $eng packets after SIGCONT, expected $MAXLEN"
	if [ "$mode" = open ]; then
		[ "$got" = $BURST ] || lab_fail "fail-open: the pool got $got of $BURST datagrams"
		[ "$qd" = 0 ] || lab_fail "fail-open: the kernel dropped $qd packets"
	else
		[ "$got" = $MAXLEN ] || lab_fail "fail-closed: the pool got $got datagrams, expected the $MAXLEN queued ones"
		[ "$qd" = $((BURST - MAXLEN)) ] ||
			lab_fail "fail-closed: kernel queue_dropped +$qd, expected $((BURST - MAXLEN))"
	fi

	# --- 2. a free-running burst against the running daemon
	got0=$(pool_got) qd0=$(kq 6) ud0=$(kq 7) eng0=$(stat queue.packets) enb0=$(stat queue.enobufs)
	lab_client timeout 10 "$UDPBLAST" -d $LAB_P4 -p 9000 -n 64 -t 2 -b 256 >"$LAB_DIR/blast.out" 2>&1 ||
		lab_fail "udpblast: $(cat "$LAB_DIR/blast.out")"
	sleep 0.5
	lab_daemon_alive || lab_fail "fail-$mode: minewalld died in the burst"
	sent=$(awk '$1 == "sent" { print $2 }' "$LAB_DIR/blast.out")
	got=$(($(pool_got) - got0)) qd=$(($(kq 6) - qd0)) ud=$(($(kq 7) - ud0))
	eng=$(($(stat queue.packets) - eng0)) enb=$(($(stat queue.enobufs) - enb0))
	lab_log "fail-$mode, free burst: $sent sent, pool got $got, daemon judged $eng, queue.enobufs +$enb, kernel queue_dropped +$qd user_dropped +$ud"
	[ "$eng" -lt "$sent" ] || lab_fail "fail-$mode: the daemon judged all $sent packets, the queue never overflowed"
	if [ "$mode" = open ]; then
		[ "$qd" = 0 ] || lab_fail "fail-open: the kernel dropped $qd packets on a full queue"
		[ "$got" -gt "$eng" ] || lab_fail "fail-open: the pool got $got, no more than the $eng judged"
	else
		[ "$qd" -gt 0 ] || lab_fail "fail-closed: the kernel counted no drop on a full queue"
		[ "$got" -le "$eng" ] || lab_fail "fail-closed: the pool got $got, more than the $eng judged"
	fi
	hello "fail-$mode after the burst"
	lab_ctl stats >/dev/null || lab_fail "fail-$mode: minewallctl does not answer after the burst"
	lab_stop_daemon TERM
	[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "fail-$mode: minewalld exited with $LAB_DAEMON_RC"

	# --- 3. a long queue, the daemon stopped: its socket buffer overruns (ENOBUFS)
	lab_write_conf "$conf" queue.max_len=1048576 queue.fail_open=$([ "$mode" = open ] && echo true || echo false) \
		flows.mark_clean=false
	lab_start_daemon "$conf"
	got0=$(pool_got) ud0=$(kq 7) enb0=$(stat queue.enobufs)
	kill -STOP "$LAB_DAEMON_PID"
	lab_client "$UDPBLAST" -d $LAB_P4 -p 9000 -n 64 -c $BIG -r 50000 -t 10 >"$LAB_DIR/blast.out" 2>&1 ||
		{ kill -CONT "$LAB_DAEMON_PID"; lab_fail "udpblast: $(cat "$LAB_DIR/blast.out")"; }
	kill -CONT "$LAB_DAEMON_PID"
	lab_wait 10 eval '[ "$(kq 3)" = 0 ]' || lab_fail "fail-$mode: the queue did not drain after SIGCONT"
	sleep 0.5
	lab_daemon_alive || lab_fail "fail-$mode: minewalld died after the socket overrun"
	sent=$(awk '$1 == "sent" { print $2 }' "$LAB_DIR/blast.out")
	got=$(($(pool_got) - got0)) ud=$(($(kq 7) - ud0)) enb=$(($(stat queue.enobufs) - enb0))
	lab_log "fail-$mode, socket overrun: $sent sent, pool got $got, queue.enobufs +$enb, kernel user_dropped +$ud"
	[ "$enb" -ge 1 ] || lab_fail "fail-$mode: the daemon counted no ENOBUFS"
	if [ "$mode" = open ]; then
		[ "$got" = "$sent" ] || lab_fail "fail-open: the pool got $got of $sent datagrams"
	else
		[ "$ud" -gt 0 ] && [ "$got" -lt "$sent" ] ||
			lab_fail "fail-closed: pool got $got of $sent, kernel user_dropped +$ud: no drop"
	fi
	hello "fail-$mode after the socket overrun"
	lab_stop_daemon TERM
	[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "fail-$mode: minewalld exited with $LAB_DAEMON_RC"
}

phase open
phase closed
lab_log "overrun OK"
