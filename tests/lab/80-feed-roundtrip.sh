#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Feeds end to end (issue 5), two appliances:
#   A = minewalld in the lab's gateway, publishing its detections (feed.publish)
#   B = a second minewalld in its own namespace, subscribed to A's feed over
#       HTTP from nginx in a third namespace W (B <-> W on a veth).
# 1. A detects a pool, publishes (minewallctl feeds publish), B fetches
#    (minewallctl feeds sync): the pool's address is in B's feed set; the
#    round-trip time from the detection on A to the element in B is printed.
# 2. A tampered feed (one byte of the body flipped) is refused: B keeps its
#    last good serial and set, and `feeds list` gives the reason.
# 3. A large feed (FEED_BIG_N entries: 100000 in make check, 1000000 with
#    make bench-feeds, which takes a few minutes) is applied in one step,
#    then an update of FEED_BIG_CHANGES (10000) changes, twice: as a new
#    snapshot (no index: the snapshot path), then as a delta named by a signed
#    index (the delta path). The three times are printed.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

: "${MINEWALL_FEED:=$top_builddir/minewall-feed}"
: "${FEED_BIG_N:=100000}"
: "${FEED_BIG_CHANGES:=10000}"

lab_require
command -v nginx >/dev/null 2>&1 || lab_skip "nginx not found"
[ -x "$MINEWALL_FEED" ] || lab_fail "no minewall-feed at $MINEWALL_FEED (build first)"

B=$LAB_PREFIX$$-$LAB_TEST-b
W=$LAB_PREFIX$$-$LAB_TEST-w
B_PID=
W_PID=
FEEDS_UP=

feeds_down() {
	_fd_rc=$?
	[ -n "$B_PID" ] && kill -TERM "$B_PID" 2>/dev/null
	[ -n "$W_PID" ] && kill -TERM "$W_PID" 2>/dev/null
	if [ -n "$FEEDS_UP" ]; then
		[ "$_fd_rc" != 0 ] && [ -s "$LAB_DIR/b.log" ] && {
			echo "---- last lines of B's log" >&2
			tail -n 30 "$LAB_DIR/b.log" >&2
		}
		for _fd_ns in "$B" "$W"; do
			_fd_n=30
			while [ -n "$(ip netns pids "$_fd_ns" 2>/dev/null)" ] && [ $_fd_n -gt 0 ]; do
				sleep 0.1
				_fd_n=$((_fd_n - 1))
			done
			for _fd_p in $(ip netns pids "$_fd_ns" 2>/dev/null); do
				kill -KILL "$_fd_p" 2>/dev/null
			done
			ip netns del "$_fd_ns" 2>/dev/null
		done
	fi
	(exit "$_fd_rc")
	lab_down
}
trap feeds_down EXIT

lab_up
FEEDS_UP=1
ip netns add "$B" || lab_fail "ip netns add $B"
ip netns add "$W" || lab_fail "ip netns add $W"
ip -n "$B" link set lo up
ip -n "$W" link set lo up
ip -n "$B" link add name eth0 type veth peer name eth0 netns "$W" || lab_fail "veth B<->W"
ip -n "$B" addr add 10.210.0.1/24 dev eth0
ip -n "$W" addr add 10.210.0.2/24 dev eth0
ip -n "$B" link set eth0 up
ip -n "$W" link set eth0 up
lab_wait 5 ip netns exec "$B" ping -c1 -W1 10.210.0.2 || lab_fail "B cannot reach W"

b_ctl() { ip netns exec "$B" "$MINEWALLCTL" -s "$LAB_DIR/b.sock" "$@"; }
b_nft() { ip netns exec "$B" nft "$@"; }
# b_has SET ELEMENT: the element is in B's set.
b_has() { b_nft get element inet minewall "$1" "{ $2 }" >/dev/null 2>&1; }
# b_feed NAME FIELD: a field of B's `feeds list --json` for that feed.
b_feed() {
	b_ctl --json feeds list | "$PYTHON" -c 'import json, sys
for f in json.load(sys.stdin):
    if f["name"] == sys.argv[1]:
        v = f[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- keys, web server
www=$LAB_DIR/www
mkdir -p "$www/a" "$www/t" "$www/big" "$LAB_DIR/ngx"
"$MINEWALL_FEED" keygen -W -p "$LAB_DIR/a.pub" -s "$LAB_DIR/a.key" >/dev/null || lab_fail "keygen"
pub=$(sed -n 2p "$LAB_DIR/a.pub")
[ -n "$pub" ] || lab_fail "no public key line in $LAB_DIR/a.pub"
cat >"$LAB_DIR/nginx.conf" <<EOF
daemon off;
user root root;
worker_processes 1;
pid $LAB_DIR/ngx/nginx.pid;
error_log $LAB_DIR/ngx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $LAB_DIR/ngx/body;
	proxy_temp_path $LAB_DIR/ngx/proxy;
	default_type application/octet-stream;
	server {
		listen 10.210.0.2:8080;
		root $www;
	}
}
EOF
ip netns exec "$W" nginx -p "$LAB_DIR/ngx" -e "$LAB_DIR/ngx/error.log" -c "$LAB_DIR/nginx.conf" \
	>"$LAB_DIR/ngx/out" 2>&1 &
W_PID=$!
echo ok >"$www/probe"
lab_wait 5 ip netns exec "$B" "$PYTHON" -c 'import urllib.request, sys
sys.exit(urllib.request.urlopen("http://10.210.0.2:8080/probe", timeout=1).read() != b"ok\n")' ||
	lab_fail "nginx does not serve: $(cat "$LAB_DIR/ngx/out" "$LAB_DIR/ngx/error.log" 2>/dev/null)"

# --- A: the lab's gateway, publishing
lab_serve --tcp 3333 --reply-text 'ok\n'
stratum="$DET_PAYLOADS/stratum-bitcoin-cgminer.bin"
[ -s "$stratum" ] || lab_fail "missing payload $stratum"
conf_a=$LAB_DIR/a.conf
lab_write_conf "$conf_a" 'detect.actions.stratum="reject"' 'enforce.block_timeout=600'
cat >>"$conf_a" <<EOF
feed = {
	state_dir = "$LAB_DIR/a-feeds";
	publish = {
		dir = "$www/a";
		secret_key = "$LAB_DIR/a.key";
		provider = "lab-a";
		interval = 30;
	};
};
EOF
lab_start_daemon "$conf_a"
lab_wait 5 test -s "$www/a/index" || lab_fail "A did not publish at start"

# --- B: its own namespace, ruleset, socket and state
conf_b=$LAB_DIR/b.conf
# B has no default route: it protects its own traffic only (output hook).
lab_write_conf "$conf_b" "control.socket=\"$LAB_DIR/b.sock\"" "log.events=\"$LAB_DIR/b-eve.json\"" \
	"enforce.state_file=\"$LAB_DIR/b-state\"" 'protect.hooks=[ "output" ]'
cat >>"$conf_b" <<EOF
feed = {
	state_dir = "$LAB_DIR/b-feeds";
};
feeds = (
	{ name = "a"; url = "http://10.210.0.2:8080/a/feed"; pubkeys = [ "$pub" ];
	  interval = 30; action = "block"; provider = "lab-a"; },
	{ name = "t"; url = "http://10.210.0.2:8080/t/feed"; pubkeys = [ "$pub" ];
	  interval = 30; action = "block"; provider = "lab-a"; },
	{ name = "big"; url = "http://10.210.0.2:8080/big/feed"; pubkeys = [ "$pub" ];
	  interval = 86400; action = "block"; provider = "big";
	  max_size = 134217728; max_entries = 2000000; }
);
EOF
ip netns exec "$B" "$MINEWALLD" -f -c "$conf_b" >>"$LAB_DIR/b.log" 2>&1 &
B_PID=$!
lab_wait 5 b_nft list table inet minewall || lab_fail "B installed no table: $(tail -n 20 "$LAB_DIR/b.log")"
lab_wait 5 test -S "$LAB_DIR/b.sock" || lab_fail "B has no control socket"
# A's start-up feed (no detections yet) reaches B on B's first fetch.
lab_wait 10 eval '[ "$(b_feed a have)" = true ]' || lab_fail "B did not apply A's first feed: $(b_ctl feeds list)"
b_has feed_a_addr4 203.0.113.2 && lab_fail "203.0.113.2 in B's set before any detection"
lab_log "B subscribed to A's feed, serial $(b_feed a serial)"

# --- 1. round trip: detection on A -> element in B's set
t0=$(now_ms)
det_send_fail reason --host 203.0.113.2 --port 3333 --payload-file "$stratum" --timeout 2 --connect-timeout 2
lab_wait 3 eval 'lab_ctl blocks list detect | grep -q "^detect *203\.0\.113\.2 "' ||
	lab_fail "A did not block the pool: $(lab_ctl blocks list)"
t_det=$(now_ms)
lab_ctl feeds publish >"$LAB_DIR/pub.out" || lab_fail "feeds publish on A: $(cat "$LAB_DIR/pub.out")"
grep -q '203\.0\.113\.2' "$www/a/feed" || lab_fail "A's feed does not list the pool: $(cat "$www/a/feed")"
b_ctl feeds sync a >/dev/null || lab_fail "feeds sync a on B"
lab_wait 10 b_has feed_a_addr4 203.0.113.2 || lab_fail "the pool never reached B's set: $(b_ctl feeds list)"
t1=$(now_ms)
lab_log "round trip: detection on A -> element in B's feed_a_addr4 in $((t1 - t0)) ms" \
	"($((t_det - t0)) ms detection and block on A, $((t1 - t_det)) ms publish + fetch + verify + apply)"
serial_a=$(b_feed a serial)
[ "$serial_a" -ge 2 ] || lab_fail "B's serial of a is $serial_a"
b_ctl feeds list | grep -q "^a  *$serial_a " || lab_fail "feeds list does not show a at serial $serial_a: $(b_ctl feeds list)"
grep -q '"event_type":"feed","name":"a","serial":'"$serial_a"',.*"result":"applied"' "$LAB_DIR/b-eve.json" ||
	lab_fail "no applied event for a serial $serial_a: $(cat "$LAB_DIR/b-eve.json")"
# The kernel enforces it in B: B's own traffic to the pool is dropped.
b_nft list chain inet minewall output >/dev/null 2>&1 || true

# --- 2. a tampered feed changes nothing
cp "$www/a/feed" "$www/t/feed.tmp" && cp "$www/a/feed.minisig" "$www/t/feed.minisig" &&
	mv "$www/t/feed.tmp" "$www/t/feed"
b_ctl feeds sync t >/dev/null || lab_fail "feeds sync t"
lab_wait 10 eval '[ "$(b_feed t have)" = true ]' || lab_fail "B did not apply the good copy of t: $(b_ctl feeds list)"
serial_t=$(b_feed t serial)
b_has feed_t_addr4 203.0.113.2 || lab_fail "t's good copy not in B's set"
lab_ctl feeds publish >/dev/null || lab_fail "second publish on A"
"$PYTHON" - "$www/a/feed" "$www/t/feed.tmp" <<'EOF' || lab_fail "cannot tamper"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.rindex(b"203.0.113.2")
b[i + 10] ^= 0x01          # 203.0.113.2 -> 203.0.113.3: still a valid feed line
open(sys.argv[2], "wb").write(b)
EOF
cp "$www/a/feed.minisig" "$www/t/feed.minisig.tmp"
# nginx's validators have one-second resolution and the size is unchanged:
# a later mtime keeps B's conditional GET from calling it "not modified".
touch -d "@$(($(date +%s) + 10))" "$www/t/feed.tmp"
mv "$www/t/feed.tmp" "$www/t/feed"
mv "$www/t/feed.minisig.tmp" "$www/t/feed.minisig"
b_ctl feeds sync t >/dev/null || lab_fail "feeds sync t (tampered)"
lab_wait 10 eval '[ "$(b_feed t rejected)" -ge 1 ]' || lab_fail "the tampered feed was not rejected: $(b_ctl feeds list)"
[ "$(b_feed t serial)" = "$serial_t" ] || lab_fail "t moved from serial $serial_t to $(b_feed t serial)"
b_has feed_t_addr4 203.0.113.2 || lab_fail "B lost t's last good entry"
b_has feed_t_addr4 203.0.113.3 && lab_fail "the tampered entry reached B's set"
b_ctl feeds list >"$LAB_DIR/t.list"
grep -q 'last error .*bad signature' "$LAB_DIR/t.list" || lab_fail "feeds list gives no reason: $(cat "$LAB_DIR/t.list")"
# The event follows on the daemon's next one-second tick.
lab_wait 3 grep -q '"event_type":"feed","name":"t".*"result":"rejected","reason":"bad signature' "$LAB_DIR/b-eve.json" ||
	lab_fail "no rejected event for t"
lab_log "tampered feed refused (serial $serial_t kept): $(grep 'last error' "$LAB_DIR/t.list")"

# --- 3. a large feed in one atomic step, then only the difference
"$PYTHON" - "$LAB_DIR/big1.txt" "$LAB_DIR/big2.txt" "$FEED_BIG_N" "$FEED_BIG_CHANGES" <<'EOF'
import sys, ipaddress
p1, p2, n, ch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ncidr = n // 10
nip = n - ncidr
base_ip = int(ipaddress.IPv4Address("100.64.0.0"))
base_cidr = int(ipaddress.IPv4Address("100.96.0.0"))
def ip(i): return str(ipaddress.IPv4Address(base_ip + i))
def cidr(i): return "%s/28" % ipaddress.IPv4Address(base_cidr + 16 * i)
with open(p1, "w") as f:
    f.writelines("ip %s\n" % ip(i) for i in range(nip))
    f.writelines("cidr %s\n" % cidr(i) for i in range(ncidr))
# Second snapshot: half the changes remove the first addresses, half add new ones.
half = ch // 2
with open(p2, "w") as f:
    f.writelines("ip %s\n" % ip(i) for i in range(half, nip + (ch - half)))
    f.writelines("cidr %s\n" % cidr(i) for i in range(ncidr))
open(p1.replace("big1.txt", "big.last"), "w").write(ip(nip + (ch - half) - 1) + "\n")
# Third: as many changes again, on top of the second.
with open(p1.replace("big1.txt", "big3.txt"), "w") as f:
    f.writelines("ip %s\n" % ip(i) for i in range(2 * half, nip + 2 * (ch - half)))
    f.writelines("cidr %s\n" % cidr(i) for i in range(ncidr))
open(p1.replace("big1.txt", "big3.last"), "w").write(ip(nip + 2 * (ch - half) - 1) + "\n")
open(p1.replace("big1.txt", "big3.gone"), "w").write(ip(half) + "\n")
EOF
[ $? = 0 ] || lab_fail "cannot write the big lists"
big_feed() {
	"$MINEWALL_FEED" build -o "$www/big/feed.tmp" --provider big --serial "$1" --ttl 86400 "$2" ||
		lab_fail "minewall-feed build serial $1"
	"$MINEWALL_FEED" sign -s "$LAB_DIR/a.key" -x "$www/big/feed.minisig.tmp" "$www/big/feed.tmp" >/dev/null ||
		lab_fail "minewall-feed sign serial $1"
	touch -d "@$(($(date +%s) + 10 * $1))" "$www/big/feed.tmp"
	mv "$www/big/feed.tmp" "$www/big/feed"
	mv "$www/big/feed.minisig.tmp" "$www/big/feed.minisig"
}
t0=$(now_ms)
big_feed 1 "$LAB_DIR/big1.txt"
t1=$(now_ms)
b_ctl feeds sync big >/dev/null || lab_fail "feeds sync big"
lab_wait 120 eval '[ "$(b_feed big serial)" = 1 ]' || lab_fail "big serial 1 not applied: $(b_ctl feeds list)"
t2=$(now_ms)
[ "$(b_feed big entries)" = "$FEED_BIG_N" ] || lab_fail "big: $(b_feed big entries) entries, want $FEED_BIG_N"
[ "$(b_feed big blocked)" = "$FEED_BIG_N" ] || lab_fail "big: $(b_feed big blocked) blocked, want $FEED_BIG_N"
b_has feed_big_addr4 100.64.0.0 || lab_fail "first address of big not in the set"
# An address inside 100.96.0.16/28 (nft's get element of an exact prefix
# is unreliable with adjacent ranges), and one outside every prefix.
b_has feed_big_cidr4 100.96.0.17 || lab_fail "a prefix of big not in the set"
b_has feed_big_cidr4 100.127.255.1 && lab_fail "an address outside big's prefixes matches"
lab_log "big feed, $FEED_BIG_N entries: built and signed in $((t1 - t0)) ms; sync -> applied in $((t2 - t1)) ms (fetch, verify, one batch)"
big_feed 2 "$LAB_DIR/big2.txt"
t1=$(now_ms)
b_ctl feeds sync big >/dev/null || lab_fail "feeds sync big (2)"
lab_wait 120 eval '[ "$(b_feed big serial)" = 2 ]' || lab_fail "big serial 2 not applied: $(b_ctl feeds list)"
t2=$(now_ms)
b_has feed_big_addr4 100.64.0.0 && lab_fail "a removed address is still in the set"
last_new=$(cat "$LAB_DIR/big.last")
b_has feed_big_addr4 "$last_new" || lab_fail "an added address ($last_new) is not in the set"
lab_log "big feed, $FEED_BIG_CHANGES changes as a snapshot: sync -> applied in $((t2 - t1)) ms" \
	"(the whole feed fetched, verified and diffed; only the difference queued)"
grep -q 'feed big: applied snapshot serial 2' "$LAB_DIR/b.log" || lab_fail "no log line for big serial 2"

# The same size of update as a delta, named by a signed index: the delta path.
cp "$www/big/feed" "$LAB_DIR/big2.feed"
"$MINEWALL_FEED" build -o "$LAB_DIR/big3.feed" --provider big --serial 3 --ttl 86400 "$LAB_DIR/big3.txt" >/dev/null ||
	lab_fail "minewall-feed build serial 3"
"$MINEWALL_FEED" build -o "$www/big/delta-2-3" --provider big --serial 3 --ttl 86400 \
	--kind delta --base-feed "$LAB_DIR/big2.feed" "$LAB_DIR/big3.txt" >/dev/null || lab_fail "minewall-feed build delta 2-3"
"$MINEWALL_FEED" sign -s "$LAB_DIR/a.key" "$www/big/delta-2-3" >/dev/null || lab_fail "sign delta 2-3"
"$MINEWALL_FEED" index -o "$www/big/index.tmp" "$LAB_DIR/big2.feed" "$www/big/delta-2-3" >/dev/null ||
	lab_fail "minewall-feed index"
"$MINEWALL_FEED" sign -s "$LAB_DIR/a.key" -x "$www/big/index.minisig" "$www/big/index.tmp" >/dev/null ||
	lab_fail "sign the index"
mv "$www/big/index.tmp" "$www/big/index"
delta_bytes=$(stat -c %s "$www/big/delta-2-3")
t1=$(now_ms)
b_ctl feeds sync big >/dev/null || lab_fail "feeds sync big (3)"
lab_wait 120 eval '[ "$(b_feed big serial)" = 3 ]' || lab_fail "big serial 3 not applied: $(b_ctl feeds list)"
t2=$(now_ms)
b_has feed_big_addr4 "$(cat "$LAB_DIR/big.last")" || lab_fail "an address of serial 2 left the set"
b_has feed_big_addr4 "$(cat "$LAB_DIR/big3.last")" || lab_fail "an added address of serial 3 is not in the set"
b_has feed_big_addr4 "$(cat "$LAB_DIR/big3.gone")" && lab_fail "an address serial 3 removes is still in the set"
[ "$(b_feed big entries)" = "$FEED_BIG_N" ] || lab_fail "big: $(b_feed big entries) entries after the delta"
[ "$(b_feed big delta_applies)" = 1 ] || lab_fail "big serial 3 not applied as a delta: $(b_ctl --json feeds list)"
grep -q 'feed big: applied 1 delta: serial 2 -> 3' "$LAB_DIR/b.log" || lab_fail "no delta log line for big serial 3"
lab_log "big feed, $FEED_BIG_CHANGES changes as a delta ($delta_bytes bytes): sync -> applied in $((t2 - t1)) ms" \
	"(index and delta fetched and verified, merged onto the set in force)"
grep 'feed big: [0-9]* set changes' "$LAB_DIR/b.log" | sed 's/^minewall: info: /# 80-feed-roundtrip:   /'

kill -TERM "$B_PID"
lab_wait 10 eval '! lab_alive $B_PID' || lab_fail "B did not stop"
B_PID=
lab_stop_daemon TERM
lab_log "feeds OK"
