#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP storm (issue 8): 100 SIGHUPs 20 ms apart while a bounded load of
# short TCP exchanges runs through the gateway with every packet queued
# (flows.mark_clean = false, fail_open = false, so a packet left without a
# verdict would stall its connection past the 10 s timeout; a reload under
# valgrind stalls the event loop for a few seconds, so shorter limits would
# measure valgrind). Every exchange of the load must succeed,
# the daemon must survive, have reloaded without a failure, answer
# minewallctl, and exit 0 on SIGTERM. Leaks: when valgrind is installed (and
# the build has no sanitizers) the daemon runs under
# valgrind --leak-check=full --error-exitcode=3, so a definite leak or a
# memory error makes that exit status 3; the sanitizer build (CI's second run)
# catches the same with LeakSanitizer at that clean exit. Uninitialised bytes
# passed to a system call (netlink padding, say) count as errors too.
# MW_VALGRIND=0 skips
# valgrind.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --reply-text 'ok\n'

real=$MINEWALLD
if [ "${MW_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1 &&
	! ldd "$real" 2>/dev/null | grep -q libasan; then
	wrap=$LAB_DIR/minewalld-valgrind
	cat >"$wrap" <<EOF
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=3 --log-file="$LAB_DIR/valgrind.log" "$real" "\$@"
EOF
	chmod +x "$wrap"
	MINEWALLD=$wrap
	LAB_DAEMON_WAIT=60
	lab_log "minewalld runs under valgrind"
else
	lab_log "valgrind not used (absent, MW_VALGRIND=0 or a sanitizer build)"
fi
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" flows.mark_clean=false queue.fail_open=false
lab_start_daemon "$conf"
stat() {
	lab_ctl --json stats | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
lab_wait 10 lab_ctl stats || lab_fail "minewallctl does not answer"
ok0=$(stat reloads.ok)

log=$LAB_DIR/load
: >"$log"
lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_TRAFFIC" load --host $LAB_P4 --port 7000 --payload-text 'hi\n' \
	--expect-text ok --count 150 --duration 25 --interval 0.03 --connect-timeout 10 --timeout 10 --log "$log"
load=$LAB_SPAWNED
lab_wait 10 eval 'test "$(grep -c "	ok	" "$log")" -ge 5' || lab_fail "the load got nothing through"
i=0
while [ $i -lt 100 ]; do
	kill -HUP "$LAB_DAEMON_PID" 2>/dev/null || lab_fail "minewalld gone after $i SIGHUPs"
	sleep 0.02
	i=$((i + 1))
done
lab_log "sent 100 SIGHUPs"
wait "$load"
load_rc=$?
lab_daemon_alive || lab_fail "minewalld died in the SIGHUP storm"
ok=$(grep -c '	ok	' "$log")
failed=$(grep -c '	fail	' "$log")
lab_log "load: $ok exchanges ok, $failed failed"
[ "$failed" = 0 ] || lab_fail "$failed exchanges failed during the storm: $(grep '	fail	' "$log" | head -n 5)"
[ "$ok" -ge 100 ] || lab_fail "only $ok exchanges ran (load status $load_rc)"
lab_wait 30 lab_ctl stats || lab_fail "minewallctl does not answer after the storm"
reloads=$(($(stat reloads.ok) - ok0))
failed_reloads=$(stat reloads.failed)
lab_log "reloads: $reloads ok, $failed_reloads failed (signals arriving during a reload coalesce)"
[ "$reloads" -ge 1 ] || lab_fail "no reload happened"
[ "$failed_reloads" = 0 ] || lab_fail "$failed_reloads reloads failed"
kill -TERM "$LAB_DAEMON_PID"
lab_wait 30 eval '! lab_alive $LAB_DAEMON_PID' || lab_fail "minewalld did not exit within 30 s of SIGTERM"
wait "$LAB_DAEMON_PID"
rc=$?
LAB_DAEMON_PID=
if [ -s "$LAB_DIR/valgrind.log" ]; then
	sed 's/^/# valgrind: /' "$LAB_DIR/valgrind.log" | head -n 60
fi
[ "$rc" = 0 ] || lab_fail "minewalld exited with status $rc (3: valgrind found leaks or errors)"
lab_log "SIGHUP storm OK"
