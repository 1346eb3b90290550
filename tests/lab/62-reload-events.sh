#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewallctl reload says what changed and every warning the daemon logged for
# it: settings that need a restart (once, and not again when set back to the
# running value), allowlist names that do not resolve. minewallctl events: in
# the order things happened (a tier change after the detection that caused
# it), a timestamp on every text line, also with -f. The daemon logs each block
# it puts into the kernel.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 3333 --reply-text 'MW-POOL\n' --reply-after 100000000
conf=$LAB_DIR/minewall.conf
base='enforce.escalation={ throttle_after = 2; quarantine_after = 0; }'
lab_write_conf "$conf" "$base"
lab_start_daemon "$conf"

reload() {
	lab_ctl reload >"$LAB_DIR/reload.out" 2>"$LAB_DIR/reload.err" ||
		lab_fail "reload failed: $(cat "$LAB_DIR/reload.out" "$LAB_DIR/reload.err")"
	sed 's/^/# reload: /' "$LAB_DIR/reload.out"
}
has() {
	grep -qF -- "$1" "$LAB_DIR/reload.out" || lab_fail "reload did not print '$1': $(cat "$LAB_DIR/reload.out")"
}
hasnt() {
	! grep -qF -- "$1" "$LAB_DIR/reload.out" || lab_fail "reload printed '$1': $(cat "$LAB_DIR/reload.out")"
}

# Nothing changed: said so.
reload
has "no setting changed"
has "reloaded: "
# A setting applied at once.
lab_write_conf "$conf" "$base" 'enforce.block_timeout=600'
reload
has "changed enforce.block_timeout: 3600 -> 600"
hasnt "warning:"
# A setting only a restart applies: a warning, the running value kept.
lab_write_conf "$conf" "$base" 'enforce.block_timeout=600' 'flows.max=32768' 'control.mode=0600'
reload
has "warning: flows.max = 32768 takes effect at the next start (running: 262144)"
has "warning: control.mode = 0600 takes effect at the next start (running: 0660)"
hasnt "changed flows.max"
# Reloaded again unchanged: still pending, said again.
reload
has "warning: flows.max = 32768 takes effect at the next start"
# Set back to the running value: nothing to say about it.
lab_write_conf "$conf" "$base" 'enforce.block_timeout=600'
reload
hasnt "flows.max"
hasnt "control.mode"
has "no setting changed"
# An allowlist name that does not resolve.
lab_write_conf "$conf" "$base" 'enforce.block_timeout=600' 'enforce.allow=[ "unresolvable.invalid" ]'
reload
has 'changed enforce.allow: [] -> [ "unresolvable.invalid" ]'
has "warning: allowlist: cannot resolve unresolvable.invalid"
# The same as JSON: one message per line.
lab_ctl --json reload >"$LAB_DIR/reload.json" || lab_fail "reload --json"
"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["reloaded"] is True, d
assert any(m.startswith("warning: allowlist: cannot resolve unresolvable.invalid") for m in d["messages"]), d
' "$LAB_DIR/reload.json" || lab_fail "reload --json: $(cat "$LAB_DIR/reload.json")"
lab_write_conf "$conf" "$base" 'enforce.block_timeout=0'
reload

# Events: follow as text from here on.
lab_spawn "$LAB_GW" "$MINEWALLCTL" -s "$LAB_CTL_SOCKET" events -f 0 >"$LAB_DIR/follow" 2>&1
sleep 0.5
# Two detections throttle the client (throttle_after = 2; no blocks, so both reach the queue).
for i in 1 2; do
	lab_send --host $LAB_P4 --port 3333 --timeout 1 \
		--payload-text '{"id": 1, "method": "mining.subscribe", "params": []}\n' \
		--expect-text MW-NEVER >/dev/null 2>&1
done
lab_wait 5 grep -q ' tier ' "$LAB_DIR/follow" || lab_fail "no tier event followed: $(cat "$LAB_DIR/follow")"
lab_ctl blocks add 203.0.113.99 60 >/dev/null || lab_fail "blocks add"
lab_wait 5 grep -q ' admin: block 203.0.113.99' "$LAB_DIR/follow" || lab_fail "no admin event followed: $(cat "$LAB_DIR/follow")"
lab_ctl events >"$LAB_DIR/events" || lab_fail "events"
sed 's/^/# events: /' "$LAB_DIR/events"
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{4} '
for f in events follow; do
	bad=$(grep -Ev "$ts" "$LAB_DIR/$f")
	[ -z "$bad" ] || lab_fail "events$([ $f = follow ] && echo ' -f'): lines without a timestamp: $bad"
done
# The tier change comes after the second detection, in both.
for f in events follow; do
	awk '/ mining TCP / { m++ } / tier / { t = NR; tm = m } END { exit !(t && tm == 2) }' "$LAB_DIR/$f" ||
		lab_fail "events$([ $f = follow ] && echo ' -f'): the tier change is not after the detection that caused it: $(cat "$LAB_DIR/$f")"
done
# And the times never go back.
grep -Eo "$ts" "$LAB_DIR/events" | sort -c || lab_fail "events out of time order: $(cat "$LAB_DIR/events")"

# A block into the kernel is logged.
lab_write_conf "$conf" "$base"
reload
lab_send --host $LAB_P4 --port 3333 --timeout 1 \
	--payload-text '{"id": 1, "method": "mining.subscribe", "params": []}\n' \
	--expect-text MW-NEVER >/dev/null 2>&1
lab_wait 5 grep -q "block: $LAB_P4 in the kernel's detect set for 3600s (stratum/bitcoin from $LAB_C4)" "$LAB_DAEMON_LOG" ||
	lab_fail "no log line for the block: $(tail -5 "$LAB_DAEMON_LOG")"
lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "reload reports, events in order with timestamps, blocks logged"
