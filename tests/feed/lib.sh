# SPDX-License-Identifier: GPL-2.0-or-later
# Shared set-up for the feed shell tests: the tool, a scratch directory, helpers.
set -u
FEED="${top_builddir:-.}/minewall-feed"
[ -x "$FEED" ] || { echo "minewall-feed not built"; exit 99; }
TMP=$(mktemp -d /tmp/mwfeed.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
cd "$TMP" || exit 99
failures=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; failures=$((failures + 1)); }
# expect_rc RC DESCRIPTION CMD...: run CMD, compare its exit code.
expect_rc() {
	want=$1; what=$2; shift 2
	"$@" >out.txt 2>err.txt; got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else bad "$what (exit $got, want $want)"; cat out.txt err.txt; fi
}
finish() { [ "$failures" -eq 0 ] && exit 0; echo "$failures failure(s)"; exit 1; }
