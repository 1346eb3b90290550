#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab itself, without minewalld: routing, v4/v6 TCP/UDP through the gateway,
# what mwtraffic reports (ok, refused, reset, timeout), an xt NFQUEUE rule with
# and without bypass, and the daemon start/stop helpers driven by a stand-in.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up

# Reason word mwtraffic printed for a failed exchange, or "ok".
outcome() {
	if lab_send "$@" 2>"$LAB_DIR/send.err"; then
		echo ok
	else
		sed -n 's/^mwtraffic: \([a-z]*\):.*/\1/p' "$LAB_DIR/send.err" | head -n 1
	fi
}

expect_outcome() {
	_want=$1
	shift
	_got=$(outcome "$@")
	[ "$_got" = "$_want" ] || lab_fail "send $*: expected $_want, got '$_got' ($(cat "$LAB_DIR/send.err"))"
}

# Routing: the gateway forwards, nothing routes out of the lab.
lab_client ping -c1 -W2 $LAB_P4 >/dev/null || lab_fail "ping v4 client -> pool"
lab_client ping -6 -c1 -W2 $LAB_P6 >/dev/null || lab_fail "ping v6 client -> pool"
lab_pool ping -c1 -W2 $LAB_C4 >/dev/null || lab_fail "ping v4 pool -> client"
# The gateway's default routes stay inside the lab: they lead to the pool.
case "$(lab_gw ip route show default)" in
"default via $LAB_P4 "*) ;;
*) lab_fail "gateway v4 default route does not lead to the pool" ;;
esac
case "$(lab_gw ip -6 route show default)" in
"default via $LAB_P6 "*) ;;
*) lab_fail "gateway v6 default route does not lead to the pool" ;;
esac
lab_client ping -c1 -W1 192.0.2.1 >/dev/null 2>&1 && lab_fail "a packet left the lab"

lab_serve --tcp 7000 --udp 7000
lab_spawn "$LAB_POOL" "$PYTHON" "$LAB_TRAFFIC" serve --logdir "$LAB_DIR/canned" \
	--ready "$LAB_DIR/canned.ready" --lifetime 120 --tcp 7001 \
	--reply-text '{"id":1,"result":[[["mining.notify","ae6812eb"]],"08000002",4],"error":null}\n'
lab_wait 5 test -s "$LAB_DIR/canned.ready" || lab_fail "canned server did not start"

for host in $LAB_P4 $LAB_P6; do
	expect_outcome ok --host $host --port 7000
	expect_outcome ok --udp --host $host --port 7000
	expect_outcome ok --host $host --port 7000 --segments 5 --delay 0.02 \
		--payload-text "split-$host-0123456789abcdef\n"
	lab_received --contains-text "split-$host-0123456789abcdef" >/dev/null ||
		lab_fail "pool did not record the segmented payload to $host"
	expect_outcome refused --host $host --port 7999
	expect_outcome refused --udp --host $host --port 7999
done
lab_received --proto udp --peer $LAB_C4 >/dev/null || lab_fail "received --peer"
[ "$(lab_received --proto udp)" = "connections 2 bytes 32" ] ||
	lab_fail "pool udp record: $(lab_received --proto udp)"
lab_received --contains-text "never sent" >/dev/null && lab_fail "received finds bytes never sent"

subscribe='{"id":1,"method":"mining.subscribe","params":["lab/1.0"]}\n'
expect_outcome ok --host $LAB_P4 --port 7001 --payload-text "$subscribe" --expect-text '"mining.notify"'
expect_outcome mismatch --host $LAB_P4 --port 7001 --payload-text "$subscribe" \
	--expect-text 'not-this' --timeout 1

lab_client "$PYTHON" "$LAB_TRAFFIC" load --host $LAB_P6 --port 7000 --count 20 --duration 10 \
	--interval 0.01 --log "$LAB_DIR/load.log" || lab_fail "load v6"
[ "$(grep -c '	ok	' "$LAB_DIR/load.log")" = 20 ] || lab_fail "load log: $(cat "$LAB_DIR/load.log")"

# An established flow cut by the gateway is a reset, not a timeout.
lab_gw nft add table inet labcut
lab_gw nft add chain inet labcut cut '{ type filter hook forward priority 0; }'
lab_gw nft add rule inet labcut cut tcp dport 7000 ct state established reject with tcp reset
expect_outcome reset --host $LAB_P4 --port 7000
expect_outcome reset --host $LAB_P6 --port 7000
lab_gw nft delete table inet labcut

# An NFQUEUE rule (xt target through nft_compat, as minewalld installs) with
# bypass and no listener: the kernel accepts, traffic passes and is counted.
for ipt in iptables ip6tables; do
	lab_gw $ipt -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass || lab_fail "$ipt NFQUEUE"
done
lab_gw nft list ruleset | grep -q 'queue num 0 bypass' || lab_fail "no bypass queue rule in nft"
for host in $LAB_P4 $LAB_P6; do
	expect_outcome ok --host $host --port 7000
	expect_outcome ok --udp --host $host --port 7000
done
lab_gw iptables -vnL FORWARD | awk '/NFQUEUE/ { exit !($1 > 0) }' || lab_fail "queue rule counted no packet"

# Without bypass and without a listener the kernel drops: a new connection times out.
for ipt in iptables ip6tables; do
	lab_gw $ipt -F FORWARD
	lab_gw $ipt -A FORWARD -j NFQUEUE --queue-num 0
done
expect_outcome timeout --host $LAB_P4 --port 7000 --connect-timeout 1.5
expect_outcome timeout --host $LAB_P6 --port 7000 --connect-timeout 1.5
for ipt in iptables ip6tables; do
	lab_gw $ipt -F FORWARD
done
expect_outcome ok --host $LAB_P4 --port 7000

# The daemon helpers, driven by a stand-in that only owns a table.
fake=$LAB_DIR/fake-minewalld
cat >"$fake" <<'EOF'
#!/bin/sh
trap 'nft delete table inet minewall; exit 0' TERM INT
nft add table inet minewall || exit 3
echo "fake minewalld $*"
n=0
while [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
exit 4
EOF
chmod +x "$fake"
MINEWALLD=$fake
conf=$LAB_DIR/lab.conf
lab_write_conf "$conf" queue.fail_open=false
grep -q 'fail_open = false;' "$conf" || lab_fail "lab_write_conf override"
lab_start_daemon "$conf" -v
[ "$(lab_tables)" = inet ] || lab_fail "lab_tables: $(lab_tables)"
grep -q "fake minewalld -f -c $conf -v" "$LAB_DAEMON_LOG" || lab_fail "daemon arguments"
lab_daemon_alive || lab_fail "lab_daemon_alive"
lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "stand-in exit status $LAB_DAEMON_RC"
[ -z "$(lab_tables)" ] || lab_fail "stand-in left its table"
lab_start_daemon "$conf"
lab_stop_daemon KILL
[ "$LAB_DAEMON_RC" = 137 ] || lab_fail "kill -9 status $LAB_DAEMON_RC"
[ "$(lab_tables)" = inet ] || lab_fail "table should survive kill -9"
lab_flush_tables
[ -z "$(lab_tables)" ] || lab_fail "lab_flush_tables"

lab_log "lab OK"
