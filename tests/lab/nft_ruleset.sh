#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewall's queue ruleset in a private network namespace: probe, install,
# golden dump, atomic replace that keeps sets, remove, and what happens to a
# packet with no daemon listening (bypass on: passes; off: dropped).
# Every nft and netlink operation runs inside the namespace.
set -u

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "needs ip(8)"
command -v nft >/dev/null 2>&1 || skip "needs nft(8)"
command -v bash >/dev/null 2>&1 || skip "needs bash for /dev/udp"

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
TOOL=$top_builddir/tests/nft_ruleset_tool
GOLDEN=$top_srcdir/tests/lab/expected/ruleset-compat.nft
[ -x "$TOOL" ] || { echo "ERROR: $TOOL not built (make check builds it)"; exit 99; }

NS=mwnft$$
TMP=$(mktemp -d) || exit 99
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns nft list ruleset >/dev/null 2>&1 || skip "nftables unusable in a namespace"

fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The ruleset as nft shows it, without handles and counters. nft 1.0.6 warns
# about compat targets on stderr; that is not part of the dump.
dump() {
	in_ns nft list ruleset 2>/dev/null |
		sed -e 's/ # handle [0-9]*$//' \
		    -e 's/counter packets [0-9]* bytes [0-9]*/counter/'
}

tool() { in_ns "$TOOL" "$@" 2>>"$TMP/tool.log"; }

# 1. probe: cross-check against what nft itself can load.
if in_ns nft -f - >/dev/null 2>&1 <<EOF
table inet mwscratch { chain c { queue num 0 bypass; }; }
EOF
then
	want=native
	in_ns nft delete table inet mwscratch
else
	want=compat
fi
got=$(tool probe)
if [ "$got" = "$want" ]; then ok "probe: $got"; else fail "probe: got '$got', want '$want'"; fi
[ "$(dump)" = "" ] && ok "probe left nothing behind" || fail "probe left a ruleset behind"

# 2. install next to a set that already lives in inet minewall.
in_ns nft -f - <<EOF || exit 99
table inet minewall {
	set blocked { type ipv4_addr; elements = { 192.0.2.1, 198.51.100.7 }; }
}
EOF
if tool install -F -i v0 -q 0 -c 2 -L 100; then ok "install"; else fail "install"; fi
dump >"$TMP/install.nft"
if diff -u "$GOLDEN" "$TMP/install.nft"; then
	ok "dump matches $(basename "$GOLDEN")"
else
	fail "dump differs from $GOLDEN"
fi

# nft prints both mechanisms alike; the bytecode tells them apart.
case $want in
compat) pat='target name NFQUEUE rev 3' ;;
*) pat='\[ queue num' ;;
esac
in_ns nft --debug=netlink list chain inet minewall output_inspect 2>/dev/null |
	grep -q "$pat" && ok "queue rules use the $want mechanism" ||
	fail "queue rules: no '$pat' in the bytecode"

# 3. replace with another configuration: chains change, the set stays.
if tool install -q 4 -c 4; then ok "re-install"; else fail "re-install"; fi
dump >"$TMP/replace.nft"
grep -q 'elements = { 192.0.2.1, 198.51.100.7 }' "$TMP/replace.nft" &&
	ok "set and elements survive a replace" || fail "set lost on replace"
grep -q 'queue num 4-7 bypass' "$TMP/replace.nft" &&
	ok "replaced queue rules" || fail "queue rules not replaced"
grep -q 'chain forward' "$TMP/replace.nft" &&
	fail "forward chains left over" || ok "forward chains gone"
[ "$(grep -c 'goto output_inspect' "$TMP/replace.nft")" = 1 ] &&
	ok "no duplicate rules after replace" || fail "rules duplicated"

# 4. a refused batch changes nothing. Where the kernel lacks the native
# queue expression, forcing it must fail on the first queue rule.
if [ "$want" = compat ]; then
	: >"$TMP/tool.log"
	if tool install -m native -q 9; then
		fail "native install succeeded on a kernel without it"
	else
		ok "native install refused"
	fi
	grep -q 'message [0-9]* of [0-9]* (add rule inet minewall output_inspect): No such file or directory' \
		"$TMP/tool.log" && ok "error names the failing message" ||
		{ fail "error report"; cat "$TMP/tool.log"; }
	dump | diff -u "$TMP/replace.nft" - >/dev/null &&
		ok "ruleset unchanged after a refused batch" ||
		fail "a refused batch changed the ruleset"
fi

# 5. remove: no minewall table left; removing twice is fine.
if tool remove; then ok "remove"; else fail "remove"; fi
in_ns nft list tables 2>/dev/null | grep -q minewall &&
	fail "minewall table left after remove" || ok "no minewall table"
if tool remove; then ok "remove when absent"; else fail "remove when absent"; fi

# 5b. a batch of many chunks, every message acknowledged (the enforcer will
# load large sets through the same code).
out=$(tool bulk 20000)
case $out in
"20002 messages, "*" bytes, "[2-9]" chunks"|"20002 messages, "*" bytes, "[1-9][0-9]" chunks")
	ok "bulk batch: $out" ;;
*)	fail "bulk batch: '$out'"; cat "$TMP/tool.log" ;;
esac
[ "$(dump)" = "" ] && ok "bulk batch left nothing behind" || fail "bulk batch left a ruleset"

# 6. packets, no daemon. v0 sends to a static neighbour that is the veth
# peer v1; v1's receive counter tells whether the datagram left.
in_ns sh -e <<'EOF' || exit 99
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip link add v0 type veth peer name v1
ip link set v0 up
ip link set v1 up
ip addr add 10.9.9.1/24 dev v0
ip neigh add 10.9.9.2 lladdr "$(cat /sys/class/net/v1/address)" dev v0 nud permanent
EOF
# Send one UDP datagram to port $1; print how many packets v1 received.
send_udp() {
	in_ns bash -c '
		rx() { cat /sys/class/net/v1/statistics/rx_packets; }
		a=$(rx)
		echo x 2>/dev/null >/dev/udp/10.9.9.2/"$1"
		sleep 0.2
		echo $(( $(rx) - a ))' send_udp "$1"
}
expect_udp() {	# port want what
	n=$(send_udp "$1")
	[ "$n" = "$2" ] && ok "$3" || fail "$3 (v1 got $n packets, want $2)"
}
expect_udp 9999 1 "no ruleset: udp passes"
tool install || fail "install (bypass)"
expect_udp 9999 1 "bypass on, no daemon: udp passes"
tool install -B || fail "install (no bypass)"
expect_udp 9999 0 "bypass off, no daemon: udp dropped"
tool install -B -i v9 || fail "install (other interface)"
expect_udp 9999 1 "bypass off, not a protected interface: udp passes"

# 7. the mark rules, with marks set by a helper table that runs before
# minewall (priority 0) in place of the daemon's verdicts.
in_ns nft -f - <<'EOF' || exit 99
table inet mwtest {
	chain out {
		type filter hook output priority 0;
		udp dport 9001 ct mark set 0x01000000
		udp dport 9002 ct mark set 0x02000000
		udp dport 9003 meta mark set 0x02000000
		udp dport 9004 meta mark set 0x03000000
	}
}
EOF
tool install -B || fail "install (no bypass)"
expect_udp 9001 1 "ct mark CLEAN skips the queue"
tool install || fail "install (bypass)"
expect_udp 9002 0 "ct mark BLOCK drops"
expect_udp 9003 0 "packet mark BLOCK drops"
expect_udp 9004 0 "packet mark REJECT rejects"
in_ns nft delete table inet mwtest
tool remove || fail "remove"

echo "$fails failure(s)"
[ "$fails" = 0 ]
