#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The manual pages lint clean with mandoc -Tlint (every level: errors,
# warnings, style), and minewalld(8) lists its state file and control socket
# under FILES and every other tool under SEE ALSO. Skipped (77) without mandoc
# (Debian package mandoc; scripts/install-deps.sh installs it).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
fail() {
	echo "FAIL: man: $*" >&2
	exit 1
}
command -v mandoc >/dev/null 2>&1 || { echo "SKIP: man: mandoc not found" >&2; exit 77; }
for p in minewalld.8 minewallctl.8 minewall.conf.5 minewall-feed.1; do
	f=$top_srcdir/man/$p
	[ -f "$f" ] || fail "no man/$p"
	out=$(mandoc -Tlint -Wall "$f" 2>&1)
	[ -z "$out" ] || fail "mandoc -Tlint man/$p: $out"
done
# section NAME PAGE: the text of one section of a page, as mandoc renders it.
section() {
	mandoc -Tascii "$top_srcdir/man/$2" | col -b 2>/dev/null |
		awk -v s="$1" '/^[A-Z][A-Z ]*$/ { on = ($0 == s); next } on'
}
files=$(section FILES minewalld.8)
for want in /etc/minewall/minewall.conf /run/minewall/minewalld.sock /var/lib/minewall/state \
	control.socket enforce.state_file; do
	echo "$files" | grep -qF "$want" || fail "minewalld(8) FILES does not name $want"
done
for p in minewalld.8 minewallctl.8 minewall.conf.5 minewall-feed.1; do
	see=$(section "SEE ALSO" "$p")
	for tool in "minewalld(8)" "minewallctl(8)" "minewall-feed(1)" "minewall.conf(5)"; do
		[ "${p%.[0-9]}($(echo "$p" | sed 's/.*\.//'))" = "$tool" ] && continue
		echo "$see" | grep -qF "$tool" || fail "$p: SEE ALSO does not name $tool"
	done
done
echo "PASS: man: mandoc -Tlint clean; FILES and SEE ALSO complete"
