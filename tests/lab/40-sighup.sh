#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP reloads: a valid changed file keeps traffic flowing; a broken one is
# logged as FILE:LINE and the daemon keeps running on the old configuration.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --udp 7000

traffic() {
	for host in $LAB_P4 $LAB_P6; do
		lab_send --host $host --port 7000 --payload-text "$1 tcp\n" 2>"$LAB_DIR/send.err" ||
			lab_fail "$1: TCP to $host: $(cat "$LAB_DIR/send.err")"
		lab_send --udp --host $host --port 7000 --payload-text "$1 udp\n" 2>"$LAB_DIR/send.err" ||
			lab_fail "$1: UDP to $host: $(cat "$LAB_DIR/send.err")"
	done
}

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf"
lab_start_daemon "$conf"
tables=$(lab_tables | sort | tr '\n' ' ')
traffic "before reload"

# A valid change.
lab_write_conf "$conf" 'log.level="debug"' 'detect.actions.getwork="alert"' flows.idle_timeout=120
lines=$(wc -l <"$LAB_DAEMON_LOG")
kill -HUP "$LAB_DAEMON_PID"
sleep 1
lab_daemon_alive || lab_fail "minewalld died on SIGHUP with a valid config"
[ "$(lab_tables | sort | tr '\n' ' ')" = "$tables" ] || lab_fail "tables after valid reload: $(lab_tables)"
tail -n +"$((lines + 1))" "$LAB_DAEMON_LOG" | grep -q "$(basename "$conf"):[0-9][0-9]*: " &&
	lab_fail "a valid reload reported config errors"
traffic "after valid reload"

# A broken file: a syntax error on its last line.
cp "$conf" "$LAB_DIR/good.conf"
echo 'queue_tail = = broken;' >>"$conf"
bad=$(wc -l <"$conf")
lines=$(wc -l <"$LAB_DAEMON_LOG")
kill -HUP "$LAB_DAEMON_PID"
lab_wait 5 eval 'tail -n +$((lines + 1)) "$LAB_DAEMON_LOG" | grep -q "$(basename "$conf"):$bad: "' ||
	lab_fail "broken reload: no '$conf:$bad: message' in the daemon log"
lab_daemon_alive || lab_fail "minewalld exited on SIGHUP with a broken config"
[ "$(lab_tables | sort | tr '\n' ' ')" = "$tables" ] ||
	lab_fail "tables after broken reload: '$(lab_tables)', expected '$tables'"
traffic "after broken reload"

# Fixed again: reload works and the daemon still exits cleanly.
cp "$LAB_DIR/good.conf" "$conf"
kill -HUP "$LAB_DAEMON_PID"
sleep 1
lab_daemon_alive || lab_fail "minewalld died on SIGHUP after a fixed config"
traffic "after fixed reload"
lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "exit status $LAB_DAEMON_RC after reloads"
[ -z "$(lab_tables)" ] || lab_fail "tables left after SIGTERM"
lab_log "SIGHUP OK"
