#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewallctl against the running daemon: every command in human and JSON form,
# a refused unprivileged peer, garbage and oversized requests that never stop
# the packet path, a slow follower, and exit status 3 without a daemon.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
[ -x "$MINEWALLCTL" ] || lab_fail "no minewallctl at $MINEWALLCTL (build first)"
lab_up
lab_serve --tcp 7000 --tcp 3333

json_ok() { "$PYTHON" -c 'import json,sys; json.load(sys.stdin)'; }
json_lines_ok() { "$PYTHON" -c '
import json, sys
n = 0
for line in sys.stdin:
    json.loads(line)
    n += 1
sys.exit(0 if n >= int(sys.argv[1]) else 1)' "$1"; }

traffic() {
	lab_send --host $LAB_P4 --port 7000 --payload-text "$1\n" 2>"$LAB_DIR/send.err" ||
		lab_fail "$1: TCP to the pool: $(cat "$LAB_DIR/send.err")"
}

# No daemon yet: exit 3 and a clear message.
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.block_timeout=0'
rc=0
lab_ctl status >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 3 ] || lab_fail "minewallctl without a daemon exited $rc, expected 3"
grep -q "minewalld is not running (no socket at $LAB_CTL_SOCKET)" "$LAB_DIR/err" ||
	lab_fail "no clear message without a daemon: $(cat "$LAB_DIR/err")"

lab_start_daemon "$conf"
lab_wait 5 test -S "$LAB_CTL_SOCKET" || lab_fail "no control socket at $LAB_CTL_SOCKET"
[ "$(stat -c %a "$LAB_CTL_SOCKET")" = 660 ] || lab_fail "socket mode $(stat -c %a "$LAB_CTL_SOCKET"), expected 660"
traffic "first"
lab_send --host $LAB_P4 --port 3333 \
	--payload-text '{"id": 1, "method": "mining.subscribe", "params": ["cgminer/3.7.2"]}\n' \
	>/dev/null 2>&1 || true
traffic "after stratum"

# status
lab_ctl status >"$LAB_DIR/out" || lab_fail "status failed"
for want in "config .*$conf" "queue mechanism" "queues  *0..0" "fail mode  *open" "flows " \
	"verdicts  *accept [1-9]" "detections  *[1-9]"; do
	grep -q "$want" "$LAB_DIR/out" || lab_fail "status lacks '$want': $(cat "$LAB_DIR/out")"
done
lab_ctl --json status >"$LAB_DIR/out" || lab_fail "status --json failed"
json_ok <"$LAB_DIR/out" || lab_fail "status --json is not JSON: $(cat "$LAB_DIR/out")"
"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["config"] == sys.argv[2], d
assert d["fail_mode"] == "open" and d["queues"]["count"] == 1, d
assert d["verdicts"]["accept"] > 0 and d["packets"] > 0 and d["detections"] >= 1, d
assert d["flows"]["capacity"] == 262144, d
' "$LAB_DIR/out" "$conf" || lab_fail "status --json values: $(cat "$LAB_DIR/out")"

# stats
lab_ctl stats >"$LAB_DIR/out" || lab_fail "stats failed"
grep -q "^queue.packets  *[1-9]" "$LAB_DIR/out" || lab_fail "stats: $(cat "$LAB_DIR/out")"
grep -q "^detections.stratum  *1$" "$LAB_DIR/out" || lab_fail "stats: no stratum detection: $(cat "$LAB_DIR/out")"
lab_ctl --json stats >"$LAB_DIR/out" || lab_fail "stats --json failed"
"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["queue.packets"] > 0 and d["detections_by_detector"]["stratum"] == 1, d
assert any(e["detector"] == "stratum" for e in d["detections_by_dialect"]), d
' "$LAB_DIR/out" || lab_fail "stats --json values: $(cat "$LAB_DIR/out")"

# events
lab_ctl events >"$LAB_DIR/out" || lab_fail "events failed"
grep -q "mining TCP $LAB_C4:[0-9]* -> $LAB_P4:3333 stratum" "$LAB_DIR/out" ||
	lab_fail "events: no stratum event: $(cat "$LAB_DIR/out")"
lab_ctl --json events 5 >"$LAB_DIR/out" || lab_fail "events --json failed"
json_lines_ok 1 <"$LAB_DIR/out" || lab_fail "events --json: not JSON lines: $(cat "$LAB_DIR/out")"
grep -q '"dest_port":3333' "$LAB_DIR/out" || lab_fail "events --json: $(cat "$LAB_DIR/out")"
lab_ctl events 0 >"$LAB_DIR/out" || lab_fail "events 0 failed"
[ ! -s "$LAB_DIR/out" ] || lab_fail "events 0 printed: $(cat "$LAB_DIR/out")"
rc=0
lab_ctl events x >/dev/null 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 2 ] || lab_fail "events x exited $rc, expected 2 (usage)"
grep -q "usage: events" "$LAB_DIR/err" || lab_fail "events x: $(cat "$LAB_DIR/err")"

# events -f streams a new detection; a follower that stops reading is no harm.
lab_spawn "$LAB_GW" "$MINEWALLCTL" -s "$LAB_CTL_SOCKET" --json events -f 0 >"$LAB_DIR/follow" 2>&1
follower=$LAB_SPAWNED
"$PYTHON" - "$LAB_CTL_SOCKET" >"$LAB_DIR/stalled.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"events -f\n")
time.sleep(20)
PY
LAB_PIDS="$LAB_PIDS $!"
sleep 0.5
lab_send --host $LAB_P4 --port 3333 \
	--payload-text '{"id": 2, "method": "mining.subscribe", "params": []}\n' >/dev/null 2>&1 || true
lab_wait 5 grep -q '"dest_port":3333' "$LAB_DIR/follow" || lab_fail "events -f: nothing streamed: $(cat "$LAB_DIR/follow")"
json_lines_ok 1 <"$LAB_DIR/follow" || lab_fail "events -f: not JSON lines: $(cat "$LAB_DIR/follow")"
kill "$follower"

# reload: ok, then a broken file gives its error text and exit 1.
lab_ctl reload >"$LAB_DIR/out" || lab_fail "reload failed: $(cat "$LAB_DIR/out")"
lab_ctl --json reload >"$LAB_DIR/out" || lab_fail "reload --json failed"
json_ok <"$LAB_DIR/out" || lab_fail "reload --json: $(cat "$LAB_DIR/out")"
cp "$conf" "$LAB_DIR/good.conf"
echo 'queue_tail = = broken;' >>"$conf"
bad=$(wc -l <"$conf")
rc=0
lab_ctl reload >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 1 ] || lab_fail "broken reload exited $rc, expected 1"
grep -q "$(basename "$conf"):$bad: " "$LAB_DIR/out" || lab_fail "broken reload: no FILE:LINE in: $(cat "$LAB_DIR/out")"
grep -q "reload failed" "$LAB_DIR/err" || lab_fail "broken reload: $(cat "$LAB_DIR/err")"
cp "$LAB_DIR/good.conf" "$conf"
lab_ctl --json stats | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
assert d["reloads.ok"] == 2 and d["reloads.failed"] == 1, d' || lab_fail "reload counters"

lab_ctl help >"$LAB_DIR/out" || lab_fail "help failed"
grep -q "^events \[-f\] \[N\]" "$LAB_DIR/out" || lab_fail "help: $(cat "$LAB_DIR/out")"
rc=0
lab_ctl frobnicate >/dev/null 2>"$LAB_DIR/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown command 'frobnicate'" "$LAB_DIR/err" || lab_fail "unknown command: rc $rc $(cat "$LAB_DIR/err")"
rc=0
lab_ctl >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || lab_fail "no command exited $rc, expected 2"

# Garbage, an oversized line and a silent client get an error or are dropped.
"$PYTHON" - "$LAB_CTL_SOCKET" <<'PY' || lab_fail "raw protocol checks"
import socket, sys

def talk(data, shut=True):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    s.close()
    return out

r = talk(b"\x00\xff\xfe garbage\x01\n")
assert r == b"error bad-request request must be printable text\n", r
r = talk(b"A" * 5000 + b"\n")
assert r == b"error too-long request line longer than 4096 bytes\n", r
r = talk(b"status\nstats\n")
assert r.count(b"\nok\n") == 2 and r.startswith(b" minewalld "), r
r = talk(b"json status\n")
assert r.startswith(b" {") and r.endswith(b"\nok\n"), r
r = talk(b"\n")
assert r == b"error bad-request empty request\n", r
r = talk(b"status")          # no newline, then EOF: nothing to answer
assert r == b"", r
PY
traffic "after garbage"
lab_daemon_alive || lab_fail "minewalld died"

# An unprivileged peer is refused by its credentials (socket made reachable first).
if command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$LAB_DIR"
	chmod 666 "$LAB_CTL_SOCKET"
	rc=0
	ip netns exec "$LAB_GW" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MINEWALLCTL" -s "$LAB_CTL_SOCKET" status >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
	[ "$rc" = 4 ] || lab_fail "nobody: exit $rc, expected 4: $(cat "$LAB_DIR/err")"
	grep -q "permission denied: not root or in the control group" "$LAB_DIR/err" ||
		lab_fail "nobody not refused by the daemon: $(cat "$LAB_DIR/err")"
	grep -q "control: refused uid 65534" "$LAB_DIR/minewalld.log" || lab_fail "refusal not logged"
	[ ! -s "$LAB_DIR/out" ] || lab_fail "nobody got output: $(cat "$LAB_DIR/out")"
	# With the socket at its configured mode, connect itself is refused.
	chmod 660 "$LAB_CTL_SOCKET"
	rc=0
	ip netns exec "$LAB_GW" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MINEWALLCTL" -s "$LAB_CTL_SOCKET" status >/dev/null 2>"$LAB_DIR/err" || rc=$?
	[ "$rc" = 4 ] || lab_fail "nobody on a 0660 socket: exit $rc, expected 4: $(cat "$LAB_DIR/err")"
	chmod 700 "$LAB_DIR"
else
	lab_log "setpriv not found: unprivileged peer not tested"
fi
traffic "after refusals"

lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "exit status $LAB_DAEMON_RC"
[ ! -e "$LAB_CTL_SOCKET" ] || lab_fail "socket left behind after exit"
rc=0
lab_ctl status >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || lab_fail "minewallctl after exit: $rc, expected 3"
lab_log "control socket OK"
