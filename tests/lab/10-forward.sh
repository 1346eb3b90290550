#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# With minewalld on the gateway, ordinary TCP and UDP over IPv4 and IPv6 pass in
# both directions, for a first flow and for the flows after it.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --udp 7000

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf"
lab_start_daemon "$conf"

# exchange WHAT [send options]: must get the echo back within 3 s.
exchange() {
	_what=$1
	shift
	lab_send "$@" 2>"$LAB_DIR/send.err" ||
		lab_fail "$_what through minewalld: $(cat "$LAB_DIR/send.err")"
}

for round in first second; do
	for host in $LAB_P4 $LAB_P6; do
		exchange "$round TCP flow to $host" --host $host --port 7000 \
			--payload-text "$round tcp $host\n"
		exchange "$round UDP flow to $host" --udp --host $host --port 7000 \
			--payload-text "$round udp $host\n"
		lab_received --proto tcp --contains-text "$round tcp $host" >/dev/null ||
			lab_fail "pool did not receive the $round TCP payload to $host"
		lab_received --proto udp --contains-text "$round udp $host" >/dev/null ||
			lab_fail "pool did not receive the $round UDP payload to $host"
	done
done

# A request in several segments and a reply larger than one segment.
big=$(printf 'GET /%04d HTTP/1.0\r\n' $(seq 1 200) | head -c 3000)
for host in $LAB_P4 $LAB_P6; do
	exchange "segmented TCP flow to $host" --host $host --port 7000 --segments 4 --delay 0.05 \
		--payload-text "$big"
done

# A short burst of new connections all pass.
lab_client "$PYTHON" "$LAB_TRAFFIC" load --host $LAB_P4 --port 7000 --count 30 --duration 20 \
	--interval 0.01 --timeout 3 2>"$LAB_DIR/load.err" || lab_fail "burst of flows: $(cat "$LAB_DIR/load.err")"

lab_daemon_alive || lab_fail "minewalld died while forwarding"
[ -n "$(lab_tables)" ] || lab_fail "minewall tables vanished while forwarding"
lab_stop_daemon TERM
lab_log "forwarding through minewalld OK"
