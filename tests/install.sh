#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a scratch DESTDIR: every file in its place, the sample config
# pointing at the installed blocklists and passing minewalld -t, the unit with its
# paths filled in, man pages that render without a warning; a second install keeps
# a changed config, and uninstall leaves nothing else behind. Needs no root.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
fail() {
	echo "FAIL: install: $*" >&2
	exit 1
}
command -v groff >/dev/null 2>&1 || fail "groff is missing (scripts/install-deps.sh installs groff-base)"

D=$(mktemp -d "${TMPDIR:-/tmp}/mw-install.XXXXXX") || fail "mktemp"
trap 'rm -rf "$D"' EXIT

# A make of its own: the parent's jobserver and flags (make check -jN) stay out.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -j1 -s -C "$top_builddir" "$@"
}
dirs=$(mk print-install-dirs) || fail "make print-install-dirs"
eval "$dirs"
mk install DESTDIR="$D/root" >"$D/install.log" 2>&1 || fail "make install: $(tail -20 "$D/install.log")"
R=$D/root

for f in "$sbindir/minewalld" "$sbindir/minewallctl" "$bindir/minewall-feed"; do
	[ -f "$R$f" ] && [ -x "$R$f" ] || fail "no executable $f"
done
conf=$R$sysconfdir/minewall/minewall.conf
[ -f "$conf" ] || fail "no $sysconfdir/minewall/minewall.conf"
[ "$blocklistsdir" = "$sysconfdir/minewall/blocklists" ] || fail "blocklists in $blocklistsdir"
for f in pool-domains.txt pool-endpoints.txt pool-ports.txt; do
	cmp -s "$top_srcdir/blocklists/$f" "$R$blocklistsdir/$f" || fail "$blocklistsdir/$f missing or differs"
done
# logrotate reads /etc/logrotate.d only, whatever the prefix.
[ "$logrotatedir" = /etc/logrotate.d ] || fail "logrotate file in $logrotatedir, where logrotate never looks"
[ -f "$R$logrotatedir/minewall" ] || fail "no $logrotatedir/minewall"
cmp -s "$top_srcdir/conf/minewall.logrotate" "$R$logrotatedir/minewall" || fail "$logrotatedir/minewall differs"
grep -q 'kill -s HUP minewalld.service' "$R$logrotatedir/minewall" || fail "logrotate does not signal minewalld"

# The config names the installed blocklists, and the installed daemon accepts it.
! grep -q '\.\./blocklists/' "$conf" || fail "minewall.conf still points at ../blocklists/: $(grep -n '\.\./blocklists' "$conf")"
for f in pool-domains.txt pool-endpoints.txt pool-ports.txt; do
	grep -q "\"blocklists/$f\"" "$conf" || fail "minewall.conf does not name blocklists/$f"
done
out=$("$R$sbindir/minewalld" -t -c "$conf" 2>&1) || fail "minewalld -t on the installed config: $out"
[ "$out" = "configuration OK" ] || fail "minewalld -t said: $out"
# ... and it is the installed lists it reads: without them the check fails, naming one.
mv "$R$blocklistsdir" "$R$blocklistsdir.away"
out=$("$R$sbindir/minewalld" -t -c "$conf" 2>&1) && fail "minewalld -t passed without the blocklists"
echo "$out" | grep -q "$R$blocklistsdir/pool-" || fail "minewalld -t without blocklists: $out"
mv "$R$blocklistsdir.away" "$R$blocklistsdir"

# The unit with its paths filled in.
unit=$R$systemdunitdir/minewalld.service
[ "$systemdunitdir" = "$prefix/lib/systemd/system" ] || fail "unit dir $systemdunitdir"
[ -f "$unit" ] || fail "no $systemdunitdir/minewalld.service"
! grep -q '@[a-z]*@' "$unit" || fail "unsubstituted: $(grep -n '@[a-z]*@' "$unit")"
grep -qx "ExecStart=$sbindir/minewalld -f -c $sysconfdir/minewall/minewall.conf" "$unit" ||
	fail "ExecStart: $(grep ExecStart= "$unit")"
grep -qx "ExecStartPre=$sbindir/minewalld -t -c $sysconfdir/minewall/minewall.conf" "$unit" ||
	fail "ExecStartPre: $(grep ExecStartPre= "$unit")"
# The daemon's compiled-in state file and feed state lie where the unit lets it
# write under ProtectSystem=strict: its StateDirectory (below /var/lib) or a
# ReadWritePaths entry.
grep -qx 'ProtectSystem=strict' "$unit" || fail "the unit is not ProtectSystem=strict"
sd=/var/lib/$(sed -n 's/^StateDirectory=//p' "$unit")
rw=$(sed -n 's/^ReadWritePaths=-\{0,1\}//p' "$unit")
help=$("$R$sbindir/minewalld" --help) || fail "minewalld --help"
state=$(echo "$help" | sed -n 's/^Defaults: state file \([^,]*\), feed state \([^,]*\), control socket \(.*\)\.$/\1 \2 \3/p')
[ -n "$state" ] || fail "minewalld --help names no defaults: $help"
set -- $state
for p in "$1" "$2"; do
	case $p in
	"$sd"/* | "$rw"/*) ;;
	*) fail "the compiled-in $p is outside the unit's StateDirectory ($sd) and ReadWritePaths ($rw)" ;;
	esac
done
[ "$3" = "/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")/minewalld.sock" ] ||
	fail "the control socket $3 is outside the unit's RuntimeDirectory"

# Man pages: in place, and rendered without a single warning.
for p in man8/minewalld.8 man8/minewallctl.8 man5/minewall.conf.5 man1/minewall-feed.1; do
	f=$R$mandir/$p
	[ -f "$f" ] || fail "no $mandir/$p"
	w=$(groff -t -man -ww -z "$f" 2>&1) || fail "groff failed on $p: $w"
	[ -z "$w" ] || fail "groff warns on $p: $w"
	if command -v man >/dev/null 2>&1; then
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || fail "man -l warns on $p: $w"
	fi
done

# A second install keeps the admin's config.
echo "# changed by the admin" >>"$conf"
mk install DESTDIR="$R" >"$D/install2.log" 2>&1 || fail "second make install: $(tail -20 "$D/install2.log")"
tail -1 "$conf" | grep -qx "# changed by the admin" || fail "the second install replaced a changed minewall.conf"
grep -q "keeping existing" "$D/install2.log" || fail "the second install did not say it kept the config"

# Uninstall: the changed config stays, nothing else does.
mk uninstall DESTDIR="$R" >"$D/uninstall.log" 2>&1 || fail "make uninstall: $(tail -20 "$D/uninstall.log")"
left=$(cd "$R" && find . -type f | sort)
[ "$left" = ".$sysconfdir/minewall/minewall.conf" ] || fail "left after uninstall: $left"
# An unchanged config goes with the rest.
mk install DESTDIR="$D/clean" >/dev/null 2>&1 || fail "third make install"
mk uninstall DESTDIR="$D/clean" >/dev/null 2>&1 || fail "second make uninstall"
left=$(cd "$D/clean" && find . -type f | sort)
[ -z "$left" ] || fail "left after uninstalling an unchanged install: $left"
echo "PASS: install: every file in place under $prefix"
