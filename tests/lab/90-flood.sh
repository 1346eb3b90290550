#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Flow flood (issue 8): FLOOD_FLOWS distinct UDP flows (default 1048576, one
# datagram each, paced at FLOOD_PPS = 100 000/s, so about 10.5 s; this machine
# manages that, a slower one sends fewer within FLOOD_SECS = 25 s and the test
# says how many) go through the gateway while flows.max = 65536. Checked:
# - the daemon's VmRSS stays under a bound derived from flows.max and
#   flows.buffers (start-up RSS + 256 B per flow + two inspect buffers per
#   buffer slot + 16 MB of slack for libraries and sockets);
# - flows are evicted least-recently-seen first: flows.evicted grows past the
#   flood size minus flows.max, a flow sent before the flood is gone (one more
#   of its datagrams creates a flow) while a flow sent after it is still there;
# - minewallctl answers during the flood, every call within 3 s;
# - a Stratum handshake sent in the middle of the flood is detected and reset.
# queue.fail_open = false with a long queue: a packet the queue cannot take is
# dropped (and the client retransmits), never let past the detectors.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

: "${FLOOD_FLOWS:=1048576}"
: "${FLOOD_PPS:=100000}"
: "${FLOOD_SECS:=25}"
FLOWS_MAX=65536
FLOWS_BUFFERS=4096
INSPECT=4096
UDPBLAST=$top_builddir/tests/bench/udpblast

lab_require
[ -x "$UDPBLAST" ] || lab_skip "no $UDPBLAST (make check builds it)"
lab_up
lab_serve --tcp 3333 --reply-text 'MW-POOL-REPLY\n' --reply-after 100000000
# The pool drops the flood before its UDP stack: no ICMP back through the queue.
lab_pool nft -f - <<'EOF' || lab_fail "pool drop rule"
table inet mwflood {
	chain pre { type filter hook prerouting priority -300; policy accept; udp dport != 5353 drop; }
}
EOF
stratum=$DET_PAYLOADS/stratum-bitcoin-cgminer.bin
[ -s "$stratum" ] || lab_fail "missing payload $stratum"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" "flows.max=$FLOWS_MAX" "flows.buffers=$FLOWS_BUFFERS" \
	"flows.inspect_bytes=$INSPECT" flows.idle_timeout=600 flows.mark_clean=false \
	queue.max_len=65536 queue.fail_open=false 'detect.actions.stratum="reject"' \
	'enforce.block_timeout=0' 'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }'
lab_start_daemon "$conf"

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$LAB_DAEMON_PID/status"; }
# stat NAME: one counter of minewallctl --json stats.
stat() {
	lab_ctl --json stats | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
# udp1 SPORT DPORT: one datagram from the client with a fixed source port.
udp1() {
	lab_client "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.sendto(b"mw-flood-probe", (sys.argv[3], int(sys.argv[2])))' "$1" "$2" $LAB_P4 || lab_fail "udp probe failed"
}
# quiet: wait until the engine has judged everything in flight (at most 9 s:
# on a loaded machine the queue can still hold a backlog after the flood).
quiet() {
	_q_prev=-1
	for _q_i in $(seq 30); do
		_q_n=$(stat engine.packets)
		[ "$_q_n" = "$_q_prev" ] && return 0
		_q_prev=$_q_n
		sleep 0.3
	done
}
# new_flows CMD...: how many flows the daemon created while CMD ran.
new_flows() {
	quiet
	_nf0=$(stat flows.created)
	"$@"
	quiet
	echo $(($(stat flows.created) - _nf0))
}

sleep 0.3
rss0=$(rss_kb)
# The method can tell: a second datagram of a tracked flow creates nothing.
[ "$(new_flows udp1 40001 5001)" = 1 ] || lab_fail "the early probe flow was not tracked"
[ "$(new_flows udp1 40001 5001)" = 0 ] || lab_fail "a tracked flow was created twice before the flood"

# minewallctl during the flood: every call within 3 s, in a bounded loop.
ctl_log=$LAB_DIR/ctl.log
: >"$ctl_log"
(
	i=0
	while [ $i -lt $((FLOOD_SECS * 4)) ] && [ ! -e "$LAB_DIR/flood.done" ]; do
		if timeout 3 ip netns exec "$LAB_GW" "$MINEWALLCTL" -s "$LAB_CTL_SOCKET" stats >/dev/null 2>&1; then
			echo ok >>"$ctl_log"
		else
			echo fail >>"$ctl_log"
		fi
		sleep 0.25
		i=$((i + 1))
	done
) &
LAB_PIDS="$LAB_PIDS $!"
ctl_loop=$!

t0=$(lab_now)
lab_client timeout $((FLOOD_SECS + 5)) "$UDPBLAST" -d $LAB_P4 -p 1 -n "$FLOOD_FLOWS" \
	-c "$FLOOD_FLOWS" -s 16 -r "$FLOOD_PPS" -t "$FLOOD_SECS" >"$LAB_DIR/blast.out" 2>&1 &
LAB_PIDS="$LAB_PIDS $!"
blast=$!
# The Stratum handshake in the middle of the flood.
sleep 4
lab_daemon_alive || lab_fail "minewalld died in the flood"
rss_mid=$(rss_kb)
nev=$(det_events detector=stratum action=reject)
det_send_fail reason --host $LAB_P4 --port 3333 --payload-file "$stratum" --expect-text 'MW-NEVER' \
	--timeout 5 --connect-timeout 5
[ "$reason" = reset ] || lab_fail "stratum during the flood: expected reset, client says: $DET_ERR"
lab_wait 3 det_events_ge $((nev + 1)) detector=stratum action=reject dest_port=3333 ||
	lab_fail "no stratum event for the handshake sent during the flood"
lab_log "stratum handshake during the flood: reset and logged"
wait "$blast"
blast_rc=$?
touch "$LAB_DIR/flood.done"
wait "$ctl_loop"
t1=$(lab_now)
[ "$blast_rc" = 0 ] || lab_fail "udpblast failed ($blast_rc): $(cat "$LAB_DIR/blast.out")"
lab_daemon_alive || lab_fail "minewalld died in the flood"
sent=$(awk '$1 == "sent" { print $2 }' "$LAB_DIR/blast.out")
[ -n "$sent" ] || lab_fail "udpblast said: $(cat "$LAB_DIR/blast.out")"
if [ "$sent" -lt "$FLOOD_FLOWS" ]; then
	lab_log "this machine sent $sent of $FLOOD_FLOWS flows within ${FLOOD_SECS}s"
fi
lab_log "$(cat "$LAB_DIR/blast.out")"

ctl_ok=$(grep -c '^ok$' "$ctl_log")
ctl_fail=$(grep -c '^fail$' "$ctl_log")
[ "$ctl_fail" = 0 ] && [ "$ctl_ok" -ge 5 ] ||
	lab_fail "minewallctl during the flood: $ctl_ok answered, $ctl_fail failed or took over 3 s"
lab_log "minewallctl answered $ctl_ok calls during the flood, none late"

# A flow seen after the flood is still tracked; the one from before it is gone.
udp1 40002 5002
quiet
created=$(stat flows.created)
evicted=$(stat flows.evicted)
active=$(stat flows.active)
rss1=$(rss_kb)
lab_log "flows created $created, evicted $evicted, active $active; VmRSS $rss0 -> $rss_mid -> $rss1 kB"
[ "$active" -le "$FLOWS_MAX" ] || lab_fail "$active flows active, flows.max is $FLOWS_MAX"
[ "$created" -gt $((FLOWS_MAX * 2)) ] ||
	lab_fail "only $created flows reached the daemon: the flood did not fill the table twice"
[ "$evicted" -ge $((created - FLOWS_MAX)) ] ||
	lab_fail "flows.evicted $evicted < created $created - flows.max $FLOWS_MAX"
[ "$(new_flows udp1 40002 5002)" = 0 ] || lab_fail "the flow sent after the flood was evicted"
[ "$(new_flows udp1 40001 5001)" = 1 ] || lab_fail "the flow sent before the flood is still tracked"
lab_log "least recently seen flows evicted first: the early flow is gone, the late one kept"

# Memory bound from the configuration.
bound=$((rss0 + (FLOWS_MAX * 256 + FLOWS_BUFFERS * 2 * INSPECT) / 1024 + 16384))
for r in $rss_mid $rss1; do
	[ "$r" -le "$bound" ] || lab_fail "VmRSS $r kB over the bound $bound kB (start $rss0 kB)"
done
lab_log "VmRSS stayed under $bound kB"
lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC after the flood"
lab_log "flood OK"
