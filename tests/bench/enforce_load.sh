#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Load N (default 1000000) mixed block entries (v4/v6 addresses and prefixes)
# into minewall's list sets in one logical batch, and the same entries with
# nft -f into identical sets, in a private namespace; print both times.
# make bench-enforce runs it; make check runs 100000 in tests/lab/enforce_sets.sh.
set -u
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v nft >/dev/null 2>&1 || skip "needs nft(8)"
: "${top_builddir:=.}"
N=${1:-1000000}
TOOL=$top_builddir/tests/enforce_tool
[ -x "$TOOL" ] || { echo "ERROR: $TOOL not built"; exit 99; }
NS=mwbench$$
TMP=$(mktemp -d) || exit 99
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns "$TOOL" install 2>/dev/null || { echo "FAIL: install"; exit 1; }
in_ns "$TOOL" load "$N" list "$TMP/load.nft" || { echo "FAIL: enforce load"; exit 1; }
t0=$(date +%s.%N)
in_ns nft -f "$TMP/load.nft" || { echo "FAIL: nft -f"; exit 1; }
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "nft -f: %d entries in %.3f s\n", n, b - a }'
got=$(in_ns "$TOOL" count list)
[ "$got" = "$N" ] || { echo "FAIL: $got entries read back, want $N"; exit 1; }
echo "read back: $got entries"
