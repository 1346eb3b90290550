#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 in the middle of a block batch and of a state write (issue 8).
# The endpoints blocklist holds LIST_A = 100 000 addresses, so the start-up
# batch takes a while; the state file starts with STATE_N = 20 000 blocks, and
# minewallctl keeps adding blocks so the daemon rewrites it every second. In
# each round minewalld is killed -9 at a different moment of start-up, then,
# restarted and whole, at a different moment of a reload that swaps the list
# for LIST_B = 60 000 other addresses. After every kill the set left in the
# kernel holds the old or the new list, never part of one (list_addr4 counted
# with nft -j list set), and the state file is whole (magic line, items,
# "end COUNT" matching); after every restart minewalld does not set the state
# file aside and the kernel holds the whole list and every saved block.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

LIST_A=100000
LIST_B=60000
STATE_N=20000

lab_require
lab_up
list=$LAB_DIR/endpoints.txt
state=$LAB_DIR/state
"$PYTHON" - "$LAB_DIR" $LIST_A $LIST_B $STATE_N <<'EOF' || lab_fail "cannot write the lists"
import sys, time
d, a, b, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def addr(base, i):
    return "10.%d.%d.%d" % (base + (i >> 16), (i >> 8) & 255, i & 255)
with open(d + "/list.a", "w") as f:
    f.writelines(addr(0, i) + "\n" for i in range(a))
with open(d + "/list.b", "w") as f:
    f.writelines(addr(100, i) + "\n" for i in range(b))
exp = int(time.time() * 1000) + 3600 * 1000
with open(d + "/state.seed", "w") as f:
    f.write("minewall-state 1\n")
    f.writelines("block detect %s %d robust test seed\n" % (addr(200, i), exp) for i in range(n))
    f.write("end %d\n" % n)
EOF
cp "$LAB_DIR/list.a" "$list"
cp "$LAB_DIR/state.seed" "$state"
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" "detect.blocklists.endpoints=[\"$list\"]" 'detect.blocklists.domains=[]' \
	'enforce.block_timeout=3600'

# set_count NAME: elements of one set in the gateway ("none" without the table).
set_count() {
	lab_gw nft -j list set inet minewall "$1" 2>/dev/null | "$PYTHON" -c 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("none"); sys.exit(0)
print(sum(len(o["set"].get("elem", [])) for o in d["nftables"] if "set" in o))'
}
# state_whole: the state file parses as minewall writes it; prints its item count.
state_whole() {
	"$PYTHON" - "$state" <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
if lines[-1] != b"" or lines[0] != b"minewall-state 1":
    sys.exit("state file: bad start or no final newline")
items, end = lines[1:-2], lines[-2].split(b" ")
if len(end) != 2 or end[0] != b"end" or int(end[1]) != len(items):
    sys.exit("state file: end line %r for %d items" % (lines[-2], len(items)))
if any(not l.split(b" ")[0] in (b"block", b"tier", b"allow") for l in items):
    sys.exit("state file: unknown item")
print(len(items))
EOF
}
killed() {
	kill -9 "$LAB_DAEMON_PID"
	wait "$LAB_DAEMON_PID" 2>/dev/null
	LAB_DAEMON_PID=
}
# after_kill WHAT OK-COUNTS...: the list set left behind holds one of OK-COUNTS.
after_kill() {
	_ak_what=$1
	shift
	_ak_n=$(set_count list_addr4)
	case " $* " in
	*" $_ak_n "*) ;;
	*) lab_fail "$_ak_what: list_addr4 holds $_ak_n elements after kill -9, expected one of: $*" ;;
	esac
	_ak_s=$(state_whole) || lab_fail "$_ak_what: state file damaged by kill -9"
	[ "$_ak_s" -ge $STATE_N ] || lab_fail "$_ak_what: state file lost items: $_ak_s < $STATE_N"
	rm -f "$state".tmp.*
	lab_log "$_ak_what: killed -9, list set holds $_ak_n, state file whole with $_ak_s items"
	lab_flush_tables
}
# start_whole COUNT: start and wait until the whole list and the saved blocks are in.
start_whole() {
	_sw_n=$(grep -c ' running: ' "$LAB_DAEMON_LOG")
	lab_start_daemon "$conf"
	wait_log $((_sw_n + 1)) ' running: '
	_sw_got=$(set_count list_addr4)
	[ "$_sw_got" = "$1" ] || lab_fail "after restart list_addr4 holds $_sw_got, expected $1"
	_sw_got=$(set_count detect_addr4)
	[ "$_sw_got" -ge $STATE_N ] || lab_fail "after restart detect_addr4 holds $_sw_got, expected >= $STATE_N"
	! ls "$state".corrupt-* >/dev/null 2>&1 || lab_fail "minewalld set the state file aside"
}
# Blocks added through minewallctl while the daemon runs: one state write a second.
adder() {
	(
		i=1
		while [ $i -lt 200 ]; do
			ip netns exec "$LAB_GW" "$MINEWALLCTL" -s "$LAB_CTL_SOCKET" blocks add 192.0.2.$i 600 \
				>/dev/null 2>&1 || exit 0
			sleep 0.05
			i=$((i + 1))
		done
	) &
	LAB_PIDS="$LAB_PIDS $!"
}

# launch: minewalld in the gateway without waiting for anything.
launch() {
	echo "# $(date '+%T') minewalld -f -c $conf" >>"$LAB_DAEMON_LOG"
	ip netns exec "$LAB_GW" "$MINEWALLD" -f -c "$conf" >>"$LAB_DAEMON_LOG" 2>&1 &
	LAB_DAEMON_PID=$!
}
# wait_log N PATTERN: wait (10 ms steps, 15 s at most) for the Nth log line matching.
wait_log() {
	_wl_i=0
	while [ "$(grep -c "$2" "$LAB_DAEMON_LOG")" -lt "$1" ]; do
		lab_daemon_alive || lab_fail "minewalld exited during start-up"
		[ $_wl_i -lt 1500 ] || lab_fail "no log line '$2' within 15 s"
		sleep 0.01
		_wl_i=$((_wl_i + 1))
	done
}

# The list batch follows the line about the installed queue rules (about
# 0.4 s for 100 000 entries here); the reload re-reads the list first.
round=0
for delays in "0.02 0.3" "0.15 0.7" "0.3 1.1"; do
	round=$((round + 1))
	d_start=${delays% *}
	d_reload=${delays#* }
	# Start-up: killed while the list batch is built or sent.
	cp "$LAB_DIR/list.a" "$list"
	nlog=$(grep -c 'installed .* queue' "$LAB_DAEMON_LOG")
	launch
	wait_log $((nlog + 1)) 'installed .* queue'
	sleep "$d_start"
	killed
	after_kill "round $round: start-up + ${d_start}s" 0 $LIST_A
	start_whole $LIST_A
	# Reload: the list changes under a running daemon that writes its state.
	adder
	sleep 1.1
	cp "$LAB_DIR/list.b" "$list"
	kill -HUP "$LAB_DAEMON_PID"
	sleep "$d_reload"
	killed
	after_kill "round $round: reload + ${d_reload}s" $LIST_A $LIST_B
done
# The last restart with the new list.
start_whole $LIST_B
lab_log "restarted: list_addr4 holds $LIST_B, detect_addr4 $(set_count detect_addr4)"
lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC"
state_whole >/dev/null || lab_fail "state file damaged after a clean exit"
lab_log "kill -9 mid-batch OK"
