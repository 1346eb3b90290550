#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb-check: build the Debian package from a copy of the distributed
# sources (dpkg-buildpackage -us -uc -b), then check it: its contents (the
# programs, the unit, conffiles in /etc/minewall/, logrotate in
# /etc/logrotate.d, man pages, /var/lib/minewall and /var/log/minewall), that
# the unit is enabled but not started on installation, that purge removes the
# state, that the packaged daemon accepts its packaged configuration, and
# lintian without errors. Usage: deb-check.sh DISTDIR [OUTDIR]. Skips (77)
# without dpkg-buildpackage, debhelper or lintian.
set -u
fail() {
	echo "FAIL: deb-check: $*" >&2
	exit 1
}
[ $# -ge 1 ] || fail "usage: $0 DISTDIR [OUTDIR]"
dist=$(cd "$1" && pwd) || fail "no $1"
for c in dpkg-buildpackage dh lintian fakeroot; do
	command -v $c >/dev/null 2>&1 || { echo "SKIP: deb-check: $c not found (apt-get install dpkg-dev debhelper lintian fakeroot)" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/mw-deb.XXXXXX") || fail "mktemp"
trap 'rm -rf "$T"' EXIT
t0=$(date +%s)
cp -a "$dist" "$T/src" || fail "copy $dist"
# A make of its own: the parent's jobserver and flags stay out.
(cd "$T/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	DEB_BUILD_OPTIONS="parallel=$(nproc 2>/dev/null || echo 2)" \
	dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1) ||
	fail "dpkg-buildpackage: $(tail -30 "$T/build.log")"
t1=$(date +%s)
deb=$(ls "$T"/minewall_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || fail "no minewall_*.deb in $(ls "$T")"
echo "# built $(basename "$deb") in $((t1 - t0)) s"
[ -z "${2:-}" ] || cp "$deb" "$2/" || fail "copy to $2"

# Contents.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | sort >"$T/contents"
for f in /usr/sbin/minewalld /usr/sbin/minewallctl /usr/bin/minewall-feed \
	/lib/systemd/system/minewalld.service /etc/minewall/minewall.conf \
	/etc/minewall/blocklists/pool-domains.txt /etc/minewall/blocklists/pool-endpoints.txt \
	/etc/minewall/blocklists/pool-ports.txt /etc/logrotate.d/minewall \
	/usr/share/man/man8/minewalld.8.gz /usr/share/man/man8/minewallctl.8.gz \
	/usr/share/man/man5/minewall.conf.5.gz /usr/share/man/man1/minewall-feed.1.gz \
	/usr/share/doc/minewall/copyright /var/lib/minewall /var/log/minewall; do
	grep -qx "$f" "$T/contents" || fail "the package lacks $f: $(cat "$T/contents")"
done
! grep -q '^/usr/local' "$T/contents" || fail "the package installs into /usr/local"
mkdir "$T/ctl"
dpkg-deb -e "$deb" "$T/ctl" || fail "dpkg-deb -e"
for f in /etc/minewall/minewall.conf /etc/minewall/blocklists/pool-domains.txt /etc/logrotate.d/minewall; do
	grep -qx "$f" "$T/ctl/conffiles" || fail "$f is not a conffile: $(cat "$T/ctl/conffiles")"
done
# Enabled, not started.
grep -q 'deb-systemd-helper .*enable.*minewalld.service\|deb-systemd-helper update-state.*minewalld.service' "$T/ctl/postinst" ||
	fail "postinst does not enable the unit"
! grep -q 'deb-systemd-invoke .*start.*minewalld' "$T/ctl/postinst" || fail "postinst starts the unit"
grep -q 'rm -rf /var/lib/minewall /var/log/minewall' "$T/ctl/postrm" || fail "purge does not remove the state"

# The packaged daemon accepts the packaged configuration, its lists in place
# (in a scratch root: the config's list paths are made relative to it).
dpkg-deb -x "$deb" "$T/root" || fail "dpkg-deb -x"
sed "s|\"/etc/minewall/|\"$T/root/etc/minewall/|g; s|\"blocklists/|\"$T/root/etc/minewall/blocklists/|g" \
	"$T/root/etc/minewall/minewall.conf" >"$T/check.conf"
out=$("$T/root/usr/sbin/minewalld" -t -c "$T/check.conf" 2>&1) || fail "the packaged minewalld -t: $out"
"$T/root/usr/sbin/minewalld" --help | grep -q 'state file /var/lib/minewall/state' ||
	fail "the packaged minewalld's state file: $("$T/root/usr/sbin/minewalld" --help | tail -2)"
grep -qx 'ExecStart=/usr/sbin/minewalld -f -c /etc/minewall/minewall.conf' \
	"$T/root/lib/systemd/system/minewalld.service" || fail "the unit's ExecStart"

# lintian: no errors (warnings are printed).
lintian --fail-on error "$deb" >"$T/lintian" 2>&1 || fail "lintian: $(cat "$T/lintian")"
[ ! -s "$T/lintian" ] || sed 's/^/# lintian: /' "$T/lintian"
echo "PASS: deb-check: $(basename "$deb") built and checked in $(($(date +%s) - t0)) s"
