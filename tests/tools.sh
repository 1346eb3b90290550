#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The programs' own help: minewalld, minewallctl and minewall-feed answer -h,
# --help (usage on stdout, exit 0) and --version; wrong arguments print the
# usage on stderr with exit 2; minewallctl's help names every command and
# subcommand the daemon's command tables serve (src/daemon/*.c). As root, in a
# private mount namespace: minewalld -r without -c and without the default
# configuration runs on the built-in defaults and the installed lists.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
fail() {
	echo "FAIL: tools: $*" >&2
	exit 1
}
T=$(mktemp -d "${TMPDIR:-/tmp}/mw-tools.XXXXXX") || fail "mktemp"
trap 'rm -rf "$T"' EXIT
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$version" ] || fail "no PACKAGE_VERSION in config.h"

# run PROG ARGS...: rc, out, err
run() {
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
}
# asked NAME PROG [ARGS]: help asked for: usage on stdout only, exit 0.
asked() {
	_n=$1
	shift
	run "$@"
	[ "$rc" = 0 ] || fail "$_n $*: exit $rc"
	grep -q "^usage: $_n " "$T/out" || fail "$_n $*: no usage on stdout: $(cat "$T/out")"
	[ ! -s "$T/err" ] || fail "$_n $*: wrote to stderr: $(cat "$T/err")"
}
# wrong NAME PROG [ARGS]: usage on stderr, exit 2.
wrong() {
	_n=$1
	shift
	run "$@"
	[ "$rc" = 2 ] || fail "$_n $*: exit $rc, expected 2"
	grep -q "usage: $_n " "$T/err" || fail "$_n $*: no usage on stderr: $(cat "$T/err")"
}
# versioned NAME PROG: --version prints "NAME VERSION".
versioned() {
	run "$2" --version
	[ "$rc" = 0 ] && [ "$(cat "$T/out")" = "$1 $version" ] || fail "$1 --version: rc $rc: $(cat "$T/out" "$T/err")"
}

D=$top_builddir/minewalld C=$top_builddir/minewallctl F=$top_builddir/minewall-feed
asked minewalld "$D" -h
asked minewalld "$D" --help
versioned minewalld "$D"
wrong minewalld "$D" -x
wrong minewalld "$D" --frobnicate
wrong minewalld "$D" extra-argument
wrong minewalld "$D" -c

asked minewallctl "$C" -h
asked minewallctl "$C" --help
cp "$T/out" "$T/ctl-help"
versioned minewallctl "$C"
wrong minewallctl "$C"
wrong minewallctl "$C" -x status
wrong minewallctl "$C" --frobnicate

asked minewall-feed "$F" -h
asked minewall-feed "$F" --help
asked minewall-feed "$F" build --help
asked minewall-feed "$F" verify -h
versioned minewall-feed "$F"
wrong minewall-feed "$F"
wrong minewall-feed "$F" frobnicate
wrong minewall-feed "$F" show -q x

# Every command and subcommand of the daemon's tables is in minewallctl --help.
python3 - "$T/ctl-help" "$top_srcdir"/src/daemon/*.c <<'PY' || fail "minewallctl --help misses commands"
import re, sys
helptext = open(sys.argv[1]).read()
lines = [l.strip() for l in helptext.splitlines()]
missing, n = [], 0
for path in sys.argv[2:]:
    for name, text in re.findall(r'\{ "([a-z]+)", cmd_[a-z_]+, "((?:[^"\\]|\\.)*)"', open(path).read()):
        n += 1
        usage = text.split(": ", 1)[0]
        subs = [alt.split()[0] for alt in usage.split(" | ")[1:] if alt.split()]
        first = usage.split(" | ")[0].split()
        if len(first) > 1 and not first[1].startswith(("[", "-")):
            subs.append(first[1])
        if not any(l.startswith(name + " ") or l == name for l in lines):
            missing.append(name)
        for sub in subs:
            for one in sub.split("|"):
                if not any(re.match(r"%s (\S*\|)?%s\b" % (name, re.escape(one)), l) for l in lines):
                    missing.append(name + " " + one)
if n < 8 or missing:
    print("commands found: %d; missing from minewallctl --help: %s" % (n, ", ".join(missing)))
    sys.exit(1)
PY

# minewalld -r with no configuration: the built-in defaults, which name the
# installed lists. Root only: a private mount namespace puts a scratch
# $sysconfdir/minewall (with the lists) where the build looks for it.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
	echo "PASS: tools: help and usage (minewalld -r without a config: skipped, needs root)"
	exit 0
fi
sysconfdir=$(sed -n 's/^sysconfdir = //p' "$top_builddir/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
sysconfdir=$(echo "$sysconfdir" | sed "s|\${prefix}|$prefix|")
cap=$top_srcdir/tests/corpus/nesfit-cgminer.g0.pcapng
[ -f "$cap" ] || fail "no $cap"
mkdir -p "$T/etc/minewall/blocklists" "$T/empty"
cp "$top_srcdir"/blocklists/pool-*.txt "$T/etc/minewall/blocklists/"
# shellcheck disable=SC2016
unshare -m sh -c '
	mkdir -p "$1" && mount --bind "$2" "$1" || exit 99
	exec "$3" -r "$4"' sh "$sysconfdir" "$T/etc" "$D" "$cap" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 99 ] || fail "cannot bind-mount over $sysconfdir"
[ "$rc" = 0 ] || fail "minewalld -r without a config: exit $rc: $(cat "$T/err")"
grep -q "no $sysconfdir/minewall/minewall.conf: built-in defaults" "$T/err" ||
	fail "minewalld -r did not say it used the defaults: $(cat "$T/err")"
grep -q '"event_type":"mining"' "$T/out" || fail "minewalld -r on defaults found no mining: $(head -3 "$T/out")"
# Without the installed lists it says which one is missing.
# shellcheck disable=SC2016
unshare -m sh -c '
	mkdir -p "$1" && mount --bind "$2" "$1" || exit 99
	exec "$3" -r "$4"' sh "$sysconfdir" "$T/empty" "$D" "$cap" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] || fail "minewalld -r without the installed lists: exit $rc"
grep -q "$sysconfdir/minewall/blocklists/pool-domains.txt" "$T/err" ||
	fail "minewalld -r without the lists: $(cat "$T/err")"
echo "PASS: tools: help, usage, version; minewalld -r on the built-in defaults"
