#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Prometheus endpoint: scrape, send traffic with one stratum handshake,
# scrape again and see the counters move; 404, 405 and 400 for other requests.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
lab_serve --tcp 7000 --tcp 3333

PORT=9477
URL=http://$LAB_GWC4:$PORT/metrics
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.block_timeout=0' "metrics.listen=\"$LAB_GWC4:$PORT\""
lab_start_daemon "$conf"

# scrape FILE: the exposition text, checked for format on the way.
scrape() {
	lab_gw "$PYTHON" - "$URL" >"$1" <<'PY' || lab_fail "scrape of $URL failed"
import re, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    assert r.status == 200, r.status
    ctype = r.headers["Content-Type"]
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    body = r.read().decode()
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*",?)*\})? [0-9.e+-]+$')
typed = set()
for line in body.splitlines():
    if line.startswith("# TYPE "):
        typed.add(line.split()[2])
    elif line.startswith("# HELP "):
        continue
    else:
        assert sample.match(line), "bad sample line: %r" % line
        assert line.split("{")[0].split(" ")[0] in typed, "no TYPE before %r" % line
sys.stdout.write(body)
PY
}

# value FILE 'name{labels}': the sample's value, or nothing.
value() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

scrape "$LAB_DIR/m1"
for k in minewall_up minewall_packets_queued_total 'minewall_verdicts_total{action="accept"}' \
	minewall_flows minewall_flow_table_capacity 'minewall_reloads_total{result="ok"}' \
	minewall_start_time_seconds minewall_queue_enobufs_total minewall_malformed_packets_total; do
	[ -n "$(value "$LAB_DIR/m1" "$k")" ] || lab_fail "first scrape lacks $k"
done
[ "$(value "$LAB_DIR/m1" minewall_up)" = 1 ] || lab_fail "minewall_up is not 1"
# Every family served is documented in minewallctl(8).
for f in $(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$LAB_DIR/m1"); do
	grep -qw "$f" "$top_srcdir/man/minewallctl.8" || lab_fail "metric family $f is not in man/minewallctl.8"
done
[ "$(value "$LAB_DIR/m1" minewall_flow_table_capacity)" = 262144 ] || lab_fail "capacity"
[ "$(value "$LAB_DIR/m1" 'minewall_detections_total{detector="stratum",dialect=""}')" = 0 ] ||
	lab_fail "stratum detections before any: $(grep stratum "$LAB_DIR/m1")"

lab_send --host $LAB_P4 --port 7000 --payload-text 'hello\n' 2>"$LAB_DIR/err" || lab_fail "send: $(cat "$LAB_DIR/err")"
lab_send --host $LAB_P6 --port 7000 --payload-text 'hello\n' 2>"$LAB_DIR/err" || lab_fail "send v6: $(cat "$LAB_DIR/err")"
lab_send --host $LAB_P4 --port 3333 \
	--payload-text '{"id": 1, "method": "mining.subscribe", "params": ["cgminer/3.7.2"]}\n' \
	>/dev/null 2>&1 || true

scrape "$LAB_DIR/m2"
p1=$(value "$LAB_DIR/m1" minewall_packets_queued_total)
p2=$(value "$LAB_DIR/m2" minewall_packets_queued_total)
[ "$p2" -gt "$p1" ] || lab_fail "packets did not move: $p1 -> $p2"
a1=$(value "$LAB_DIR/m1" 'minewall_verdicts_total{action="accept"}')
a2=$(value "$LAB_DIR/m2" 'minewall_verdicts_total{action="accept"}')
[ "$a2" -gt "$a1" ] || lab_fail "accept verdicts did not move: $a1 -> $a2"
grep -q '^minewall_detections_total{detector="stratum",dialect="[a-z0-9_-]*"} 1$' "$LAB_DIR/m2" ||
	lab_fail "no stratum detection: $(grep detections "$LAB_DIR/m2")"
[ "$(value "$LAB_DIR/m2" minewall_flows_created_total)" -ge 3 ] || lab_fail "flows created"

# Other requests: 404, 405, 400, an idle client, and the endpoint still serves.
lab_gw "$PYTHON" - "$LAB_GWC4" "$PORT" <<'PY' || lab_fail "bad requests"
import socket, sys, time

def ask(data, wait=5):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=wait)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out

assert ask(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404 "), "404"
assert ask(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").startswith(b"HTTP/1.1 405 "), "405"
assert ask(b"\x16\x03\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400 "), "400"
assert ask(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000).startswith(b"HTTP/1.1 400 "), "oversized"
# A client that sends half a request is dropped after the idle timeout.
t = time.time()
assert ask(b"GET /metr", wait=15) == b"", "idle"
assert 3 <= time.time() - t <= 12, time.time() - t
r = ask(b"GET /metrics HTTP/1.0\r\n\r\n")
assert r.startswith(b"HTTP/1.1 200 ") and b"minewall_up 1" in r, r[:200]
PY
lab_send --host $LAB_P4 --port 7000 --payload-text 'after\n' 2>"$LAB_DIR/err" || lab_fail "send after: $(cat "$LAB_DIR/err")"

lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "exit status $LAB_DAEMON_RC"
lab_log "metrics OK"
