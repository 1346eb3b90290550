#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Feeds as an operator meets them, one gateway subscribed to a signed feed
# over file://:
# - blocks list shows the feed's blocks (all sources, `feed`, `feed:NAME`);
#   an unknown source is a usage error (exit 2);
# - feeds list shows the serial in force and when it was accepted, and still
#   does after a fetch is refused;
# - allow list shows the configuration's domain entries;
# - protected ranges follow the host: an address added to the gateway, and an
#   entry added with minewallctl allow add, leave the feed's set at once, and
#   a later feed listing one is refused;
# - metrics: feed serial, age, entries, failures; hosts per tier; set sizes.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

: "${MINEWALL_FEED:=$top_builddir/minewall-feed}"
lab_require
[ -x "$MINEWALL_FEED" ] || lab_fail "no minewall-feed at $MINEWALL_FEED (build first)"
lab_up

F=$LAB_DIR/www
mkdir -p "$F"
"$MINEWALL_FEED" keygen -W -p "$LAB_DIR/p.pub" -s "$LAB_DIR/p.key" >/dev/null || lab_fail "keygen"
pub=$(sed -n 2p "$LAB_DIR/p.pub")
# publish SERIAL ENTRY...: a signed snapshot of provider p1 at $F/feed.
publish() {
	_serial=$1
	shift
	printf '%s\n' "$@" >"$LAB_DIR/list"
	"$MINEWALL_FEED" build -o "$F/feed.tmp" --provider p1 --serial "$_serial" --ttl 86400 \
		"$LAB_DIR/list" >/dev/null || lab_fail "minewall-feed build"
	"$MINEWALL_FEED" sign -s "$LAB_DIR/p.key" -x "$F/feed.tmp.minisig" "$F/feed.tmp" >/dev/null ||
		lab_fail "minewall-feed sign"
	mv "$F/feed.tmp.minisig" "$F/feed.minisig"
	mv "$F/feed.tmp" "$F/feed"
}
publish 1 203.0.113.50 203.0.113.60 198.18.0.0/24 bad-pool.example

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.allow=[ "allowed.example.org", "192.0.2.10" ]' \
	'metrics.listen="127.0.0.1:9477"'
{
	echo "feed = { state_dir = \"$LAB_DIR/feeds\"; };"
	echo "feeds = ( { name = \"p1\"; url = \"file://$F/feed\"; pubkeys = [ \"$pub\" ];"
	echo "	interval = 30; action = \"block\"; provider = \"p1\"; } );"
} >>"$conf"
lab_start_daemon "$conf"

feed_field() {
	lab_ctl --json feeds list | "$PYTHON" -c 'import json, sys
for f in json.load(sys.stdin):
    if f["name"] == "p1":
        v = f[sys.argv[1]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
lab_wait 10 eval '[ "$(feed_field have)" = true ]' || lab_fail "the feed was not applied: $(lab_ctl feeds list)"

# --- blocks list
lab_ctl blocks list >"$LAB_DIR/all" || lab_fail "blocks list"
lab_ctl blocks list feed >"$LAB_DIR/feed" || lab_fail "blocks list feed"
lab_ctl blocks list feed:p1 >"$LAB_DIR/p1" || lab_fail "blocks list feed:p1"
for f in all feed p1; do
	for e in 203.0.113.50 203.0.113.60 198.18.0.0/24; do
		grep -q "^feed:p1  *$e " "$LAB_DIR/$f" || lab_fail "blocks list ($f) lacks $e: $(cat "$LAB_DIR/$f")"
	done
done
lab_ctl blocks list dns >"$LAB_DIR/dns" || lab_fail "blocks list dns"
! grep -q '^feed' "$LAB_DIR/dns" || lab_fail "blocks list dns shows feed entries"
for bad in nosuch feed:nosuch feeds; do
	rc=0
	lab_ctl blocks list $bad >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
	[ "$rc" = 2 ] || lab_fail "blocks list $bad exited $rc, expected 2 (usage): $(cat "$LAB_DIR/out" "$LAB_DIR/err")"
	grep -q "no source" "$LAB_DIR/err" || lab_fail "blocks list $bad: $(cat "$LAB_DIR/err")"
done
lab_log "blocks list shows the feed's blocks; an unknown source is a usage error"

# --- feeds list: serial in force and when accepted, also after a refused fetch
lab_ctl feeds list >"$LAB_DIR/feeds.txt"
sed 's/^/# /' "$LAB_DIR/feeds.txt"
grep -Eq '^p1 +1 +20[0-9-]+T[0-9:]+Z +4 ' "$LAB_DIR/feeds.txt" || lab_fail "feeds list: $(cat "$LAB_DIR/feeds.txt")"
accepted=$(feed_field accepted)
[ "$accepted" -gt 0 ] || lab_fail "feeds list --json: accepted $accepted"
# Tampered: the signature no longer matches.
sed -i 's/203.0.113.60/203.0.113.61/' "$F/feed"
lab_ctl feeds sync p1 >/dev/null || lab_fail "feeds sync"
lab_wait 10 eval '[ "$(feed_field rejected)" -ge 1 ]' || lab_fail "the tampered feed was not refused: $(lab_ctl feeds list)"
lab_ctl feeds list >"$LAB_DIR/feeds.txt"
sed 's/^/# /' "$LAB_DIR/feeds.txt"
grep -Eq '^p1 +1 +20[0-9-]+T[0-9:]+Z +4 ' "$LAB_DIR/feeds.txt" ||
	lab_fail "after a refused fetch, feeds list lost the serial in force: $(cat "$LAB_DIR/feeds.txt")"
[ "$(feed_field accepted)" = "$accepted" ] || lab_fail "the accepted time changed"
[ "$(feed_field serial)" = 1 ] || lab_fail "serial $(feed_field serial)"
grep -q 'last error .*signature' "$LAB_DIR/feeds.txt" || lab_fail "feeds list gives no reason"
lab_log "feeds list keeps the serial in force and its time after a refused fetch"

# --- allow list: domain entries too
lab_ctl allow list >"$LAB_DIR/allow" || lab_fail "allow list"
grep -q '^allowed.example.org  *config (domain)$' "$LAB_DIR/allow" || lab_fail "allow list: $(cat "$LAB_DIR/allow")"
grep -q '^192.0.2.10  *config$' "$LAB_DIR/allow" || lab_fail "allow list: $(cat "$LAB_DIR/allow")"

# --- protected ranges follow the host
lab_gw ip addr add 203.0.113.50/32 dev lo || lab_fail "ip addr add"
lab_wait 5 eval '! lab_ctl blocks list feed:p1 | grep -q " 203.0.113.50 "' ||
	lab_fail "an address added to the gateway stays in the feed's set: $(lab_ctl blocks list feed:p1)"
grep -q 'feeds: 203.0.113.50 is protected now' "$LAB_DAEMON_LOG" || lab_fail "no log line for the new protected address"
lab_ctl allow add 203.0.113.60 >/dev/null || lab_fail "allow add"
lab_wait 2 eval '! lab_ctl blocks list feed:p1 | grep -q " 203.0.113.60 "' ||
	lab_fail "an address added with allow add stays in the feed's set: $(lab_ctl blocks list feed:p1)"
lab_ctl blocks list feed:p1 | grep -q " 198.18.0.0/24 " || lab_fail "the rest of the feed left the set"
lab_log "an address added to the gateway and an allow add entry left the feed's set"
# A new feed that lists a protected address is refused; the one in force stays.
r0=$(feed_field rejected)
publish 2 203.0.113.60 198.18.0.0/24
lab_ctl feeds sync p1 >/dev/null || lab_fail "feeds sync"
lab_wait 10 eval '[ "$(feed_field rejected)" -gt "$r0" ]' ||
	lab_fail "a feed listing an allow add entry was accepted: $(lab_ctl feeds list)"
lab_ctl feeds list | grep -q 'last error .*protected' || lab_fail "the refusal gives no reason: $(lab_ctl feeds list)"
[ "$(feed_field serial)" = 1 ] || lab_fail "serial $(feed_field serial) in force"

# --- metrics
lab_gw "$PYTHON" -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9477/metrics", timeout=2).read().decode())' \
	>"$LAB_DIR/metrics" || lab_fail "GET /metrics"
for m in 'minewall_feed_serial{feed="p1"} 1' 'minewall_feed_entries{feed="p1"} 4' \
	'minewall_block_set_entries{source="feed",feed="p1"} 1' \
	'minewall_feed_failures_total{feed="p1",kind="rejected"} 2' \
	'minewall_hosts{tier="throttle"} 0' 'minewall_block_set_entries{source="detect",feed=""} 0'; do
	grep -qxF "$m" "$LAB_DIR/metrics" || lab_fail "metrics lack '$m': $(grep -E 'feed|hosts|block_set' "$LAB_DIR/metrics")"
done
grep -Eq '^minewall_feed_age_seconds\{feed="p1"\} [0-9]+$' "$LAB_DIR/metrics" || lab_fail "no feed age"
grep -Eq '^minewall_feed_last_error_timestamp_seconds\{feed="p1"\} [1-9][0-9]+$' "$LAB_DIR/metrics" ||
	lab_fail "no feed last error time"
lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "feeds as an operator sees them"
