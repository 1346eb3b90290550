#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewalld installs its minewall tables (queue rules, with bypass when fail-open)
# while it runs and removes all of them on SIGTERM and SIGINT, exiting 0.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up

# A table of someone else's in the gateway must survive minewalld.
lab_gw nft add table inet other
lab_gw nft add chain inet other keep '{ type filter hook forward priority 10; }'

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf"

for sig in TERM INT; do
	lab_start_daemon "$conf"
	for fam in $(lab_tables); do
		case $fam in
		inet|ip|ip6) ;;
		*) lab_fail "minewall table in unexpected family $fam" ;;
		esac
	done
	lab_gw nft list ruleset >"$LAB_DIR/ruleset"
	grep -q 'queue' "$LAB_DIR/ruleset" || lab_fail "no queue rule in the minewall tables"
	grep -q 'bypass' "$LAB_DIR/ruleset" || lab_fail "fail_open = true but no queue rule has bypass"
	grep -q 'hook forward' "$LAB_DIR/ruleset" || lab_fail "no chain on the forward hook"
	grep -q 'hook output' "$LAB_DIR/ruleset" || lab_fail "no chain on the output hook"

	lab_stop_daemon $sig
	[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC on SIG$sig, expected 0"
	left=$(lab_tables)
	[ -z "$left" ] || lab_fail "after SIG$sig minewall tables are left: $left"
	lab_gw nft list table inet other >/dev/null 2>&1 || lab_fail "SIG$sig: minewalld removed a table it does not own"
done

lab_log "tables OK"
