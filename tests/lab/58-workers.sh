#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Queue workers (queue.count = 2): one thread per queue, and what one worker
# learns reaches the other. The kernel balances flows over the queues by
# address hash, so a DNS answer and the connections that follow it usually
# land on different workers. The answer names eight pool addresses; their
# kernel dns blocks are removed again, so only the workers' learned tables can
# recognise the connections: every one of them must raise an endpoint alert,
# whichever worker it reached (all eight on the DNS answer's own queue would
# be a 1 in 256 chance). A reload to three queues replaces the workers
# without losing traffic or detection, and without a counter going backwards
# (Prometheus would read a reset).
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

lab_require
lab_up
addrs=
for i in 10 11 12 13 14 15 16 17; do
	ip -n "$LAB_POOL" addr add 203.0.113.$i/24 dev eth0 || lab_fail "cannot add 203.0.113.$i"
	addrs="$addrs 203.0.113.$i"
done
answer=$(echo $addrs | tr ' ' ',')
lab_serve --tcp 7000
grep -qx 'pool.minexmr.com' "$top_srcdir/blocklists/pool-domains.txt" ||
	lab_fail "blocklists/pool-domains.txt no longer lists pool.minexmr.com"
rm -f "$LAB_DIR/dns.ready"
lab_spawn "$LAB_POOL" "$PYTHON" "$top_srcdir/tests/lab/mwdns.py" --listen $LAB_P4 --port 53 \
	--answer "xmr.pool.minexmr.com=$answer" --ready "$LAB_DIR/dns.ready" --lifetime 120
lab_wait 5 test -s "$LAB_DIR/dns.ready" || lab_fail "DNS responder did not start"

conf=$LAB_DIR/minewall.conf
PORT=9478
URL=http://$LAB_GWC4:$PORT/metrics
lab_write_conf "$conf" 'queue.count=2' 'detect.actions.dns="alert"' 'detect.actions.endpoint="alert"' \
	"metrics.listen=\"$LAB_GWC4:$PORT\""
lab_start_daemon "$conf"

# Queue worker threads are named mw-queue-N.
threads() {
	cat "/proc/$LAB_DAEMON_PID"/task/*/comm | grep -c '^mw-queue-'
}
n=$(threads)
[ "$n" = 2 ] || lab_fail "queue.count = 2 should run 2 worker threads, found $n: $(cat /proc/$LAB_DAEMON_PID/task/*/comm)"
lab_log "2 queue workers running"

lab_send --udp --host $LAB_P4 --port 53 --payload-file "$DET_PAYLOADS/dns-query-pool.bin" \
	--expect-hex 4d58 2>"$LAB_DIR/send.err" || lab_fail "pool DNS query: $(cat "$LAB_DIR/send.err")"
det_wait_events 1 detector=dns action=alert dest_port=53 ||
	lab_fail "no dns alert for the pool name: $(cat "$LAB_DIR/eve.json" 2>/dev/null)"
for a in $addrs; do
	lab_wait 3 eval "lab_ctl blocks list dns | grep -q '^dns *$a '" ||
		lab_fail "$a was not learned into the dns block set: $(lab_ctl blocks list dns)"
	lab_ctl blocks del $a >/dev/null || lab_fail "cannot remove the dns block of $a"
done
lab_ctl blocks list dns | grep -q '^dns ' && lab_fail "dns blocks left: $(lab_ctl blocks list dns)"
lab_log "the answer's 8 addresses were learned; their kernel blocks removed"

for a in $addrs; do
	lab_send --host $a --port 7000 --payload-text "hello\n" 2>"$LAB_DIR/send.err" ||
		lab_fail "hello to $a failed (endpoint action is alert): $(cat "$LAB_DIR/send.err")"
	det_wait_events 1 detector=endpoint dest_ip=$a ||
		lab_fail "no endpoint alert for $a: the worker it reached did not know the learned address"
done
lab_log "all 8 connections to learned addresses were recognised, on either worker"

lost=$(lab_ctl --json stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["engine.findings_lost"])')
[ "$lost" = 0 ] || lab_fail "$lost findings lost between the workers and the main thread"

# counters FILE: every monotonic counter, one "name value" a line: the
# *_total samples of /metrics and the counters of `minewallctl stats`
# (gauges left out).
counters() {
	lab_gw "$PYTHON" - "$URL" >"$1" <<'PY' || lab_fail "scrape of $URL failed"
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    for line in r.read().decode().splitlines():
        if not line.startswith("#") and line.split("{")[0].split(" ")[0].endswith("_total"):
            print(line)
PY
	lab_ctl --json stats | "$PYTHON" -c '
import json, sys
gauges = {"flows.active", "flows.capacity", "flows.buffers_in_use", "flows.memory_bytes"}
for k, v in sorted(json.load(sys.stdin).items()):
    if k.split(".")[0] in ("queue", "engine", "flows") and k not in gauges and isinstance(v, int):
        print(k, v)' >>"$1" || lab_fail "minewallctl --json stats failed"
}
counters "$LAB_DIR/before"
grep -q '^minewall_learned_addresses_total [1-9]' "$LAB_DIR/before" ||
	lab_fail "no learned addresses counted before the reload: $(cat "$LAB_DIR/before")"
grep -q '^engine.packets [1-9]' "$LAB_DIR/before" ||
	lab_fail "no engine packets counted before the reload: $(cat "$LAB_DIR/before")"

# Three queues: the workers are replaced, traffic and detection go on.
sed -i 's/count = 2;/count = 3;/' "$conf"
grep -q 'count = 3;' "$conf" || lab_fail "could not edit queue.count in $conf"
kill -HUP "$LAB_DAEMON_PID"
lab_wait 5 eval '[ "$(threads)" = 3 ]' || lab_fail "after reloading to 3 queues: $(threads) threads"
lab_daemon_alive || lab_fail "minewalld died reloading to 3 queues"
# Right after the reload, before new traffic: the retired workers' counts stay.
counters "$LAB_DIR/after"
"$PYTHON" - "$LAB_DIR/before" "$LAB_DIR/after" <<'PY' || lab_fail "counters went backwards across the reload to 3 queues"
import sys
def load(p):
    return {l.rsplit(" ", 1)[0]: int(float(l.rsplit(" ", 1)[1])) for l in open(p) if l.strip()}
before, after = load(sys.argv[1]), load(sys.argv[2])
bad = ["%s: %d -> %s" % (k, v, after.get(k)) for k, v in sorted(before.items())
       if k not in after or after[k] < v]
if bad:
    sys.stderr.write("\n".join(bad) + "\n")
    sys.exit(1)
print("%d counters, none went backwards" % len(before))
PY
lab_log "no counter went backwards across the reload"
lab_send --host $LAB_P4 --port 7000 --payload-text "hello again\n" 2>"$LAB_DIR/send.err" ||
	lab_fail "traffic after the reload: $(cat "$LAB_DIR/send.err")"
if lab_send --host $LAB_P4 --port 7000 --payload-file "$DET_PAYLOADS/stratum-cryptonote-xmrig.bin" \
	2>"$LAB_DIR/send.err"; then
	:
fi
det_wait_events 1 detector=stratum dest_ip=$LAB_P4 ||
	lab_fail "no stratum detection after the reload to 3 queues: $(tail -3 "$LAB_DIR/eve.json")"
lab_log "reloaded to 3 queue workers; traffic passes and stratum is still caught"

lab_stop_daemon TERM
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with $LAB_DAEMON_RC"
