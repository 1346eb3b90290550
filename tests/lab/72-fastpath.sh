#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The clean fast path and its generation: (1) once a long-lived benign TCP
# connection is judged clean its packets no longer reach the queue; (2) when
# its destination is then blocked, the established connection is cut at once;
# (3) when its source host is throttled, an established clean transfer drops
# to the throttle rate. Without the generation flip, (2) and (3) fail: the
# flows would keep skipping every check.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
ip -n "$LAB_POOL" addr add 203.0.113.3/24 dev eth0 || lab_fail "cannot add 203.0.113.3"
for a in 10 11; do
	ip -n "$LAB_POOL" addr add 203.0.113.$a/24 dev eth0 || lab_fail "cannot add 203.0.113.$a"
done
lab_serve --tcp 3333
stratum="$DET_PAYLOADS/stratum-bitcoin-cgminer.bin"
[ -s "$stratum" ] || lab_fail "missing payload $stratum"
rate=20000
conf=$LAB_DIR/minewall.conf
# Stratum detections only alert: the host gets throttled with no block added
# alongside, so the throttle alone must flip the generation.
lab_write_conf "$conf" 'detect.actions.stratum="alert"' \
	"enforce.throttle_rate=$rate" \
	'enforce.escalation={ window = 600; throttle_after = 2; quarantine_after = 100; throttle_timeout = 600; quarantine_timeout = 600; count_alerts = true; }' \
	$DET_CONF_EXTRA
lab_start_daemon "$conf"

# Pool side: 7000 echoes, 7001 swallows.
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys, threading
def serve(port, echo):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=conn, args=(c, echo), daemon=True).start()
def conn(c, echo):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                return
            if echo:
                c.sendall(d)
    except OSError:
        pass
threading.Thread(target=serve, args=(7001, False), daemon=True).start()
open(sys.argv[1], "w").write("ready\n")
serve(7000, True)
EOF
lab_spawn "$LAB_POOL" timeout 60 "$PYTHON" "$LAB_DIR/srv.py" "$LAB_DIR/srv.ready"
lab_wait 5 test -s "$LAB_DIR/srv.ready" || lab_fail "pool server did not start"

# Client side. echo: 200 bytes every 50 ms, each answered within 1 s; the
# progress file holds the exchanges so far, or "fail REASON". bulk: as fast as
# it can; the progress file holds the bytes sent so far, or "fail REASON".
cat >"$LAB_DIR/cli.py" <<'EOF'
import os, socket, sys, time
mode, host, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def put(s):
    open(out + ".tmp", "w").write(s + "\n"); os.replace(out + ".tmp", out)
s = socket.create_connection((host, port), timeout=2)
s.settimeout(1.0 if mode == "echo" else 10.0)
n, last, end = 0, 0.0, time.monotonic() + 40
buf = b"x" * (200 if mode == "echo" else 4096)
try:
    while time.monotonic() < end:
        s.sendall(buf)
        if mode == "echo":
            got = b""
            while len(got) < len(buf):
                d = s.recv(len(buf) - len(got))
                if not d:
                    raise ConnectionError("closed")
                got += d
            n += 1
            put(str(n))
            time.sleep(0.05)
        else:
            n += len(buf)
            if time.monotonic() - last >= 0.05:
                put(str(n)); last = time.monotonic()
    put("done %d" % n)
except socket.timeout:
    put("fail timeout")
except OSError as e:
    put("fail %s" % type(e).__name__)
EOF
progress() { cat "$LAB_DIR/$1" 2>/dev/null || echo 0; }
queued() {
	lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["queue.packets"])' ||
		lab_fail "no queue.packets in minewallctl --json stats"
}
lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_DIR/cli.py" echo $LAB_P4 7000 "$LAB_DIR/echo"
lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_DIR/cli.py" bulk 203.0.113.3 7001 "$LAB_DIR/bulk"
lab_wait 5 eval '[ "$(progress echo)" -ge 20 ] 2>/dev/null' ||
	lab_fail "echo connection did not get going: $(progress echo)"

# --- 0. segments without payload stay in the kernel: a connection that opens
# and closes without a byte costs its SYN and its two FINs at most, never the
# SYN-ACK or a bare ACK (5 or more queued packets without pure_tcp).
cat >"$LAB_DIR/empty.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7001), timeout=3)
time.sleep(0.2)
s.close()
time.sleep(0.3)
EOF
qa=$(queued)
lab_client "$PYTHON" "$LAB_DIR/empty.py" 203.0.113.3 || lab_fail "empty connection failed"
qb=$(queued)
[ $((qb - qa)) -ge 1 ] && [ $((qb - qa)) -le 3 ] ||
	lab_fail "an empty connection queued $((qb - qa)) packets (want 1..3: SYN, FINs)"
lab_log "an empty connection queued $((qb - qa)) packets: SYN-ACK and bare ACKs stayed in the kernel"

# --- 1. judged clean: the flows keep moving, the queue sees nothing of them
q0=$(queued)
[ "$q0" -gt 0 ] 2>/dev/null || lab_fail "queue packet counter: '$q0'"
e0=$(progress echo) b0=$(progress bulk)
sleep 1.5
q1=$(queued)
e1=$(progress echo) b1=$(progress bulk)
[ "$e1" -ge $((e0 + 10)) ] 2>/dev/null || lab_fail "echo connection stalled: $e0 -> $e1"
[ "$b1" -gt $((b0 + 100000)) ] 2>/dev/null || lab_fail "bulk connection stalled: $b0 -> $b1"
[ "$q1" = "$q0" ] || lab_fail "clean flows still reach the queue ($q0 -> $q1 packets)"
lab_log "judged clean: $((e1 - e0)) exchanges and $((b1 - b0)) bytes, queue flat at $q1 packets"
gen0=$(lab_gw nft list chain inet minewall forward_fast | grep -o '== 0x[0-9a-f]*')

# --- 2. block its destination: the established connection is cut
lab_ctl blocks add $LAB_P4 300 >/dev/null || lab_fail "blocks add failed"
lab_wait 3 eval 'case "$(progress echo)" in fail*) true ;; *) false ;; esac' ||
	lab_fail "the established connection to the blocked $LAB_P4 still works: $(progress echo)"
gen1=$(lab_gw nft list chain inet minewall forward_fast | grep -o '== 0x[0-9a-f]*')
[ "$gen0" != "$gen1" ] || lab_fail "the block did not flip the clean generation ($gen0)"
lab_log "established connection to the blocked pool cut: $(progress echo); generation $gen0 -> $gen1"
b2=$(progress bulk)
sleep 0.5
[ "$(progress bulk)" -gt "$b2" ] 2>/dev/null ||
	lab_fail "the connection to the unblocked 203.0.113.3 stopped too: $(progress bulk)"
q2=$(queued)
sleep 0.5
[ "$(queued)" = "$q2" ] || lab_fail "after the flip the clean transfer came back to the queue"

# --- 3. throttle the source host: the established clean transfer slows down
gen2=$(lab_gw nft list chain inet minewall forward_fast | grep -o '== 0x[0-9a-f]*')
for a in 10 11; do
	lab_send --host 203.0.113.$a --port 3333 --payload-file "$stratum" --no-expect \
		--timeout 2 --connect-timeout 2 2>/dev/null
done
lab_wait 3 eval "lab_ctl hosts list | grep -q '^$LAB_C4 .*throttle'" ||
	lab_fail "host not throttled after 2 detections: $(lab_ctl hosts list)"
sleep 1.5	# the throttle's first bucket (one second's worth) drains
b3=$(progress bulk)
sleep 2
b4=$(progress bulk)
case $b4 in fail*) lab_fail "the throttled transfer broke: $b4" ;; esac
got=$(( (b4 - b3) / 2 ))
[ "$got" -le $((rate * 2)) ] ||
	lab_fail "established transfer not throttled: $got B/s (limit $rate B/s)"
gen3=$(lab_gw nft list chain inet minewall forward_fast | grep -o '== 0x[0-9a-f]*')
[ "$gen2" != "$gen3" ] || lab_fail "the throttle did not flip the clean generation ($gen2)"
lab_gw nft list sets inet 2>/dev/null | grep -q '203\.0\.113\.1[01]' &&
	lab_fail "an alert-only detection added a block (the test expects a throttle alone)"
lab_log "established clean transfer throttled to $got B/s (limit $rate B/s); generation $gen2 -> $gen3"
lab_gw nft list chain inet minewall forward_clean | grep -q 'throttle4' ||
	lab_fail "no throttle rule in forward_clean"
exit 0
