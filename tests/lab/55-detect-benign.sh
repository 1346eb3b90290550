#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benign traffic through the same detecting daemon passes untouched: HTTP GET,
# JSON-RPC POSTs to an Ethereum node and to bitcoind, raw JSON-RPC 2.0 over
# TCP, Electrum, a TLS ClientHello with a benign SNI, an SSH banner and a DNS
# query. Each round trip gets the pool's echo, the pool receives every byte,
# and no mining event is logged.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
# An echoing pool: the client's expected response is its own bytes.
lab_serve --tcp 80 --tcp 8545 --tcp 8332 --tcp 7000 --tcp 50001 --tcp 443 --tcp 22 --udp 53

conf=$LAB_DIR/minewall.conf
# Every detector at its strictest, so an alert would not hide a false positive.
lab_write_conf "$conf" 'detect.actions.stratum="reject"' 'detect.actions.getwork="reject"' \
	'detect.actions.tls_sni="reject"' 'detect.actions.dns="reject"' $DET_CONF_EXTRA
lab_start_daemon "$conf"

# passes NAME HOST PORT PAYLOAD [send options]
passes() {
	_name=$1 _host=$2 _port=$3 _file=$DET_PAYLOADS/$4
	shift 4
	[ -s "$_file" ] || lab_fail "$_name: no payload file $_file"
	_mark=$(det_conn_count)
	lab_send --host "$_host" --port "$_port" --payload-file "$_file" "$@" 2>"$LAB_DIR/send.err" ||
		lab_fail "$_name: round trip through minewalld failed: $(cat "$LAB_DIR/send.err")"
	_rec=$(det_conn_file "$_mark") || exit 1
	cmp -s "$_rec" "$_file" ||
		lab_fail "$_name: the pool received $(det_size "$_rec") bytes, not the $(det_size "$_file") sent"
	lab_log "$_name: passed"
}

for host in $LAB_P4 $LAB_P6; do
	passes "HTTP GET to $host" $host 80 http-get.bin
	passes "Ethereum node eth_blockNumber POST to $host" $host 8545 http-eth-blocknumber.bin
	passes "bitcoind getblockchaininfo POST to $host" $host 8332 http-bitcoind-getblockchaininfo.bin
	passes "JSON-RPC 2.0 echo over TCP to $host" $host 7000 jsonrpc-echo.bin
	passes "Electrum server.version to $host" $host 50001 electrum-version.bin
	passes "TLS ClientHello SNI ssl.gstatic.com to $host" $host 443 tls-benign-gstatic.bin
	passes "SSH banner to $host" $host 22 ssh-banner.bin
	passes "DNS query for www.example.org to $host" $host 53 dns-query-benign.bin --udp
done
# Split the same way the miners' handshakes were: still nothing to stop.
passes "JSON-RPC 2.0 echo in 3 segments" $LAB_P4 7000 jsonrpc-echo.bin --segments 3 --delay 0.1
passes "Electrum server.version in 3 segments" $LAB_P4 50001 electrum-version.bin --segments 3 --delay 0.1
passes "eth_blockNumber POST in 3 segments" $LAB_P6 8545 http-eth-blocknumber.bin --segments 3 --delay 0.1
passes "TLS ClientHello SNI ssl.gstatic.com in 3 segments" $LAB_P6 443 tls-benign-gstatic.bin --segments 3 --delay 0.1

# The event file may trail the packets by a moment.
sleep 0.5
n=$(det_events)
[ "$n" = 0 ] || lab_fail "benign traffic produced $n mining event(s): $(head -n 3 "$LAB_DIR/eve.json")"

lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "benign traffic passed untouched, no mining event"
