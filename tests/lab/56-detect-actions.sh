#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The configured action decides what a Stratum miner meets: "alert" lets the
# handshake through to the pool and logs it, "drop" leaves the client hanging
# with no reset, "reject" resets it at once (under 1 s).
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
# The pool answers a subscribe the way a Bitcoin pool does.
reply='{"id":0,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"f8002c90",4],"error":null}\n'
lab_serve --tcp 2222 --tcp 2223 --tcp 2224 --reply-text "$reply" --reply-after 1
hs=$DET_PAYLOADS/stratum-bitcoin-cgminer.bin

# daemon ACTION: (re)start minewalld with stratum = ACTION.
daemon() {
	lab_daemon_alive && lab_stop_daemon TERM
	lab_write_conf "$LAB_DIR/$1.conf" 'enforce.block_timeout=0' 'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' "detect.actions.stratum=\"$1\"" $DET_CONF_EXTRA
	lab_start_daemon "$LAB_DIR/$1.conf"
}

# alert: the pool gets the handshake and answers it; the event says alert.
daemon alert
mark=$(det_conn_count)
lab_send --host $LAB_P4 --port 2222 --payload-file "$hs" --expect-text "$reply" 2>"$LAB_DIR/send.err" ||
	lab_fail "alert: the subscribe did not get the pool's answer: $(cat "$LAB_DIR/send.err")"
rec=$(det_conn_file "$mark") || exit 1
cmp -s "$rec" "$hs" || lab_fail "alert: the pool did not receive the handshake unchanged"
det_wait_events 1 detector=stratum dialect=bitcoin dest_port=2222 action=alert ||
	lab_fail "alert: no stratum/bitcoin alert event"
lab_log "alert: handshake passed, event logged"

# drop: no reset, no answer; the client's wait runs out.
daemon drop
mark=$(det_conn_count)
det_send_fail reason --host $LAB_P4 --port 2223 --payload-file "$hs" --expect-text "$reply" --timeout 2
[ "$reason" = timeout ] || lab_fail "drop: expected silence, client says: $DET_ERR"
[ "$DET_MS" -ge 1900 ] || lab_fail "drop: the client gave up after ${DET_MS} ms, before its 2 s wait"
rec=$(det_conn_file "$mark") || exit 1
[ "$(det_size "$rec")" = 0 ] || lab_fail "drop: the pool received $(det_size "$rec") bytes"
det_wait_events 1 detector=stratum dialect=bitcoin dest_port=2223 action=drop ||
	lab_fail "drop: no stratum/bitcoin drop event"
lab_log "drop: client timed out with no reset"

# reject: a reset, quickly.
daemon reject
mark=$(det_conn_count)
det_send_fail reason --host $LAB_P4 --port 2224 --payload-file "$hs" --expect-text "$reply" --timeout 3
[ "$reason" = reset ] || lab_fail "reject: expected a TCP reset, client says: $DET_ERR"
[ "$DET_MS" -lt 1000 ] || lab_fail "reject: the reset took ${DET_MS} ms (limit 1000 ms)"
rec=$(det_conn_file "$mark") || exit 1
[ "$(det_size "$rec")" = 0 ] || lab_fail "reject: the pool received $(det_size "$rec") bytes"
det_wait_events 1 detector=stratum dialect=bitcoin dest_port=2224 action=reject ||
	lab_fail "reject: no stratum/bitcoin reject event"
lab_log "reject: client reset after ${DET_MS} ms"

# Exactly one event per flow, each with its own action.
n=$(det_events detector=stratum)
[ "$n" = 3 ] || lab_fail "expected 3 stratum events, got $n"
lab_stop_daemon TERM
