#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Live detection: a miner of each Stratum dialect (real handshake bytes, most of
# them from the corpus), a getwork POST and a TLS ClientHello for a pool domain,
# each on a port no pool list names, over IPv4 and IPv6, in one segment and
# split over several. The client must be stopped the configured way (reset for
# reject, silence for drop), the right event must be logged, and the pool must
# not get the handshake.
#
# What is guaranteed for the pool: in one segment it receives no byte at all.
# Split, the first segments carry no complete message (a line without its
# newline, HTTP headers without their end) and the detector lets them through
# while it waits (DET_MORE); the segment that completes the message is the one
# stopped, and nothing after it passes. So the pool holds a strict prefix of
# the handshake that lacks at least the whole last segment: no complete JSON
# line, no complete HTTP request, no complete ClientHello.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
# A silent pool: it records every byte and never answers, so whatever the
# client hears comes from the gateway.
lab_serve --tcp 2222 --tcp 8443 --tcp 443 --tcp 5222 --tcp 8080 --tcp 3333 \
	--reply-text 'MW-POOL-REPLY\n' --reply-after 100000000

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.block_timeout=0' 'enforce.verdict={ dns = "drop"; }' 'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' 'detect.actions.stratum="reject"' 'detect.actions.getwork="reject"' \
	'detect.actions.tls_sni="drop"' $DET_CONF_EXTRA
lab_start_daemon "$conf"

# stopped NAME ACTION HOST PORT PAYLOAD SEGMENTS DETECTOR DIALECT
stopped() {
	_name=$1 _action=$2 _host=$3 _port=$4 _file=$DET_PAYLOADS/$5 _segs=$6 _det=$7 _dia=$8
	[ -s "$_file" ] || lab_fail "$_name: no payload file $_file"
	_mark=$(det_conn_count)
	_nev=$(det_events detector="$_det" dialect="$_dia" dest_port="$_port" action="$_action")
	case $_action in
	reject) _wait=3 ;;
	drop) _wait=2 ;;
	esac
	det_send_fail _reason --host "$_host" --port "$_port" --payload-file "$_file" \
		--segments "$_segs" --delay 0.1 --expect-text 'MW-NEVER' --timeout "$_wait"
	case $_action in
	reject)
		[ "$_reason" = reset ] ||
			lab_fail "$_name: expected a TCP reset (reject), client says: $DET_ERR"
		# The reset follows the last segment at once; the segments before it
		# were sent 0.1 s apart. The margin is for sanitizer builds on a
		# loaded machine: the point is a reset, well before the 3 s timeout.
		_limit=$((2000 + (_segs - 1) * 100))
		[ "$DET_MS" -lt "$_limit" ] ||
			lab_fail "$_name: reset came after ${DET_MS} ms (limit ${_limit} ms)"
		;;
	drop)
		[ "$_reason" = timeout ] ||
			lab_fail "$_name: expected silence (drop), client says: $DET_ERR"
		;;
	esac
	_rec=$(det_conn_file "$_mark") || exit 1
	# Give anything in flight time to reach the pool before judging it.
	sleep 0.3
	_got=$(det_size "$_rec")
	_len=$(det_size "$_file")
	if [ "$_segs" = 1 ]; then
		[ "$_got" = 0 ] ||
			lab_fail "$_name: the pool received $_got bytes of the handshake: $(od -c "$_rec" | head -n 3)"
	else
		det_prefix_of "$_rec" "$_file" ||
			lab_fail "$_name: the pool did not receive a strict prefix of the handshake ($_got of $_len bytes)"
		# mwtraffic's split: the last segment is len/segs bytes, rounded down.
		_most=$((_len - _len / _segs))
		[ "$_got" -le "$_most" ] ||
			lab_fail "$_name: the pool received $_got of $_len bytes, part of the last segment (at most $_most)"
		lab_log "$_name: the pool holds $_got of $_len bytes, no complete message"
	fi
	det_wait_events $((_nev + 1)) detector="$_det" dialect="$_dia" dest_port="$_port" \
		action="$_action" ||
		lab_fail "$_name: no event detector=$_det dialect=$_dia dest_port=$_port action=$_action in $(tail -n 3 "$LAB_DIR/eve.json" 2>/dev/null)"
	lab_log "$_name: stopped ($_action, client saw $_reason after ${DET_MS} ms)"
}

for segs in 1 3; do
	stopped "cgminer mining.subscribe, $segs segment(s)" reject $LAB_P4 2222 \
		stratum-bitcoin-cgminer.bin $segs stratum bitcoin
	stopped "ethproxy eth_submitLogin, $segs segment(s)" reject $LAB_P4 8443 \
		stratum-ethproxy.bin $segs stratum ethproxy
	stopped "EthereumStratum/1.0.0 mining.subscribe, $segs segment(s)" reject $LAB_P4 443 \
		stratum-ethereumstratum.bin $segs stratum ethereumstratum
	stopped "XMRig login over IPv6, $segs segment(s)" reject $LAB_P6 5222 \
		stratum-cryptonote-xmrig.bin $segs stratum cryptonote
	stopped "xmr-stak login, $segs segment(s)" reject $LAB_P4 5222 \
		stratum-cryptonote-xmrstak.bin $segs stratum cryptonote
	stopped "cgminer getwork POST with X-Mining-Extensions, $segs segment(s)" reject $LAB_P4 8080 \
		getwork-x-mining.bin $segs getwork getwork
done
# More, smaller segments: the line arrives in 6 pieces, over IPv6.
stopped "cgminer mining.subscribe over IPv6, 6 segments" reject $LAB_P6 2222 \
	stratum-bitcoin-cgminer.bin 6 stratum bitcoin

# TLS last: the tls-sni detector learns the server's address from a pool SNI,
# and from then on every flow to that address is blocked at its SYN, in the kernel. The
# split ClientHello goes to the v6 address, which the first one did not teach.
stopped "TLS ClientHello SNI us1.bitminter.com, 1 segment" drop $LAB_P4 3333 \
	tls-bitminter.bin 1 tls-sni tls
stopped "TLS ClientHello SNI us1.bitminter.com over IPv6, 3 segments" drop $LAB_P6 3333 \
	tls-bitminter.bin 3 tls-sni tls
# The address went into the kernel's dns block set (verdict drop in this
# configuration, like tls_sni): the SYN gets no answer and never reaches the queue.
det_send_fail reason --host $LAB_P4 --port 8080 --payload-text 'GET / HTTP/1.0\r\n\r\n' --expect-text 'MW-NEVER'
[ "$reason" = timeout ] ||
	lab_fail "after a pool SNI, a new flow to its address should be dropped at the SYN: $DET_ERR"
lab_ctl blocks list dns | grep -q "^dns *$LAB_P4 " ||
	lab_fail "the pool SNI's server address is not in the dns block set: $(lab_ctl blocks list)"
lab_log "after the pool SNI, the pool address is blocked at the SYN"

# Nothing of a complete handshake anywhere in what the pool recorded.
for f in stratum-bitcoin-cgminer.bin stratum-ethproxy.bin stratum-ethereumstratum.bin \
	stratum-cryptonote-xmrig.bin stratum-cryptonote-xmrstak.bin getwork-x-mining.bin tls-bitminter.bin; do
	if lab_received --contains-file "$DET_PAYLOADS/$f" >/dev/null; then
		lab_fail "the pool received the complete handshake of $f"
	fi
done
for m in '}\n' '\r\n\r\n'; do
	if lab_received --contains-text "$m" >/dev/null; then
		lab_fail "the pool received the end of a message ($m)"
	fi
done

lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "every mining handshake stopped before the pool saw it"
