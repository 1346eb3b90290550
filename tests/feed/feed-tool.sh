#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The minewall-feed tool end to end: list formats, deltas, keys documents, exit codes.
. "${top_srcdir:-.}/tests/feed/lib.sh"

cat > list <<'L'
# typed lines
ip 198.51.100.7 3600 stratum login
cidr 203.0.113.0/24
# bare lines, as in blocklists/
Pool.Example.NET
198.51.100.9:3333   # trailing comment
[2001:db8::1]:3333 600 ipv6 pool
L
expect_rc 2 "no command" "$FEED"
expect_rc 2 "build without provider" "$FEED" build -o f --serial 1 list
expect_rc 0 "keygen" "$FEED" keygen -W -p k.pub -s k.key
perm=$(stat -c %a k.key)
[ "$perm" = 600 ] && ok "secret key is 0600" || bad "secret key mode $perm"
expect_rc 3 "keygen does not overwrite" "$FEED" keygen -W -p k2.pub -s k.key
expect_rc 2 "keygen needs -W or a password" "$FEED" keygen -p k3.pub -s k3.key
expect_rc 0 "build v1" "$FEED" build -o v1 --provider isp-a --serial 1 --issued 2030-01-01T00:00:00Z list
expect_rc 0 "show" "$FEED" show v1
grep -qx "add domain pool.example.net 86400" out.txt && ok "bare domain normalised" || bad "show: $(cat out.txt)"
grep -qx "entries 5" out.txt && ok "five entries" || bad "entries: $(cat out.txt)"
echo "bogus..name" > badlist
expect_rc 1 "bad list line" "$FEED" build -o x --provider isp-a --serial 1 badlist
grep -q "badlist:1:" err.txt && ok "list error names file:line" || bad "error: $(cat err.txt)"

expect_rc 0 "sign v1" "$FEED" sign -s k.key v1
expect_rc 0 "verify v1 at its issue time" "$FEED" verify -p k.pub --at 1893456000 v1
expect_rc 1 "verify v1 after expiry" "$FEED" verify -p k.pub --at 1893542400 v1
grep -q "rejected (expired)" err.txt && ok "reason: expired" || bad "reason: $(cat err.txt)"
expect_rc 1 "verify v1 before issue" "$FEED" verify -p k.pub --at 1893455000 v1
grep -q "issued in the future" err.txt && ok "reason: future" || bad "reason: $(cat err.txt)"

# A delta from v1 to v2.
grep -v 203.0.113 list > list2
echo "ip 198.51.100.10" >> list2
expect_rc 0 "build delta" "$FEED" build -o d2 --provider isp-a --serial 2 --issued 2030-01-01T00:00:00Z \
	--kind delta --base-feed v1 list2
"$FEED" show d2 > show.txt
grep -qx "base 1" show.txt && grep -qx "del cidr 203.0.113.0/24 0" show.txt \
	&& grep -qx "add ip 198.51.100.10 86400" show.txt && ok "delta content" || bad "delta: $(cat show.txt)"
expect_rc 0 "sign delta" "$FEED" sign -s k.key d2
expect_rc 0 "verify delta" "$FEED" verify -p k.pub --at 1893456000 d2

# The index of a directory: the snapshot v1 and the delta to serial 2, signed.
cp d2 delta-1-2
expect_rc 2 "index: a delta under another name" "$FEED" index -o index --issued 2030-01-01T00:00:00Z v1 d2
grep -q "must be named delta-1-2" err.txt && ok "names the file it wants" || bad "index: $(cat err.txt)"
expect_rc 0 "index" "$FEED" index -o index --issued 2030-01-01T00:00:00Z v1 delta-1-2
grep -qx "serial 2" index && grep -q "^snapshot 1 " index && grep -q "^delta 1 2 " index &&
	ok "index content" || bad "index: $(cat index)"
expect_rc 1 "index: a delta that does not follow" "$FEED" index -o i2 delta-1-2 v1
expect_rc 0 "sign index" "$FEED" sign -s k.key index
grep -q "trusted comment: minewall-feed-index 1 provider=isp-a serial=2 snapshot=1 " index.minisig &&
	ok "index trusted comment" || bad "sig: $(cat index.minisig)"
expect_rc 0 "verify index" "$FEED" verify -p k.pub --at 1893456000 index
grep -qx "delta 1-2 ($(stat -c %s delta-1-2) bytes)" out.txt && ok "index verified, delta listed" ||
	bad "verify index: $(cat out.txt)"
expect_rc 1 "verify index after expiry" "$FEED" verify -p k.pub --at 1893542400 index
grep -q "rejected (expired)" err.txt && ok "index reason: expired" || bad "reason: $(cat err.txt)"
sed 's/^serial 2$/serial 3/' index > index3; cp index.minisig index3.minisig
expect_rc 1 "changed index" "$FEED" verify -p k.pub --at 1893456000 index3
expect_rc 0 "show -t index" "$FEED" show -t index
grep -q "^minewall-feed-index 1 provider=isp-a serial=2 " out.txt && ok "show -t index" || bad "show: $(cat out.txt)"

# Tampering and truncation.
sed 's/serial 1$/serial 9/' v1 > v9; cp v1.minisig v9.minisig
expect_rc 1 "changed serial" "$FEED" verify -p k.pub --at 1893456000 v9
head -c 100 v1 > vt; cp v1.minisig vt.minisig
expect_rc 1 "truncated feed" "$FEED" verify -p k.pub --at 1893456000 vt
expect_rc 3 "missing signature" "$FEED" verify -p k.pub v1.minisig

# Key rotation document.
expect_rc 0 "next key" "$FEED" keygen -W -p n.pub -s n.key
expect_rc 0 "keys doc" "$FEED" keys -o keys --provider isp-a --serial 1 --current k.pub --next n.pub
expect_rc 0 "sign keys doc" "$FEED" sign -s k.key keys
expect_rc 0 "verify keys doc" "$FEED" verify -p k.pub keys
grep -q "^next " out.txt && ok "next key printed" || bad "keys: $(cat out.txt)"
expect_rc 1 "keys doc signed by next key is refused" "$FEED" sign -s n.key keys
finish
