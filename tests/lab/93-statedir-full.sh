#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Full state directory (issue 8): enforce.state_file lives on a 64 KiB tmpfs
# mounted in a private mount namespace around the daemon (unshare -m, then ip
# netns exec, which starts from that namespace, so the daemon sees the tmpfs;
# the test reaches it through /proc/PID/root). A detection is saved; the tmpfs
# is filled; more detections: the daemon logs the failed write, keeps running
# and blocking, the previous state file is unchanged and no temporary file is
# left. With room again the next change is saved.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
command -v unshare >/dev/null 2>&1 || lab_skip "no unshare"
unshare -m true 2>/dev/null || lab_skip "unshare -m not permitted"
lab_up
for a in 10 11 12; do
	ip -n "$LAB_POOL" addr add 203.0.113.$a/24 dev eth0 || lab_fail "cannot add 203.0.113.$a"
done
lab_serve --tcp 3333 --reply-text 'ok\n'
stratum=$DET_PAYLOADS/stratum-bitcoin-cgminer.bin
sdir=$LAB_DIR/statedir
mkdir "$sdir"
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" "enforce.state_file=\"$sdir/state\"" 'enforce.block_timeout=600' \
	'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }'

echo "# $(date '+%T') minewalld in a mount namespace with a tmpfs on $sdir" >>"$LAB_DAEMON_LOG"
unshare -m sh -c 'mount -t tmpfs -o size=64k mwstate "$1" || exit 99; shift; exec ip netns exec "$@"' \
	sh "$sdir" "$LAB_GW" "$MINEWALLD" -f -c "$conf" >>"$LAB_DAEMON_LOG" 2>&1 &
LAB_DAEMON_PID=$!
lab_wait 5 eval '[ -n "$(lab_tables)" ]' || lab_fail "minewalld did not start: $(tail -n 5 "$LAB_DAEMON_LOG")"
sd=/proc/$LAB_DAEMON_PID/root$sdir
[ "$(stat -f -c %T "$sd")" = tmpfs ] || lab_fail "the daemon does not see a tmpfs at $sdir"
[ "$(stat -f -c %T "$sdir")" != tmpfs ] || lab_fail "the tmpfs leaked out of the mount namespace"

mine() {
	det_send_fail reason --host "$1" --port 3333 --payload-file "$stratum" --timeout 2 --connect-timeout 2
	[ "$reason" = reset ] || lab_fail "stratum to $1: expected reset, got $reason: $DET_ERR"
}
mine 203.0.113.2
lab_wait 5 grep -q '^block detect 203\.0\.113\.2 ' "$sd/state" || lab_fail "the first block was not saved"
cp "$sd/state" "$LAB_DIR/state.before"
lab_log "first detection saved: $(wc -c <"$LAB_DIR/state.before") bytes"

# Fill the tmpfs to the last byte.
dd if=/dev/zero of="$sd/filler" bs=1k count=100 2>/dev/null && lab_fail "100 KiB fit into a 64 KiB tmpfs"
nwarn=$(grep -c 'state not saved' "$LAB_DAEMON_LOG")
mine 203.0.113.10
mine 203.0.113.11
lab_wait 5 eval '[ "$(grep -c "state not saved" "$LAB_DAEMON_LOG")" -gt $nwarn ]' ||
	lab_fail "no log line for the failed state write"
grep 'state not saved' "$LAB_DAEMON_LOG" | tail -n 1 | grep -q 'No space left on device' ||
	lab_fail "the log line does not say why: $(grep 'state not saved' "$LAB_DAEMON_LOG" | tail -n 1)"
lab_log "logged: $(grep 'state not saved' "$LAB_DAEMON_LOG" | tail -n 1)"
lab_daemon_alive || lab_fail "minewalld died on a full state directory"
cmp -s "$sd/state" "$LAB_DIR/state.before" || lab_fail "the previous state file changed"
! ls "$sd" | grep -q '\.tmp\.' || lab_fail "temporary file left: $(ls "$sd")"
lab_ctl blocks list detect | grep -q '^detect *203\.0\.113\.11 ' ||
	lab_fail "the unsaved block is not in force: $(lab_ctl blocks list detect)"
lab_log "full: write failed and logged, daemon running, old state intact, blocks still enforced"

# Room again: the next change is saved with everything.
rm -f "$sd/filler"
mine 203.0.113.12
lab_wait 5 grep -q '^block detect 203\.0\.113\.12 ' "$sd/state" || lab_fail "not saved after freeing space"
grep -q '^block detect 203\.0\.113\.10 ' "$sd/state" || lab_fail "the block made while full is missing"
lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC"
lab_log "state directory full OK"
