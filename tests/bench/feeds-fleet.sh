#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench-feeds: one publisher, nginx, FLEET_N (24) subscribing minewalld daemons, each
# in its own namespace, at the shipped feed settings (publish.debounce_ms, feeds[].poll).
#   1. FLEET_ROUNDS (10) detections at the publisher, FLEET_GAP_MIN..MAX s apart (random,
#      so the detections fall anywhere in the subscribers' poll periods): for each, the
#      time from the detection event on the publisher to the "applied" event of every
#      subscriber (the kernel sets are committed before it; every element is then
#      checked with nft). Median and max over all subscribers and rounds.
#   2. nginx during that run: requests/s by status, bytes, and its CPU time.
#   3. Emulated subscribers (tests/bench/feed_pollers.py, minewalld's own request) for
#      each count in FLEET_SYNTH ("1000 5000"), polling every 5 s for FLEET_SYNTH_SECS
#      (20): nginx's requests/s and CPU, for the extrapolation.
# Root; about four minutes. Every loop is bounded; the namespaces go on exit.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"
FEEDLAB_NGINX_LOG=${FEEDLAB_NGINX_LOG:-$LAB_DIR/access.log}
. "$top_srcdir/tests/lab/feedlab.sh"

: "${FLEET_N:=24}"
: "${FLEET_ROUNDS:=10}"
: "${FLEET_GAP_MIN:=3}"
: "${FLEET_GAP_MAX:=9}"
FLEET_SYNTH=${FLEET_SYNTH-1000 5000}
: "${FLEET_SYNTH_SECS:=20}"
: "${FLEET_NGINX_CONNS:=8192}"
[ "$FLEET_N" -ge 1 ] && [ "$FLEET_N" -le 200 ] || lab_fail "FLEET_N must be 1..200"
[ "$FLEET_ROUNDS" -ge 1 ] && [ "$FLEET_ROUNDS" -le 40 ] || lab_fail "FLEET_ROUNDS must be 1..40"

lab_require
lab_up
feedlab_up
# Room for the emulated subscribers' connections.
sed -i "s/worker_connections 1024;/worker_connections $FLEET_NGINX_CONNS;/; s/^worker_processes 1;/worker_processes 1;\nworker_rlimit_nofile $((FLEET_NGINX_CONNS + 64));/" \
	"$LAB_DIR/nginx.conf"
kill -HUP "$FEEDLAB_NGINX" 2>/dev/null
sleep 1

# nginx's CPU time so far in clock ticks (utime + stime of master and worker).
nginx_ticks() {
	_nt=0
	for _np in $(ip netns pids "$FEEDLAB_W"); do
		[ "$(cat "/proc/$_np/comm" 2>/dev/null)" = nginx ] || continue
		_nt=$((_nt + $(awk '{ print $14 + $15 }' "/proc/$_np/stat")))
	done
	echo "$_nt"
}
HZ=$(getconf CLK_TCK)

# --- the publisher: the lab's gateway, detections of pools at 203.0.113.10+
for r in $(seq 1 "$FLEET_ROUNDS"); do
	ip -n "$LAB_POOL" addr add "203.0.113.$((9 + r))/24" dev eth0 || lab_fail "pool address $r"
done
lab_serve --tcp 3333 --reply-text 'ok\n'
stratum="$DET_PAYLOADS/stratum-bitcoin-cgminer.bin"
conf_a=$LAB_DIR/a.conf
lab_write_conf "$conf_a" 'detect.actions.stratum="reject"' 'enforce.block_timeout=3600'
feedlab_pub_conf "$conf_a"
lab_start_daemon "$conf_a"
lab_wait 5 test -s "$FEEDLAB_WWW/a/index" || lab_fail "the publisher did not publish at start"

# --- the subscribers: shipped feed settings; smaller flow tables (memory only)
for i in $(seq 1 "$FLEET_N"); do
	feedlab_sub "$i" 'flows.max=16384' 'flows.buffers=1024'
done
for i in $(seq 1 "$FLEET_N"); do
	lab_wait 20 eval '[ "$(feedlab_feed '"$i"' a have)" = true ]' ||
		lab_fail "subscriber $i did not apply the first feed: $(feedlab_ctl "$i" feeds list)"
done
lab_log "$FLEET_N subscribers hold serial $(feedlab_feed 1 a serial); steady polling for 10 s"
sleep 10

# --- 1. detections
w0=$(date +%s.%N)
c0=$(nginx_ticks)
: >"$LAB_DIR/rounds.tsv"
for r in $(seq 1 "$FLEET_ROUNDS"); do
	addr=203.0.113.$((9 + r))
	n0=$(grep -c '"event_type":"mining"' "$LAB_DIR/eve.json" 2>/dev/null)
	det_send_fail reason --host "$addr" --port 3333 --payload-file "$stratum" --timeout 2 --connect-timeout 2
	lab_wait 3 eval '[ "$(grep -c "\"event_type\":\"mining\"" "$LAB_DIR/eve.json")" -gt "$n0" ]' ||
		lab_fail "round $r: no detection event on the publisher"
	tdet=$(grep '"event_type":"mining"' "$LAB_DIR/eve.json" | grep "\"dest_ip\":\"$addr\"" | head -n1 |
		sed 's/.*"timestamp":"\([^"]*\)".*/\1/')
	[ -n "$tdet" ] || lab_fail "round $r: no detection of $addr"
	for i in $(seq 1 "$FLEET_N"); do
		lab_wait 30 feedlab_has "$i" feed_a_addr4 "$addr" ||
			lab_fail "round $r: $addr did not reach subscriber $i within 30 s: $(feedlab_ctl "$i" feeds list)"
	done
	# Per subscriber: its first "applied" event after the detection.
	for i in $(seq 1 "$FLEET_N"); do
		"$PYTHON" - "$LAB_DIR/s$i-eve.json" "$tdet" "$r" "$i" >>"$LAB_DIR/rounds.tsv" <<'EOF' ||
import json, sys, datetime
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
path, tdet, r, i = sys.argv[1], ts(sys.argv[2]), sys.argv[3], sys.argv[4]
for line in open(path):
    ev = json.loads(line)
    if ev.get("event_type") == "feed" and ev.get("result") == "applied" and ts(ev["timestamp"]) >= tdet:
        print("%s\t%s\t%.3f\t%s" % (r, i, ts(ev["timestamp"]) - tdet, ev.get("reason", "")))
        sys.exit(0)
sys.exit(1)
EOF
			lab_fail "round $r: no applied event at subscriber $i"
	done
	lab_log "round $r: $addr in all $FLEET_N subscribers; latest after $(awk -F '\t' -v r="$r" '$1 == r { if ($3 > m) m = $3 } END { printf "%.2f s", m }' "$LAB_DIR/rounds.tsv")"
	gap=$(( FLEET_GAP_MIN + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (FLEET_GAP_MAX - FLEET_GAP_MIN + 1) ))
	sleep "$gap"
done
c1=$(nginx_ticks)
w1=$(date +%s.%N)

# --- 2. nginx during the run
fallbacks=0
deltas=0
for i in $(seq 1 "$FLEET_N"); do
	fallbacks=$((fallbacks + $(feedlab_feed "$i" a fallbacks)))
	deltas=$((deltas + $(feedlab_feed "$i" a delta_applies)))
done
"$PYTHON" - "$LAB_DIR/rounds.tsv" "$FEEDLAB_NGINX_LOG" "$w0" "$w1" "$c0" "$c1" "$HZ" "$FLEET_N" \
	"$FLEET_ROUNDS" "$deltas" "$fallbacks" <<'EOF' | tee "$LAB_DIR/summary" || lab_fail "summary"
import sys, statistics
rounds, log, w0, w1, c0, c1, hz, n, nr, deltas, fb = sys.argv[1:]
w0, w1, hz = float(w0), float(w1), int(hz)
lat = [float(l.split("\t")[2]) for l in open(rounds)]
via = [l.rstrip("\n").split("\t")[3] for l in open(rounds)]
secs = w1 - w0
by, reqb, sent = {}, 0, 0
for l in open(log):
    f = l.split()
    if len(f) < 5 or not (w0 <= float(f[0]) <= w1):
        continue
    by[f[1]] = by.get(f[1], 0) + 1
    reqb += int(f[2])
    sent += int(f[3])
total = sum(by.values())
cpu = (int(c1) - int(c0)) / hz
print("fleet: %s subscribers, %s detections, %d arrivals (%d via a delta)" %
      (n, nr, len(lat), sum(1 for v in via if v.startswith("via") and "delta" in v)))
print("detection -> every subscriber's kernel set: median %.2f s, p90 %.2f s, max %.2f s, min %.2f s" %
      (statistics.median(lat), sorted(lat)[int(0.9 * (len(lat) - 1))], max(lat), min(lat)))
print("subscribers: %s delta applies, %s snapshot fallbacks" % (deltas, fb))
print("nginx over %.0f s: %d requests, %.1f/s (%s); %.0f bytes in, %.0f bytes out per request" %
      (secs, total, total / secs, ", ".join("%s: %d" % kv for kv in sorted(by.items())),
       reqb / max(total, 1), sent / max(total, 1)))
print("nginx CPU: %.2f s in %.0f s = %.2f %% of one core" % (cpu, secs, 100 * cpu / secs))
EOF

# --- 3. emulated subscribers against the same nginx
etag=$(ip netns exec "$FEEDLAB_W" "$PYTHON" -c 'import urllib.request
r = urllib.request.urlopen("http://10.210.0.1:8080/a/index", timeout=3)
print(r.headers["ETag"]); print(r.headers["Last-Modified"])')
lm=$(echo "$etag" | sed -n 2p)
etag=$(echo "$etag" | sed -n 1p)
for k in $FLEET_SYNTH; do
	c0=$(nginx_ticks)
	t0=$(date +%s.%N)
	out=$(ip netns exec "$FEEDLAB_W" "$PYTHON" "$top_srcdir/tests/bench/feed_pollers.py" --host 10.210.0.1 \
		--port 8080 --etag "$etag" --last-modified "$lm" --subscribers "$k" --period 5 \
		--seconds "$FLEET_SYNTH_SECS") || lab_fail "emulated subscribers ($k): $out"
	c1=$(nginx_ticks)
	t1=$(date +%s.%N)
	"$PYTHON" -c 'import sys
k, out, c0, c1, hz, t0, t1 = sys.argv[1:]
sent = int(out.split()[1]); secs = float(t1) - float(t0); cpu = (int(c1) - int(c0)) / int(hz)
print("emulated %s subscribers polling every 5 s: %s; %.0f requests/s; nginx CPU %.2f s in %.0f s = %.1f %% of one core"
      % (k, out, sent / secs, cpu, secs, 100 * cpu / secs))' "$k" "$out" "$c0" "$c1" "$HZ" "$t0" "$t1" |
		tee -a "$LAB_DIR/summary"
done
sed "s/^/# $LAB_TEST: /" "$LAB_DIR/summary" >&2
lab_stop_daemon TERM
