#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# DNS learning end to end: the client resolves a pool domain through a resolver
# behind the gateway; the answer's address is learned, and a later plain TCP
# flow to it (no mining bytes at all) is refused at its SYN by the kernel (the
# address is in the dns block set), while an address never given for a pool passes.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
# A second pool address that no answer ever names.
other=203.0.113.3
ip -n "$LAB_POOL" addr add $other/24 dev eth0 || lab_fail "cannot add $other to the pool"
lab_serve --tcp 7000
# xmr.pool.minexmr.com is covered by pool.minexmr.com in blocklists/pool-domains.txt.
grep -qx 'pool.minexmr.com' "$top_srcdir/blocklists/pool-domains.txt" ||
	lab_fail "blocklists/pool-domains.txt no longer lists pool.minexmr.com"
rm -f "$LAB_DIR/dns.ready"
lab_spawn "$LAB_POOL" "$PYTHON" "$top_srcdir/tests/lab/mwdns.py" --listen $LAB_P4 --port 53 \
	--answer xmr.pool.minexmr.com=$LAB_P4 --ready "$LAB_DIR/dns.ready" --lifetime 120
lab_wait 5 test -s "$LAB_DIR/dns.ready" || lab_fail "DNS responder did not start"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'detect.actions.dns="alert"' 'detect.actions.endpoint="reject"' $DET_CONF_EXTRA
lab_start_daemon "$conf"

hello() {
	lab_send --host "$1" --port 7000 --payload-text "hello\n" 2>"$LAB_DIR/send.err"
}

# Before any lookup the pool address is just an address.
hello $LAB_P4 || lab_fail "before the lookup, hello to $LAB_P4 failed: $(cat "$LAB_DIR/send.err")"

# A benign name: NXDOMAIN, nothing learned.
lab_send --udp --host $LAB_P4 --port 53 --payload-file "$DET_PAYLOADS/dns-query-other.bin" \
	--expect-hex 4d59 2>"$LAB_DIR/send.err" || lab_fail "benign DNS query: $(cat "$LAB_DIR/send.err")"
# The pool name: A 203.0.113.2, alerted and learned.
lab_send --udp --host $LAB_P4 --port 53 --payload-file "$DET_PAYLOADS/dns-query-pool.bin" \
	--expect-hex 4d58 2>"$LAB_DIR/send.err" || lab_fail "pool DNS query: $(cat "$LAB_DIR/send.err")"
det_wait_events 1 detector=dns action=alert dest_port=53 ||
	lab_fail "no dns alert event for the pool name: $(cat "$LAB_DIR/eve.json" 2>/dev/null)"
lab_log "the pool name lookup was alerted"

# Now plain bytes to the learned address are refused at the SYN.
det_send_fail reason --host $LAB_P4 --port 7000 --payload-text 'hello\n'
[ "$reason" = refused ] ||
	lab_fail "a flow to the learned pool address should be refused at its SYN: $DET_ERR"
# The kernel refused it: the answer's address went into the dns block set
# before the connection, so the queue never saw the SYN.
lab_ctl blocks list dns | grep -q "^dns *$LAB_P4 " ||
	lab_fail "the learned address is not in the dns block set: $(lab_ctl blocks list)"
lab_log "flow to the learned address refused by the kernel's dns block set"

# An address no answer named still passes.
hello $other || lab_fail "hello to $other (never answered for a pool) failed: $(cat "$LAB_DIR/send.err")"
n=$(det_events dest_ip=$other)
[ "$n" = 0 ] || lab_fail "$n mining event(s) for $other"
lab_received --peer $LAB_C4 --contains-text 'hello' >/dev/null || lab_fail "the pool did not get hello"

lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "DNS answer for a pool domain blocks its address, other addresses pass"
