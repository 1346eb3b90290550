#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Domain entries of a feed take effect: the gateway subscribes to a signed
# feed (file:// URL) listing a domain that no blocklist file lists; once the
# feed is applied, a TLS ClientHello naming it through the gateway raises a
# tls-sni detection whose event names the feed as its source, also after a
# reload. A new version of the feed without the domain takes it away again:
# the same ClientHello to another pool address passes without a detection.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

: "${MINEWALL_FEED:=$top_builddir/minewall-feed}"

lab_require
[ -x "$MINEWALL_FEED" ] || lab_fail "no minewall-feed at $MINEWALL_FEED (build first)"
dom=feedpool.example
grep -rqi "feedpool" "$top_srcdir"/blocklists/ && lab_fail "the blocklists already list $dom"

lab_up
other=203.0.113.3
ip -n "$LAB_POOL" addr add $other/24 dev eth0 || lab_fail "cannot add $other to the pool"
lab_serve --tcp 443

# A ClientHello (TLS 1.2 record, one cipher, SNI only) naming $1, into file $2.
hello_file() {
	"$PYTHON" - "$1" "$2" <<'PY' || lab_fail "cannot write a ClientHello"
import struct, sys
name = sys.argv[1].encode()
sni = struct.pack("!BH", 0, len(name)) + name
sni = struct.pack("!H", len(sni)) + sni
ext = struct.pack("!HH", 0, len(sni)) + sni
body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00" +
        struct.pack("!H", len(ext)) + ext)
hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
open(sys.argv[2], "wb").write(b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs)
PY
}
hello_file "www.$dom" "$LAB_DIR/hello.bin"

# --- the feed: keys, two versions served from a directory
feeddir=$LAB_DIR/feeds
mkdir -p "$feeddir"
"$MINEWALL_FEED" keygen -W -p "$LAB_DIR/d.pub" -s "$LAB_DIR/d.key" >/dev/null || lab_fail "keygen"
pub=$(sed -n 2p "$LAB_DIR/d.pub")
[ -n "$pub" ] || lab_fail "no public key line in $LAB_DIR/d.pub"
# put_feed SERIAL LIST: build, sign and publish one version atomically.
put_feed() {
	"$MINEWALL_FEED" build -o "$feeddir/feed.tmp" --provider lab-d --serial "$1" --ttl 86400 "$2" ||
		lab_fail "minewall-feed build serial $1"
	"$MINEWALL_FEED" sign -s "$LAB_DIR/d.key" -x "$feeddir/feed.minisig.tmp" "$feeddir/feed.tmp" \
		>/dev/null || lab_fail "minewall-feed sign serial $1"
	mv "$feeddir/feed.tmp" "$feeddir/feed"
	mv "$feeddir/feed.minisig.tmp" "$feeddir/feed.minisig"
}
printf '%s\nip 192.0.2.77\n' "$dom" >"$LAB_DIR/list1"
printf 'ip 192.0.2.77\n' >"$LAB_DIR/list2"
put_feed 1 "$LAB_DIR/list1"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'detect.actions.tls_sni="alert"' $DET_CONF_EXTRA
cat >>"$conf" <<CONF
feed = {
	state_dir = "$LAB_DIR/feed-state";
};
feeds = (
	{ name = "dom"; url = "file://$feeddir/feed"; pubkeys = [ "$pub" ];
	  interval = 3600; action = "block"; provider = "lab-d"; }
);
CONF
lab_start_daemon "$conf"

# feed_field FIELD: a field of `feeds list --json` for the feed.
feed_field() {
	lab_ctl --json feeds list | "$PYTHON" -c 'import json, sys
for f in json.load(sys.stdin):
    if f["name"] == "dom":
        print(f[sys.argv[1]])' "$1"
}
lab_wait 10 eval '[ "$(feed_field serial)" = 1 ]' || lab_fail "feed serial 1 not applied: $(lab_ctl feeds list)"
lab_log "feed dom serial 1 applied with $dom"

# --- 1. the feed's domain is detected, and the event names the feed
lab_send --host $LAB_P4 --port 443 --payload-file "$LAB_DIR/hello.bin" --no-expect 2>"$LAB_DIR/send.err" ||
	lab_fail "ClientHello to $LAB_P4: $(cat "$LAB_DIR/send.err")"
det_wait_events 1 detector=tls-sni dest_ip=$LAB_P4 "detail=sni=www.$dom source=feed:dom" ||
	lab_fail "no tls-sni event naming feed dom for www.$dom: $(cat "$LAB_DIR/eve.json")"
lab_log "ClientHello for www.$dom detected, source feed:dom"
[ "$(feed_field domains)" = 1 ] ||
	lab_fail "feeds list does not count the domain as applied: $(lab_ctl --json feeds list)"
grep -q '"event_type":"feed","name":"dom","serial":1,.*"domains":1,' "$LAB_DIR/eve.json" ||
	lab_fail "no applied feed event with one domain: $(cat "$LAB_DIR/eve.json")"

# --- 2. a reload (lists read again) keeps the feed's domains
third=203.0.113.4
ip -n "$LAB_POOL" addr add $third/24 dev eth0 || lab_fail "cannot add $third to the pool"
kill -HUP "$LAB_DAEMON_PID" || lab_fail "cannot send SIGHUP"
lab_wait 5 grep -q "reloaded:" "$LAB_DAEMON_LOG" || lab_fail "minewalld did not reload"
lab_send --host $third --port 443 --payload-file "$LAB_DIR/hello.bin" --no-expect 2>"$LAB_DIR/send.err" ||
	lab_fail "ClientHello to $third: $(cat "$LAB_DIR/send.err")"
det_wait_events 1 detector=tls-sni dest_ip=$third "detail=sni=www.$dom source=feed:dom" ||
	lab_fail "after a reload, no tls-sni event naming feed dom: $(cat "$LAB_DIR/eve.json")"
lab_log "after SIGHUP the feed's domain is still detected"

# --- 3. a version without the domain takes it away
put_feed 2 "$LAB_DIR/list2"
lab_ctl feeds sync dom >/dev/null || lab_fail "feeds sync dom"
lab_wait 10 eval '[ "$(feed_field serial)" = 2 ]' || lab_fail "feed serial 2 not applied: $(lab_ctl feeds list)"
[ "$(feed_field domains)" = 0 ] || lab_fail "serial 2 still counts domains: $(lab_ctl --json feeds list)"
# $other was never learned from a pool name: only the SNI could catch this flow.
lab_send --host $other --port 443 --payload-file "$LAB_DIR/hello.bin" --no-expect 2>"$LAB_DIR/send.err" ||
	lab_fail "ClientHello to $other: $(cat "$LAB_DIR/send.err")"
lab_wait 3 lab_received --peer $LAB_C4 --contains-text "www.$dom" >/dev/null ||
	lab_fail "the pool did not receive the second ClientHello"
sleep 0.5
n=$(det_events dest_ip=$other)
[ "$n" = 0 ] || lab_fail "$n detection(s) for www.$dom after the feed dropped it: $(cat "$LAB_DIR/eve.json")"
lab_log "after serial 2 the ClientHello for www.$dom passes undetected"

lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM
lab_log "feed domains OK"
