#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# After start-up minewalld holds CAP_NET_ADMIN and nothing else (effective,
# permitted, bounding; no inheritable or ambient, no_new_privs set), yet the
# control socket was chowned to control.group, minewallctl answers, a detection
# still installs a kernel block, a reload still rewrites the rules, and the
# exit still removes them.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
[ -x "$MINEWALLCTL" ] || lab_fail "no minewallctl at $MINEWALLCTL (build first)"
# A group that is not root's, so the chown needs CAP_CHOWN at start-up.
group=$(getent group daemon | cut -d: -f1)
[ -n "$group" ] || lab_skip "no group 'daemon' to give the control socket"
lab_up
lab_serve --tcp 7000 --tcp 3333

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" "control.group=\"$group\"" 'enforce.block_timeout=60'
lab_start_daemon "$conf"
lab_wait 5 test -S "$LAB_CTL_SOCKET" || lab_fail "no control socket at $LAB_CTL_SOCKET"
lab_wait 5 grep -q "capabilities: kept" "$LAB_DAEMON_LOG" ||
	lab_fail "the daemon did not log its capabilities: $(cat "$LAB_DAEMON_LOG")"
[ "$(stat -c %G "$LAB_CTL_SOCKET")" = "$group" ] ||
	lab_fail "socket group $(stat -c %G "$LAB_CTL_SOCKET"), expected $group"

# Exactly bit 12 (CAP_NET_ADMIN) where it counts, nothing where it could spread.
status=/proc/$LAB_DAEMON_PID/status
grep -q "^Name:.*minewalld" "$status" || lab_fail "pid $LAB_DAEMON_PID is not minewalld: $(grep ^Name: "$status")"
for want in "CapEff:	0000000000001000" "CapPrm:	0000000000001000" \
	"CapBnd:	0000000000001000" "CapInh:	0000000000000000" \
	"CapAmb:	0000000000000000" "NoNewPrivs:	1"; do
	grep -qx "$want" "$status" ||
		lab_fail "expected '$want' in $status: $(grep -E '^(Cap|NoNewPrivs)' "$status" | tr '\n' ' ')"
done
grep -q "capabilities: kept cap_net_admin; no_new_privs set" "$LAB_DAEMON_LOG" ||
	lab_fail "log does not name what was kept: $(grep capabilities "$LAB_DAEMON_LOG")"
lab_log "after start-up: $(grep -E '^(CapEff|CapBnd)' "$status" | tr '\n\t' '  ')"

# The control socket and the packet path with the reduced set.
lab_ctl status >"$LAB_DIR/out" || lab_fail "minewallctl status failed: $(cat "$LAB_DIR/out")"
grep -q "queue mechanism" "$LAB_DIR/out" || lab_fail "status: $(cat "$LAB_DIR/out")"
lab_send --host $LAB_P4 --port 7000 --payload-text "hello\n" >/dev/null 2>"$LAB_DIR/send.err" ||
	lab_fail "clean TCP through the gateway failed: $(cat "$LAB_DIR/send.err")"
lab_send --host $LAB_P4 --port 3333 \
	--payload-text '{"id": 1, "method": "mining.subscribe", "params": ["cgminer/3.7.2"]}\n' \
	>/dev/null 2>&1 || true
lab_wait 5 eval 'lab_ctl blocks list detect | grep -q "^detect *$LAB_P4 "' ||
	lab_fail "no kernel block after a detection: $(lab_ctl blocks list 2>&1)"

# A reload rewrites the rules (CAP_NET_ADMIN) and reopens the event log.
lab_ctl reload >"$LAB_DIR/out" 2>&1 || lab_fail "reload failed: $(cat "$LAB_DIR/out")"
kill -HUP "$LAB_DAEMON_PID"
lab_wait 5 eval '[ "$(grep -c "reloaded:" "$LAB_DAEMON_LOG")" -ge 2 ]' ||
	lab_fail "SIGHUP did not reload: $(tail -5 "$LAB_DAEMON_LOG")"
lab_daemon_alive || lab_fail "minewalld died after a reload"
grep -q "CapEff:	0000000000001000" "$status" || lab_fail "capabilities changed after reload"

# Exit: the tables go, the status is 0.
lab_stop_daemon
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited $LAB_DAEMON_RC: $(tail -5 "$LAB_DAEMON_LOG")"
[ -z "$(lab_tables)" ] || lab_fail "tables left after exit: $(lab_tables)"
! grep -q "could not remove" "$LAB_DAEMON_LOG" || lab_fail "$(grep 'could not remove' "$LAB_DAEMON_LOG")"
lab_log "PASS"
