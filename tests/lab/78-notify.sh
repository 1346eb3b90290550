#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# notify { }: receivers hear of tier changes and detections, and none of them
# can slow the gateway down.
#
# 1. A webhook receiver (tests/lab/mwhook.py, in the pool's namespace, over
#    IPv6) gets exactly one POST per tier change, signed with HMAC-SHA256,
#    which it verifies: a storm of detections makes a throttle and a
#    quarantine notice, a release one more. A receiver of detections hears
#    of the host once in its coalesce window; the rest are counted.
# 2. After a reload: a receiver that hangs past its timeout, one that answers
#    500 and one that is down. Stratum flows are still reset at once and the
#    control socket answers while they hang; each delivery is tried exactly
#    1 + retries times within its bounds, then given up, and counted.
# 3. Exec receivers: the command gets the document on stdin, runs without any
#    capability and with no_new_privs; its exit 1 is logged with what it said
#    and retried, not fatal; one that hangs is killed at its timeout.
# 4. A feed that fails its signature check makes a feed_rejected notice;
#    minewallctl notify test, notify list and the metrics.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
# A silent pool on the stratum port: whatever the client hears comes from the gateway.
lab_serve --tcp 3333 --reply-text 'MW-POOL-REPLY\n' --reply-after 100000000

HOOK=$top_srcdir/tests/lab/mwhook.py
PY=$(command -v "$PYTHON")
STRATUM=$top_srcdir/tests/lab/payloads/stratum-bitcoin-cgminer.bin
KEY=$LAB_DIR/hook.key
MPORT=9478
conf=$LAB_DIR/minewall.conf
head -c 48 /dev/urandom | base64 >"$KEY"
chmod 600 "$KEY"

# hook NAME PORT [serve options]: a receiver in the pool's namespace on [pool v6]:PORT.
hook() {
	_h_name=$1 _h_port=$2
	shift 2
	rm -f "$LAB_DIR/$_h_name.ready"
	lab_spawn "$LAB_POOL" "$PYTHON" "$HOOK" serve --listen "$LAB_P6" --port "$_h_port" \
		--log "$LAB_DIR/$_h_name.log" --ready "$LAB_DIR/$_h_name.ready" --lifetime 150 \
		--secret-file "$KEY" "$@"
	lab_wait 5 test -s "$LAB_DIR/$_h_name.ready" || lab_fail "receiver $_h_name did not start"
}

# stratum: one miner handshake from the client; prints how it ended (reset,
# timeout, ...) and the milliseconds it took.
stratum() {
	_s_t0=$(date +%s%N)
	if lab_send --host $LAB_P4 --port 3333 --payload-file "$STRATUM" --expect-text MW-NEVER \
		--timeout "${1:-3}" 2>"$LAB_DIR/send.err"; then
		lab_fail "a stratum handshake got an answer"
	fi
	_s_ms=$((($(date +%s%N) - _s_t0) / 1000000))
	echo "$(sed -n 's/^mwtraffic: \([a-z]*\):.*/\1/p' "$LAB_DIR/send.err" | head -n 1) $_s_ms"
}

# reset_fast COUNT LIMIT_MS: COUNT stratum flows 0.5 s apart, each reset within
# LIMIT_MS of its connect (timed in the client, without process start-up).
reset_fast() {
	lab_client "$PYTHON" - "$LAB_P4" 3333 "$STRATUM" "$1" "$2" <<'EOF' >"$LAB_DIR/reset.out" 2>&1 ||
import socket, sys, time
host, port, path, count, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
payload = open(path, "rb").read()
for i in range(count):
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(payload)
    try:
        data = s.recv(4096)
        sys.exit("flow %d: not reset (got %r)" % (i, data))
    except ConnectionResetError:
        ms = (time.monotonic() - t0) * 1000
    except socket.timeout:
        sys.exit("flow %d: no reset within 3 s" % i)
    s.close()
    print("flow %d reset after %.1f ms" % (i, ms))
    if ms > limit:
        sys.exit("flow %d: reset after %.1f ms, limit %d ms" % (i, ms, limit))
    time.sleep(0.5)
EOF
		lab_fail "$(cat "$LAB_DIR/reset.out")"
	lab_log "$(tr '\n' ';' <"$LAB_DIR/reset.out")"
}

# check LOG PYTHON: run python on the receiver's requests (a list `reqs`) or exec records.
check() {
	"$PYTHON" - "$1" "$2" <<'EOF' || lab_fail "$1: $2 (see above)"
import json, sys
path, code = sys.argv[1], sys.argv[2]
try:
    reqs = [json.loads(l) for l in open(path)]
except FileNotFoundError:
    reqs = []
try:
    exec(code)
except AssertionError as e:
    print("assertion failed: %s\nrecords: %s" % (e, json.dumps(reqs, indent=1)[:6000]), file=sys.stderr)
    sys.exit(1)
EOF
}

lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# counter NAME OUTCOME: a receiver's counter from minewallctl --json notify list.
counter() {
	lab_ctl --json notify list | "$PYTHON" -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["name"] == sys.argv[1]]
print(r[0][sys.argv[2]] if r else "none")' "$1" "$2"
}

ESC='enforce.escalation={ window = 60; throttle_after = 3; quarantine_after = 6; throttle_timeout = 600; quarantine_timeout = 600; }'
HOOKRCV="{ name = \"hook\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8080/hook\"; secret_file = \"$KEY\"; events = [ \"throttle\", \"quarantine\", \"release\", \"watch\" ]; timeout = 5; }"

# ---- 1. one signed POST per tier change ------------------------------------
hook hook 8080
lab_write_conf "$conf" 'enforce.block_timeout=0' "$ESC" "metrics.listen=\"$LAB_GWC4:$MPORT\"" \
	"notify.receivers=( $HOOKRCV, { name = \"det\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8080/det\"; events = [ \"detection\" ]; coalesce = 60; } )"
lab_start_daemon "$conf"
lab_wait 5 grep -q "notify: 2 receivers" "$LAB_DAEMON_LOG" || lab_fail "no 'notify: 2 receivers' in the log"

n=0
while [ $n -lt 12 ]; do
	n=$((n + 1))
	set -- $(stratum 1)
	lab_ctl hosts list | grep -q "^$LAB_C4 .*quarantine" && break
done
lab_ctl hosts list | grep -q "^$LAB_C4 .*quarantine" ||
	lab_fail "host not quarantined after $n handshakes: $(lab_ctl hosts list)"
set -- $(stratum 1)
[ "$1" = timeout ] || lab_fail "the quarantined host's handshake was not dropped: $1"
lab_wait 10 eval '[ "$(grep -c "\"/hook\"" "$LAB_DIR/hook.log")" -ge 2 ]' ||
	lab_fail "no two tier notices: $(cat "$LAB_DIR/hook.log" 2>/dev/null)"
sleep 1.5
check "$LAB_DIR/hook.log" '
hook = [r for r in reqs if r["path"] == "/hook"]
assert [r["body"]["event"] for r in hook] == ["throttle", "quarantine"], [r["body"]["event"] for r in hook]
for r in hook:
    b = r["body"]
    assert r["signature_ok"] is True, "signature does not verify: %s" % r["signature"]
    assert r["content_type"] == "application/json", r["content_type"]
    assert r["event"] == b["event"] and r["delivery"] == b["id"], (r["event"], r["delivery"])
    assert b["type"] == "tier" and b["host"]["ip"] == "198.51.100.2", b["host"]
    assert b["eve"]["event_type"] == "tier" and b["eve"]["tier"] == b["event"], b["eve"]
    assert b["evidence"]["detector"] == "stratum" and b["evidence"]["src_ip"] == "198.51.100.2", b["evidence"]
    assert 1 <= len(b["recent"]) <= 5 and all(x["event_type"] == "mining" for x in b["recent"]), b["recent"]
    assert b["text"].startswith("minewall on "), b["text"]
assert hook[0]["body"]["host"]["previous"] == "watch" and hook[0]["body"]["host"]["detections"] == 3
assert hook[1]["body"]["host"]["previous"] == "throttle" and hook[1]["body"]["host"]["detections"] == 6
assert hook[1]["body"]["host"]["expires_in"] > 500
assert len({r["delivery"] for r in hook}) == 2
det = [r for r in reqs if r["path"] == "/det"]
assert len(det) == 1, "%d detection notices, expected 1 (coalesce = 60)" % len(det)
assert det[0]["signature"] is None and det[0]["body"]["type"] == "detection"
assert det[0]["body"]["eve"]["event_type"] == "mining" and det[0]["body"]["eve"]["detector"] == "stratum"
'
[ "$(counter det coalesced)" -ge 5 ] || lab_fail "det: coalesced $(counter det coalesced), expected at least 5"
lab_log "$n handshakes: one signed POST for throttle, one for quarantine; one detection notice, $(counter det coalesced) coalesced"

lab_ctl hosts release $LAB_C4 >/dev/null || lab_fail "hosts release failed"
lab_wait 5 eval '[ "$(grep -c "\"/hook\"" "$LAB_DIR/hook.log")" -ge 3 ]' || lab_fail "no release notice"
sleep 1
check "$LAB_DIR/hook.log" '
hook = [r for r in reqs if r["path"] == "/hook"]
assert len(hook) == 3, len(hook)
b = hook[2]["body"]
assert hook[2]["signature_ok"] is True and b["event"] == "release", b["event"]
assert b["host"]["tier"] == "watch" and b["host"]["previous"] == "quarantine", b["host"]
assert b["evidence"] is None, b["evidence"]
'
[ "$(counter hook delivered)" = 3 ] || lab_fail "hook: delivered $(counter hook delivered), expected 3"
lab_log "release: one more signed POST; hook delivered 3"

# ---- 2. down, slow, 500: nothing waits for them ----------------------------
hook slow 8081 --delay 4
hook err 8082 --status 500
BAD='coalesce = 0; timeout = 1; retries = 2; backoff = 1; backoff_max = 1; events = [ "detection" ];'
lab_write_conf "$conf" 'enforce.block_timeout=0' "metrics.listen=\"$LAB_GWC4:$MPORT\"" \
	'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' \
	"notify.receivers=( { name = \"slow\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8081/slow\"; $BAD }, { name = \"err\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8082/err\"; $BAD }, { name = \"down\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8083/down\"; $BAD }, $HOOKRCV )"
lab_ctl reload >"$LAB_DIR/out" 2>&1 || lab_fail "reload failed: $(cat "$LAB_DIR/out")"
[ "$(counter hook delivered)" = 3 ] || lab_fail "hook's counters not kept across the reload"
t0=$(date +%s)
# Each flow's detection queues a notice for slow, err and down; the next flow
# comes while the slow receiver holds an attempt (1 s) and the others retry.
reset_fast 3 500
[ "$(counter slow running)" -ge 1 ] || lab_fail "no attempt of slow in flight: $(lab_ctl notify list)"
_c0=$(date +%s%N)
lab_ctl status >/dev/null || lab_fail "status failed while receivers hang"
_cms=$((($(date +%s%N) - _c0) / 1000000))
[ "$_cms" -lt 1000 ] || lab_fail "minewallctl status took $_cms ms while receivers hang"
lab_wait 20 eval '[ "$(counter slow queued)" = 0 ] && [ "$(counter err queued)" = 0 ] && [ "$(counter down queued)" = 0 ]' ||
	lab_fail "deliveries still queued after 20 s: $(lab_ctl notify list)"
took=$(($(date +%s) - t0))
for r in slow err down; do
	[ "$(counter $r gave_up)" = 3 ] || lab_fail "$r: gave_up $(counter $r gave_up), expected 3: $(lab_ctl notify list)"
	[ "$(counter $r delivered)" = 0 ] || lab_fail "$r: delivered $(counter $r delivered)"
done
[ "$(counter slow timeout)" = 9 ] || lab_fail "slow: timeout $(counter slow timeout), expected 9"
[ "$(counter err rejected)" = 9 ] || lab_fail "err: rejected $(counter err rejected), expected 9"
[ "$(counter down error)" = 9 ] || lab_fail "down: error $(counter down error), expected 9"
# Each delivery: three attempts within 3 timeouts and 2 backoffs of at most 1 s.
for r in slow err; do
	check "$LAB_DIR/$r.log" '
by = {}
for r in reqs:
    by.setdefault(r["delivery"], []).append(r["time"])
assert len(by) == 3 and all(len(v) == 3 for v in by.values()), {k: len(v) for k, v in by.items()}
for v in by.values():
    assert max(v) - min(v) <= 6.5, "attempts spread over %.1f s" % (max(v) - min(v))
'
done
grep -q 'notify slow: gave up on delivery .* after 3 attempts: timeout: no answer within 1 s' "$LAB_DAEMON_LOG" ||
	lab_fail "no give-up line for slow in the log"
grep -q 'notify err: gave up on delivery .* after 3 attempts: rejected: HTTP status 500' "$LAB_DAEMON_LOG" ||
	lab_fail "no give-up line for err in the log"
lab_daemon_alive || lab_fail "minewalld died"
lab_log "slow, 500 and down: resets stayed prompt, 3 deliveries x 3 attempts each, given up after ${took}s"

# ---- 3. exec receivers -----------------------------------------------------
lab_write_conf "$conf" 'enforce.block_timeout=0' "metrics.listen=\"$LAB_GWC4:$MPORT\"" \
	'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' \
	"notify.receivers=( { name = \"run\"; type = \"exec\"; command = [ \"$PY\", \"$HOOK\", \"exec\", \"--out\", \"$LAB_DIR/run.out\", \"--exit\", \"1\" ]; events = [ \"detection\" ]; coalesce = 0; timeout = 10; retries = 1; backoff = 1; backoff_max = 1; }, { name = \"hang\"; type = \"exec\"; command = [ \"$PY\", \"$HOOK\", \"exec\", \"--out\", \"$LAB_DIR/hang.out\", \"--sleep\", \"60\" ]; events = [ \"detection\" ]; coalesce = 0; timeout = 1; retries = 0; } )"
lab_ctl reload >"$LAB_DIR/out" 2>&1 || lab_fail "reload failed: $(cat "$LAB_DIR/out")"
reset_fast 1 500
lab_wait 10 eval '[ "$(counter run gave_up)" = 1 ] && [ "$(counter hang gave_up)" = 1 ]' ||
	lab_fail "exec receivers not done: $(lab_ctl notify list)"
check "$LAB_DIR/run.out" '
assert len(reqs) == 2, "%d runs, expected 2 (retries = 1)" % len(reqs)
for r in reqs:
    st = r["status"]
    assert st["CapEff"] == "0000000000000000" and st["CapPrm"] == "0000000000000000", st
    assert st["CapInh"] == "0000000000000000" and st["CapAmb"] == "0000000000000000", st
    assert st["NoNewPrivs"] == "1", st
    assert r["env"]["MINEWALL_EVENT"] == "detection" and r["env"]["MINEWALL_RECEIVER"] == "run", r["env"]
    assert set(r["env"]) <= {"PATH", "LC_ALL", "MINEWALL_EVENT", "MINEWALL_RECEIVER", "MINEWALL_DELIVERY"}, r["env"]
    d = r["doc"]
    assert d["type"] == "detection" and d["evidence"]["detector"] == "stratum", d
    assert r["env"]["MINEWALL_DELIVERY"] == d["id"]
assert reqs[0]["doc"] == reqs[1]["doc"]
'
[ "$(counter run rejected)" = 2 ] || lab_fail "run: rejected $(counter run rejected), expected 2"
[ "$(counter hang timeout)" = 1 ] || lab_fail "hang: timeout $(counter hang timeout), expected 1"
[ "$(lines "$LAB_DIR/hang.out")" = 1 ] || lab_fail "hang ran $(lines "$LAB_DIR/hang.out") times"
grep -q 'notify run: gave up on delivery .* after 2 attempts: rejected: exit 1: mwhook: exec receiver says: exiting 1' \
	"$LAB_DAEMON_LOG" || lab_fail "exit 1 not logged with what the command said: $(grep 'notify run' "$LAB_DAEMON_LOG")"
grep -q 'notify hang: gave up on delivery .* after 1 attempt: timeout: killed after 1 s' "$LAB_DAEMON_LOG" ||
	lab_fail "the hanging command's kill not logged"
pgrep -f "$LAB_DIR/hang.out" >/dev/null && lab_fail "the hanging command outlived its timeout"
lab_daemon_alive || lab_fail "minewalld died"
reset_fast 1 500
lab_log "exec: document on stdin, no capabilities, exit 1 logged and retried, a hang killed at 1 s"

# ---- 4. a rejected feed, notify test, notify list, metrics -----------------------
# A feed whose signature does not verify: its rejection is a notice for "feeds".
echo "garbage" >"$LAB_DIR/feed"
echo "not a signature" >"$LAB_DIR/feed.minisig"
lab_write_conf "$conf" 'enforce.block_timeout=0' "metrics.listen=\"$LAB_GWC4:$MPORT\"" "$ESC" \
	"notify.receivers=( $HOOKRCV, { name = \"feeds\"; type = \"webhook\"; url = \"http://[$LAB_P6]:8080/feed\"; events = [ \"feed_rejected\" ]; } )"
echo "feed = { state_dir = \"$LAB_DIR/feeds\"; };" >>"$conf"
echo "feeds = ( { name = \"bad\"; url = \"file://$LAB_DIR/feed\"; pubkeys = [ \"RWTu9q4Hhw/Alk+EbfFh9cT5ZzvZYaBfMer5WEEiyNoVx9Z55/raFlh5\" ]; } );" >>"$conf"
lab_ctl reload >"$LAB_DIR/out" 2>&1 || lab_fail "reload failed: $(cat "$LAB_DIR/out")"
lab_wait 10 grep -q '"/feed"' "$LAB_DIR/hook.log" || lab_fail "no feed_rejected notice: $(lab_ctl feeds list)"
check "$LAB_DIR/hook.log" '
r = [r for r in reqs if r["path"] == "/feed"]
assert len(r) == 1, len(r)
b = r[0]["body"]
assert b["type"] == "feed" and b["event"] == "feed_rejected" and b["host"] is None, b
assert b["eve"]["event_type"] == "feed" and b["eve"]["name"] == "bad" and b["eve"]["result"] == "rejected", b["eve"]
'
lab_log "a rejected feed: one feed_rejected notice"
before=$(grep -c '"/hook"' "$LAB_DIR/hook.log")
lab_ctl notify test hook >"$LAB_DIR/out" || lab_fail "notify test failed: $(cat "$LAB_DIR/out")"
lab_wait 5 eval '[ "$(grep -c "\"/hook\"" "$LAB_DIR/hook.log")" -gt "$before" ]' || lab_fail "no test notice"
check "$LAB_DIR/hook.log" '
r = [r for r in reqs if r["path"] == "/hook"][-1]
assert r["signature_ok"] is True and r["body"]["type"] == "test" and r["body"]["host"] is None, r
'
lab_ctl notify test nosuch >/dev/null 2>&1 && lab_fail "notify test of an unknown receiver succeeded"
lab_ctl notify list >"$LAB_DIR/out" || lab_fail "notify list failed"
grep -q "^hook  *webhook  *4 " "$LAB_DIR/out" || lab_fail "notify list: $(cat "$LAB_DIR/out")"
lab_gw "$PYTHON" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	"http://$LAB_GWC4:$MPORT/metrics" >"$LAB_DIR/metrics" || lab_fail "scrape failed"
grep -qx 'minewall_notify_deliveries_total{receiver="hook",outcome="delivered"} 4' "$LAB_DIR/metrics" ||
	lab_fail "metrics: $(grep notify "$LAB_DIR/metrics")"
grep -qx 'minewall_notify_queued{receiver="hook"} 0' "$LAB_DIR/metrics" || lab_fail "no queued gauge"
lab_log "notify test delivered, listed and counted in /metrics"

lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited $LAB_DAEMON_RC"
lab_log "PASS"
