#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 under traffic: the queue rules stay behind (by design). fail_open = true:
# the kernel's bypass keeps new connections flowing. fail_open = false: the
# kernel drops and new connections fail. The test then removes the tables.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --udp 7000

# Ruleset of the minewall tables only.
minewall_rules() {
	for fam in $(lab_tables); do
		lab_gw nft list table "$fam" minewall
	done
}

# Outcome word of one new TCP connection (ok, timeout, reset, ...).
outcome() {
	if lab_send --host "$1" --port 7000 --connect-timeout 2 --timeout 2 2>"$LAB_DIR/send.err"; then
		echo ok
	else
		sed -n 's/^mwtraffic: \([a-z]*\):.*/\1/p' "$LAB_DIR/send.err" | head -n 1
	fi
}

# Count lines of a load log with a result ($2: ok|fail) started $3 s or more after time $4.
count_after() {
	awk -F '\t' -v res="$2" -v from="$4" -v delay="$3" \
		'$1 >= from + delay && $3 == res { n++ } END { print n + 0 }' "$1"
}

phase() {
	mode=$1
	conf=$LAB_DIR/$mode.conf
	if [ "$mode" = open ]; then
		lab_write_conf "$conf" queue.fail_open=true
	else
		lab_write_conf "$conf" queue.fail_open=false
	fi
	lab_start_daemon "$conf"
	minewall_rules >"$LAB_DIR/rules.$mode"
	grep -q queue "$LAB_DIR/rules.$mode" || lab_fail "fail-$mode: no queue rule installed"
	if [ "$mode" = open ]; then
		grep -q bypass "$LAB_DIR/rules.$mode" || lab_fail "fail-open: queue rule without bypass"
	else
		grep -q bypass "$LAB_DIR/rules.$mode" && lab_fail "fail-closed: queue rule has bypass"
	fi
	for host in $LAB_P4 $LAB_P6; do
		[ "$(outcome $host)" = ok ] || lab_fail "fail-$mode: no traffic to $host with minewalld running: $(cat "$LAB_DIR/send.err")"
	done

	log=$LAB_DIR/load.$mode
	: >"$log"
	lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_TRAFFIC" load --host $LAB_P4 --port 7000 \
		--count 400 --duration 20 --interval 0.05 --connect-timeout 2 --timeout 2 --log "$log"
	load=$LAB_SPAWNED
	lab_wait 5 eval 'test "$(grep -c "	ok	" "$log")" -ge 5' ||
		lab_fail "fail-$mode: traffic loop got no connection through before the kill"

	killed_at=$(lab_now)
	lab_stop_daemon KILL
	[ "$LAB_DAEMON_RC" = 137 ] || lab_fail "kill -9: status $LAB_DAEMON_RC"
	[ -n "$(lab_tables)" ] || lab_fail "fail-$mode: tables gone after kill -9; expected left behind"
	sleep 4
	kill -TERM "$load" 2>/dev/null
	wait "$load"
	ok=$(count_after "$log" ok 0.5 "$killed_at")
	failed=$(count_after "$log" fail 0.5 "$killed_at")
	lab_log "fail-$mode: after kill -9: $ok connections ok, $failed failed"

	if [ "$mode" = open ]; then
		[ "$ok" -ge 5 ] && [ "$failed" = 0 ] ||
			lab_fail "fail-open: after kill -9 $ok connections ok, $failed failed; expected all ok"
		for host in $LAB_P4 $LAB_P6; do
			[ "$(outcome $host)" = ok ] ||
				lab_fail "fail-open: new connection to $host after kill -9: $(cat "$LAB_DIR/send.err")"
		done
		lab_send --udp --host $LAB_P6 --port 7000 2>"$LAB_DIR/send.err" ||
			lab_fail "fail-open: UDP after kill -9: $(cat "$LAB_DIR/send.err")"
	else
		[ "$failed" -ge 1 ] && [ "$ok" = 0 ] ||
			lab_fail "fail-closed: after kill -9 $ok connections ok, $failed failed; expected all failed"
		for host in $LAB_P4 $LAB_P6; do
			res=$(outcome $host)
			[ "$res" = timeout ] ||
				lab_fail "fail-closed: new connection to $host after kill -9: '$res', expected timeout"
		done
	fi

	# The left-behind queue rules are the only thing in the way.
	lab_flush_tables
	[ -z "$(lab_tables)" ] || lab_fail "cannot remove the tables left by kill -9"
	[ "$(outcome $LAB_P4)" = ok ] || lab_fail "no traffic after removing the tables"
}

phase open
phase closed
lab_log "kill -9 OK"
