#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's trial, `ip netns exec try scripts/quickstart run`, twice at once
# in two empty namespaces: with every package present it needs no network (the
# namespaces have none), each daemon runs on the shipped configuration with its
# own socket, event log and state file in a scratch directory (nothing under
# /run/minewall or the install prefix), answers minewallctl there, and leaves
# nothing behind when stopped. Also: run installs no test-only package.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
for p in $(sh "$top_srcdir/scripts/install-deps.sh" --list --build) \
	$(sh "$top_srcdir/scripts/install-deps.sh" --list --demo); do
	case $p in
	nginx* | ethtool | minisign | lintian | debhelper | mandoc | groff-base | man-db)
		lab_fail "scripts/install-deps.sh --build/--demo would install $p (test only)" ;;
	esac
done
missing=
for p in $(sh "$top_srcdir/scripts/install-deps.sh" --list --build); do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] || lab_skip "packages missing:$missing (the trial would install them)"

NS1=mwl$$-qs1 NS2=mwl$$-qs2
cleanup() {
	for n in $NS1 $NS2; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$n" 2>/dev/null
	done
	lab_down
}
trap cleanup EXIT
ip netns add $NS1 && ip netns add $NS2 || lab_fail "ip netns add"

# start NS LOG: the README's command in namespace NS (a make of its own: the
# build is there already, so it only checks that).
start() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL BUILD_DIR="$top_builddir" \
		ip netns exec "$1" sh "$top_srcdir/scripts/quickstart" run >"$2" 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
}
start $NS1 "$LAB_DIR/run1.log"
pid1=$!
start $NS2 "$LAB_DIR/run2.log"
pid2=$!
for l in run1 run2; do
	lab_wait 60 grep -q 'minewall .* running' "$LAB_DIR/$l.log" ||
		lab_fail "$l: minewalld is not running after 60s: $(cat "$LAB_DIR/$l.log")"
done
sed 's/^/# run1: /' "$LAB_DIR/run1.log"
grep -q '^install-deps: all packages present$' "$LAB_DIR/run1.log" ||
	lab_fail "the trial did not skip the package step"

dir1=$(sed -n 's/^quickstart: conf\/minewall.conf with its socket, events and state in \(.*\) (removed at exit)$/\1/p' "$LAB_DIR/run1.log")
dir2=$(sed -n 's/^quickstart: conf\/minewall.conf with its socket, events and state in \(.*\) (removed at exit)$/\1/p' "$LAB_DIR/run2.log")
[ -n "$dir1" ] && [ -n "$dir2" ] && [ "$dir1" != "$dir2" ] ||
	lab_fail "the trials' scratch directories: '$dir1' and '$dir2'"
for d in "$dir1" "$dir2"; do
	[ -S "$d/minewalld.sock" ] || lab_fail "no control socket in $d"
	grep -q "state_file = \"$d/state\";" "$d/minewall.conf" || lab_fail "$d/minewall.conf: state file elsewhere"
done
ip netns exec $NS1 "$MINEWALLCTL" -s "$dir1/minewalld.sock" status >"$LAB_DIR/status" ||
	lab_fail "minewallctl status in the first trial"
grep -q "^config  *$dir1/minewall.conf$" "$LAB_DIR/status" || lab_fail "status: $(cat "$LAB_DIR/status")"
ip netns exec $NS2 "$MINEWALLCTL" -s "$dir2/minewalld.sock" status >/dev/null ||
	lab_fail "minewallctl status in the second trial"

# Stop both daemons (SIGTERM, as Ctrl-C would): each trial exits 0 and removes its directory.
for n in $NS1 $NS2; do
	for p in $(ip netns pids "$n"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = minewalld ] && kill -TERM "$p"
	done
done
for p in $pid1 $pid2; do
	lab_wait 10 eval '! lab_alive '"$p" || lab_fail "quickstart run $p did not exit"
	wait "$p"
	rc=$?
	[ "$rc" = 0 ] || lab_fail "quickstart run exited $rc"
done
[ ! -e "$dir1" ] && [ ! -e "$dir2" ] || lab_fail "scratch directories left"
lab_log "two trials side by side in empty namespaces, nothing shared, nothing left"
