#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Real-time sharing (issue 20): a detection at the publisher reaches a subscriber's kernel
# set through a delta within a few seconds, with no manual command, both at the shipped
# settings (publish.debounce_ms, feeds[].poll).
#   A = minewalld in the lab's gateway, publishing its detections into www/a
#   W = nginx serving www; S1 = a subscribing minewalld in its own namespace
# Checks: the pool's address in S1's feed set within 12 s of the detection; S1 applied
# it as a delta (event reason, `feeds list`, /metrics), not as a snapshot: A's snapshot
# file still holds the older serial; S1's index polls were mostly 304.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"
. "$top_srcdir/tests/lab/feedlab.sh"

lab_require
lab_up
feedlab_up

lab_serve --tcp 3333 --reply-text 'ok\n'
stratum="$DET_PAYLOADS/stratum-bitcoin-cgminer.bin"
[ -s "$stratum" ] || lab_fail "missing payload $stratum"
conf_a=$LAB_DIR/a.conf
lab_write_conf "$conf_a" 'detect.actions.stratum="reject"' 'enforce.block_timeout=600'
feedlab_pub_conf "$conf_a"
lab_start_daemon "$conf_a"
lab_wait 5 test -s "$FEEDLAB_WWW/a/index" || lab_fail "A did not publish at start"

feedlab_sub 1 'metrics.listen="127.0.0.1:9477"'
lab_wait 15 eval '[ "$(feedlab_feed 1 a have)" = true ]' ||
	lab_fail "S1 did not apply A's first feed: $(feedlab_ctl 1 feeds list)"
serial0=$(feedlab_feed 1 a serial)
[ "$(feedlab_feed 1 a index)" = true ] || lab_fail "S1 does not use A's index: $(feedlab_ctl 1 --json feeds list)"
# Polls go on while nothing changes, answered 304.
lab_wait 15 eval '[ "$(feedlab_feed 1 a polls_304)" -ge 1 ]' ||
	lab_fail "no 304 poll: $(feedlab_ctl 1 --json feeds list)"
feedlab_has 1 feed_a_addr4 203.0.113.2 && lab_fail "203.0.113.2 in S1's set before any detection"
snap_serial=$(sed -n 's/^serial //p' "$FEEDLAB_WWW/a/feed")
lab_log "S1 holds serial $serial0, A's snapshot is serial $snap_serial"

# The detection; from here on nobody runs a command on either daemon.
t0=$(date +%s%N)
det_send_fail reason --host 203.0.113.2 --port 3333 --payload-file "$stratum" --timeout 2 --connect-timeout 2
lab_wait 3 eval 'lab_ctl blocks list detect | grep -q "^detect *203\.0\.113\.2 "' ||
	lab_fail "A did not block the pool: $(lab_ctl blocks list)"
lab_wait 12 feedlab_has 1 feed_a_addr4 203.0.113.2 ||
	lab_fail "the pool did not reach S1's set within 12 s: $(feedlab_ctl 1 feeds list)"
t1=$(date +%s%N)
lab_log "detection on A -> element in S1's kernel set in $(((t1 - t0) / 1000000)) ms"

serial1=$(feedlab_feed 1 a serial)
[ "$serial1" -gt "$serial0" ] || lab_fail "S1's serial $serial1 did not move from $serial0"
# Through a delta: counted, in the event, and A has not written a new snapshot.
[ "$(feedlab_feed 1 a delta_applies)" -ge 1 ] || lab_fail "no delta apply: $(feedlab_ctl 1 --json feeds list)"
[ "$(feedlab_feed 1 a snapshot_applies)" = 1 ] ||
	lab_fail "S1 applied a snapshot after the first: $(feedlab_ctl 1 --json feeds list)"
[ "$(feedlab_feed 1 a fallbacks)" = 0 ] || lab_fail "S1 fell back to the snapshot"
[ "$(sed -n 's/^serial //p' "$FEEDLAB_WWW/a/feed")" = "$snap_serial" ] ||
	lab_fail "A wrote a snapshot: the test did not see the delta path"
ls "$FEEDLAB_WWW/a" | grep -q "^delta-[0-9]*-$serial1\$" ||
	lab_fail "no delta file in A's directory: $(ls "$FEEDLAB_WWW/a")"
grep -q '"event_type":"feed","name":"a","serial":'"$serial1"',.*"result":"applied","reason":"via [0-9]* deltas\{0,1\} from serial' \
	"$LAB_DIR/s1-eve.json" || lab_fail "no applied-via-delta event: $(tail -n 5 "$LAB_DIR/s1-eve.json")"
grep -q "feed a: applied [0-9]* deltas\{0,1\}: serial [0-9]* -> $serial1" "$LAB_DIR/s1.log" ||
	lab_fail "no delta line in S1's log"

# The same in S1's metrics, with the feed's lag.
ip netns exec "$(feedlab_ns 1)" "$PYTHON" -c 'import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9477/metrics", timeout=3).read().decode())' \
	>"$LAB_DIR/m" || lab_fail "scrape of S1's metrics failed"
grep -q '^minewall_feed_applies_total{feed="a",via="delta"} [1-9]' "$LAB_DIR/m" ||
	lab_fail "metrics: no delta apply: $(grep feed "$LAB_DIR/m")"
grep -q '^minewall_feed_polls_total{feed="a",result="304"} [1-9]' "$LAB_DIR/m" ||
	lab_fail "metrics: no 304 poll"
grep -q "^minewall_feed_serial{feed=\"a\"} $serial1\$" "$LAB_DIR/m" || lab_fail "metrics: serial"
lag=$(sed -n 's/^minewall_feed_lag_seconds{feed="a"} //p' "$LAB_DIR/m")
[ -n "$lag" ] && [ "$lag" -ge 0 ] && [ "$lag" -le 30 ] || lab_fail "metrics: lag \"$lag\""
lab_log "S1: serial $serial0 -> $serial1 via delta, lag ${lag}s," \
	"polls $(feedlab_feed 1 a polls_304) x 304 / $(feedlab_feed 1 a polls_200) x 200"
lab_stop_daemon TERM
lab_log "feeds in real time OK"
