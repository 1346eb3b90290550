#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Enforcement end to end (issue 4): after a stratum detection the pool's
# address is blocked in the kernel (a second connection on another port is
# refused without reaching the queue) until the block expires; an allowlisted
# pool is reported, never blocked; a host that keeps at it is throttled (a
# real transfer stays within 10% of the rate), then quarantined (only the
# quarantine allowlist answers), and released with minewallctl; blocks and
# tiers survive kill -9 with their remaining time; a damaged state file is set
# aside and the daemon starts.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
# Pool addresses: .2 the first pool, .3 allowlisted, .4 quarantine-allowed,
# .10-.13 more pools for the host to run into.
for a in 3 4 10 11 12 13; do
	ip -n "$LAB_POOL" addr add 203.0.113.$a/24 dev eth0 || lab_fail "cannot add 203.0.113.$a"
done
lab_serve --tcp 3333 --tcp 7000 --reply-text 'ok\n'
stratum="$DET_PAYLOADS/stratum-bitcoin-cgminer.bin"
[ -s "$stratum" ] || lab_fail "missing payload $stratum"
rate=100000
state=$LAB_DIR/state
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'detect.actions.stratum="reject"' \
	'enforce.block_timeout=4' 'enforce.allow=["203.0.113.3"]' \
	'enforce.quarantine_allow=["203.0.113.4"]' \
	"enforce.throttle_rate=$rate" \
	'enforce.escalation={ window = 600; throttle_after = 2; quarantine_after = 4; throttle_timeout = 600; quarantine_timeout = 600; }' \
	$DET_CONF_EXTRA
lab_start_daemon "$conf"

hello() {
	lab_send --host "$1" --port "${2:-7000}" --payload-text 'hello\n' --expect-text 'ok' \
		--timeout 2 --connect-timeout 2 2>"$LAB_DIR/send.err"
}
mine() {
	det_send_fail reason --host "$1" --port 3333 --payload-file "$stratum" --timeout 2 \
		--connect-timeout 2
}
queued() {
	lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["queue.packets"])'
}

# --- 1. detection -> kernel block by address, on every port, until it expires
hello 203.0.113.2 || lab_fail "before any detection hello failed: $(cat "$LAB_DIR/send.err")"
mine 203.0.113.2
[ "$reason" = reset ] || lab_fail "stratum to .2 should be reset, got $reason: $DET_ERR"
det_wait_events 1 detector=stratum dest_ip=203.0.113.2 action=reject || lab_fail "no stratum event"
lab_ctl blocks list detect >"$LAB_DIR/blocks" || lab_fail "minewallctl blocks list failed"
grep -q '^detect *203\.0\.113\.2 ' "$LAB_DIR/blocks" || lab_fail "no detect block for .2: $(cat "$LAB_DIR/blocks")"
before=$(queued)
det_send_fail reason --host 203.0.113.2 --port 7000 --payload-text 'hello\n' --timeout 2 --connect-timeout 2
[ "$reason" = refused ] || [ "$reason" = reset ] ||
	lab_fail "second connection to the blocked pool should be refused, got $reason: $DET_ERR"
after=$(queued)
[ -n "$before" ] && [ "$after" = "$before" ] || lab_fail "the refused connection reached the queue ($before -> $after packets)"
lab_log "the pool's address is blocked in the kernel; the queue saw nothing"
sleep 5
hello 203.0.113.2 || lab_fail "the block did not expire after 4 s: $(cat "$LAB_DIR/send.err")"
lab_log "the block expired on time"

# --- 2. allowlisted pool: reported, never blocked
mark=$(det_conn_count)
lab_send --host 203.0.113.3 --port 3333 --payload-file "$stratum" --expect-text 'ok' --timeout 2 \
	2>"$LAB_DIR/send.err" || lab_fail "allowlisted pool did not answer: $(cat "$LAB_DIR/send.err")"
det_wait_events 1 detector=stratum dest_ip=203.0.113.3 action=alert allowlisted=True ||
	lab_fail "no allowlisted alert event: $(grep 203.0.113.3 "$LAB_DIR/eve.json")"
lab_ctl blocks list >"$LAB_DIR/blocks"
! grep -q '203\.0\.113\.3' "$LAB_DIR/blocks" || lab_fail "the allowlisted pool was blocked"
hello 203.0.113.3 || lab_fail "allowlisted pool unreachable after its detection"
lab_log "allowlisted pool reported, not blocked"

# --- 3. escalation: the host keeps mining -> throttle -> quarantine -> release
# One detection so far counts (1., .2); the allowlisted one does not. One more: throttle.
mine 203.0.113.10
lab_wait 3 eval "lab_ctl hosts list | grep -q '^$LAB_C4 .*throttle'" ||
	lab_fail "host not throttled after 2 detections: $(lab_ctl hosts list)"
grep -q '"event_type":"tier".*"tier":"throttle"' "$LAB_DIR/eve.json" || lab_fail "no tier event for throttle"
# A real transfer while throttled: bytes beyond the first second's bucket at $rate B/s.
# Up to three rounds: on a loaded machine the sender itself can fall behind the
# limit; a round within 10% of the rate proves the kernel holds it there.
total=600000
throttle_round() {
	secs=$(lab_client "$PYTHON" - 203.0.113.4 7000 $total <<'EOF'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=30)
t0 = time.monotonic()
s.sendall(b"x" * n)
s.shutdown(socket.SHUT_WR)
s.settimeout(30)
while s.recv(65536):
    pass
print("%.3f" % (time.monotonic() - t0))
EOF
) || lab_fail "throttled transfer failed"
	"$PYTHON" -c "import sys
total, rate, secs = $total, $rate, $secs
got = (total - rate) / secs
print('# throttled: %d bytes in %.2f s: %.0f B/s after the initial bucket (limit %d)' % (total, secs, got, rate))
sys.exit(0 if abs(got - rate) <= 0.10 * rate else 1)"
}
ok=
for round in 1 2 3; do
	if throttle_round; then
		ok=1
		break
	fi
	sleep 1.5	# let the host's byte bucket refill
done
[ -n "$ok" ] || lab_fail "throttled rate not within 10% of $rate B/s in three rounds"
# Two more detections: quarantine.
mine 203.0.113.11
mine 203.0.113.12
lab_wait 3 eval "lab_ctl hosts list | grep -q '^$LAB_C4 .*quarantine'" ||
	lab_fail "host not quarantined after 4 detections: $(lab_ctl hosts list)"
det_send_fail reason --host 203.0.113.13 --port 7000 --payload-text 'hello\n' --timeout 2 --connect-timeout 2
lab_log "quarantined host cannot reach 203.0.113.13 ($reason)"
hello 203.0.113.4 || lab_fail "quarantined host cannot reach its quarantine allowlist: $(cat "$LAB_DIR/send.err")"

# --- 4. kill -9: blocks and tiers come back with their remaining time
lab_ctl blocks add 203.0.113.13 300 >/dev/null || lab_fail "blocks add failed"
lab_wait 5 grep -q '^block detect 203\.0\.113\.13 ' "$state" ||
	lab_fail "the admin block was not saved: $(cat "$state" 2>/dev/null)"
kill -9 "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
LAB_DAEMON_PID=
lab_flush_tables
lab_start_daemon "$conf"
lab_ctl hosts list | grep -q "^$LAB_C4 .*quarantine" || lab_fail "quarantine lost across kill -9: $(lab_ctl hosts list)"
left=$(lab_ctl --json blocks list detect | "$PYTHON" -c 'import json,sys
for b in json.load(sys.stdin):
    if b["entry"] == "203.0.113.13":
        print(b["expires_in"])')
[ -n "$left" ] || lab_fail "admin block lost across kill -9: $(lab_ctl blocks list)"
[ "$left" -lt 300 ] && [ "$left" -gt 250 ] || lab_fail "block restored with $left s left, not its remaining time"
lab_log "after kill -9: quarantine back, admin block back with ${left}s left"

# --- 5. the allowlist from minewallctl, in both output forms
json_ok() { "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' || lab_fail "$1: not JSON"; }
lab_ctl allow add 203.0.113.13 >/dev/null || lab_fail "allow add failed"
lab_ctl allow list | grep -q '^203\.0\.113\.13 *minewallctl' || lab_fail "allow list: $(lab_ctl allow list)"
lab_ctl --json allow list | json_ok "allow list --json"
lab_ctl --json blocks list | json_ok "blocks list --json"
lab_ctl --json hosts list | json_ok "hosts list --json"
lab_ctl blocks list detect | grep -q '203\.0\.113\.13' &&
	lab_fail "allowing 203.0.113.13 left the daemon's block on it"
lab_ctl allow del 203.0.113.13 >/dev/null || lab_fail "allow del failed"
! lab_ctl allow list | grep -q '203\.0\.113\.13' || lab_fail "allow del left the entry"
lab_ctl allow add 203.0.113.0:80 >/dev/null 2>&1 && lab_fail "allow add took an address with a port"
grep -q '"event_type":"admin".*"allow"' "$LAB_DIR/eve.json" || lab_fail "no admin event for allow add"

# --- 6. release with minewallctl
lab_ctl hosts release $LAB_C4 >/dev/null || lab_fail "hosts release failed"
hello 203.0.113.2 || lab_fail "released host still cut off: $(cat "$LAB_DIR/send.err")"
grep -q '"event_type":"admin".*"release"' "$LAB_DIR/eve.json" || lab_fail "no admin event for the release"
lab_log "release restored the host"
lab_stop_daemon TERM

# --- 7. a damaged state file is set aside, the daemon starts
size=$(wc -c <"$state")
head -c $((size - 3)) "$state" >"$state.cut" && mv "$state.cut" "$state"	# cut inside its end line
lab_start_daemon "$conf"
lab_wait 3 eval 'ls "$state".corrupt-* >/dev/null 2>&1' || lab_fail "damaged state file not set aside"
grep -q 'state file set aside' "$LAB_DAEMON_LOG" || lab_fail "no log line for the damaged state file"
lab_daemon_alive || lab_fail "minewalld died with a damaged state file"
lab_stop_daemon TERM
lab_log "damaged state set aside with a log line; daemon started"
