#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Refused retries escalate: once a pool's address is in the kernel's block
# sets, a miner's retries are refused there and never reach the daemon. The
# block chains count them per source host (sets refused4/refused6) and the
# daemon turns the counts into detections: with throttle_after = 3, six
# refused connections throttle the host, though the queue saw none of them.
# With enforce.count_refused = false the same retries leave the host alone.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --reply-text 'ok\n'
conf=$LAB_DIR/minewall.conf
N=6

queued() {
	lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["queue.packets"])'
}
refused_stat() {
	lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["enforce.refused_connections"])'
}
# N connections from the client to the blocked pool; prints how many the
# kernel refused (TCP reset: enforce.verdict.detect is "reject").
retries() {
	lab_client "$PYTHON" - 203.0.113.2 7000 "$N" <<'EOF'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
refused = 0
for _ in range(n):
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.close()
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        pass
print(refused)
EOF
}
# One phase: fresh daemon and state, block .2, N retries; the queue must not
# see them. Leaves the daemon running.
phase() {
	rm -f "$LAB_DIR/state"
	lab_write_conf "$conf" "$@" \
		'enforce.escalation={ window = 60; throttle_after = 3; quarantine_after = 0; throttle_timeout = 600; quarantine_timeout = 600; }'
	lab_start_daemon "$conf"
	lab_ctl blocks add 203.0.113.2 300 >/dev/null || lab_fail "blocks add failed"
	before=$(queued)
	got=$(retries) || lab_fail "client failed"
	[ "$got" = "$N" ] || lab_fail "$got of $N connections refused by the kernel, expected all"
	after=$(queued)
	[ -n "$before" ] && [ "$after" = "$before" ] ||
		lab_fail "refused connections reached the queue ($before -> $after packets)"
}

# --- 1. counted: the host reaches the throttle tier
phase 'enforce.refused_per_detection=1'
lab_wait 8 eval "lab_ctl hosts list | grep -q '^$LAB_C4 .*throttle'" ||
	lab_fail "host not throttled after $N refused connections: $(lab_ctl hosts list;
		ip netns exec "$LAB_GW" nft list set inet minewall refused4;
		ip netns exec "$LAB_GW" nft list chain inet minewall forward_block4 | head -4)"
grep -q "\"event_type\":\"tier\",\"src_ip\":\"$LAB_C4\",\"tier\":\"throttle\".*\"reason\":\"refused\"" \
	"$LAB_DIR/eve.json" || lab_fail "no tier event with reason refused: $(grep tier "$LAB_DIR/eve.json")"
n=$(refused_stat)
[ "$n" -ge "$N" ] || lab_fail "enforce.refused_connections is $n, expected at least $N"
ip netns exec "$LAB_GW" nft list set inet minewall refused4 | grep -q "$LAB_C4" ||
	lab_fail "the client is not in the refused4 set"
lab_log "$N refused connections: host throttled (reason refused), $n counted, queue untouched"
lab_stop_daemon TERM
lab_flush_tables

# --- 2. not counted: enforce.count_refused = false leaves the host in watch
phase 'enforce.count_refused=false'
sleep 5	# more than two polls of the refused sets
lab_ctl hosts list | grep -q "^$LAB_C4 .*throttle" &&
	lab_fail "count_refused = false, yet the host was throttled: $(lab_ctl hosts list)"
n=$(refused_stat)
[ "$n" = 0 ] || lab_fail "count_refused = false, yet enforce.refused_connections is $n"
lab_gw nft list table inet minewall | grep -q "update @refused" &&
	lab_fail "count_refused = false, yet the block chains still count into the refused sets"
lab_log "count_refused = false: the same retries leave the host alone, no counting rules"
lab_stop_daemon TERM
lab_flush_tables

# --- 3. weighed: with refused_per_detection = 3, the 6 retries are 2
# detections (below throttle_after = 3); 3 more make the third.
phase 'enforce.refused_per_detection=3'
sleep 5	# more than two polls of the refused sets
lab_ctl hosts list | grep -q "^$LAB_C4 .*throttle" &&
	lab_fail "refused_per_detection = 3: throttled after $N refused connections: $(lab_ctl hosts list)"
N=3
got=$(retries) || lab_fail "client failed"
[ "$got" = "$N" ] || lab_fail "$got of $N connections refused by the kernel, expected all"
lab_wait 8 eval "lab_ctl hosts list | grep -q '^$LAB_C4 .*throttle'" ||
	lab_fail "refused_per_detection = 3: not throttled after 9 refused connections: $(lab_ctl hosts list)"
lab_log "refused_per_detection = 3: 6 refused connections leave the host in watch, 9 throttle it"
lab_stop_daemon TERM
