#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewall-feed and the stock minisign tool read each other's keys and signatures.
MINISIGN=${MINISIGN:-/usr/bin/minisign}
[ -x "$MINISIGN" ] || { echo "SKIP: $MINISIGN not installed"; exit 77; }
. "${top_srcdir:-.}/tests/feed/lib.sh"

printf 'ip 198.51.100.7 3600 stratum\n203.0.113.0/24\npool.example.net\n' > list

# (a) Our keys and signature, stock verification printing our trusted comment.
expect_rc 0 "keygen -W" "$FEED" keygen -W -p ours.pub -s ours.key
expect_rc 0 "build" "$FEED" build -o feed --provider isp-a --serial 1 list
expect_rc 0 "sign" "$FEED" sign -s ours.key feed
tc=$("$FEED" show -t feed)
expect_rc 0 "stock minisign -V verifies our signature" "$MINISIGN" -V -p ours.pub -m feed
grep -qxF "Trusted comment: $tc" out.txt && ok "stock minisign prints our trusted comment" \
	|| bad "trusted comment not printed: $(cat out.txt)"
expect_rc 0 "stock minisign -V -H (prehash required) verifies" "$MINISIGN" -VH -p ours.pub -m feed
# Our encrypted key, read by stock minisign (password on stdin).
expect_rc 0 "keygen with password" env MINEWALL_FEED_PASSWORD=pw "$FEED" keygen --kdf-fast -p enc.pub -s enc.key
echo pw | "$MINISIGN" -S -s enc.key -m list -t hello >/dev/null 2>&1 \
	&& "$MINISIGN" -V -p enc.pub -m list >/dev/null 2>&1 \
	&& ok "stock minisign signs with our encrypted key" \
	|| bad "stock minisign cannot use our encrypted key"
echo nope | "$MINISIGN" -S -s enc.key -m list -x wrong.sig >/dev/null 2>&1 \
	&& bad "stock minisign accepted a wrong password" || ok "wrong password refused by stock minisign"

# (b) Stock keys and signature over our feed, with the trusted comment we need.
expect_rc 0 "stock minisign -G -W" "$MINISIGN" -G -W -p stock.pub -s stock.key
expect_rc 0 "stock minisign -S with our trusted comment" \
	"$MINISIGN" -S -s stock.key -m feed -x feed.stock -t "$tc"
expect_rc 0 "minewall-feed verify accepts the stock signature" \
	"$FEED" verify -p stock.pub -x feed.stock feed
grep -qxF "trusted comment: $tc" out.txt && ok "verify prints the header" || bad "verify output: $(cat out.txt)"
expect_rc 0 "sign with a stock secret key" "$FEED" sign -s stock.key -x feed.ours2 feed
expect_rc 0 "stock verifies it" "$MINISIGN" -V -p stock.pub -x feed.ours2 -m feed
# Stock signature with minisign's default trusted comment: header not signed.
expect_rc 0 "stock minisign -S default comment" "$MINISIGN" -S -s stock.key -m feed -x feed.dflt
expect_rc 1 "default trusted comment is refused" "$FEED" verify -p stock.pub -x feed.dflt feed
grep -q "trusted comment" err.txt && ok "reason names the trusted comment" || bad "reason: $(cat err.txt)"
# Pinned key is ours, signature is stock's.
expect_rc 1 "other key is refused" "$FEED" verify -p ours.pub -x feed.stock feed
grep -q "key not pinned" err.txt && ok "reason: key not pinned" || bad "reason: $(cat err.txt)"

# (c) Legacy (non-prehashed) signatures are refused.
expect_rc 0 "stock minisign -S -l" "$MINISIGN" -S -l -s stock.key -m feed -x feed.legacy -t "$tc"
expect_rc 1 "legacy signature is refused" "$FEED" verify -p stock.pub -x feed.legacy feed
grep -q "legacy" err.txt && ok "reason: legacy" || bad "reason: $(cat err.txt)"

# Tampering after a stock signature.
sed 's/203.0.113.0/203.0.114.0/' feed > feed.t
expect_rc 1 "tampered body" "$FEED" verify -p stock.pub -x feed.stock feed.t
finish
