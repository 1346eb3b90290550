#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Who opened a forwarded flow decides whose mining it is (issue 14, part 2),
# with the shipped default protect.interfaces = [ ]: the gateway's default
# routes lead to the pool side, so that is its outside.
#
# 1. The attack: a host outside (203.0.113.3) connects to a service on the
#    tenant (the client, port 4444) and sends mining.subscribe. It is
#    reported (opened_by remote), the tenant's address goes into no block
#    set, neither side is escalated, and the tenant's own traffic still flows.
# 2. The tenant is a relay: with that inbound leg fresh, it opens stratum to
#    a pool. The outbound leg is stopped, and a relay event names the relay,
#    the outside miner and the pool.
# 3. With no default route and no protect.interfaces, minewalld -t refuses the
#    forward hook and names the setting.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
MINER4=203.0.113.3
ip -n "$LAB_POOL" addr add $MINER4/24 dev eth0 || lab_fail "second outside address"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'detect.actions.stratum="reject"' 'enforce.block_timeout=3600' \
	'enforce.escalation={ throttle_after = 1; quarantine_after = 0; count_alerts = true; }'
lab_start_daemon "$conf"
grep -q 'forward hook: the outside is po0' "$LAB_DAEMON_LOG" ||
	lab_fail "the daemon did not take po0 (the default route's interface) as the outside"

LOGIN='{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}'

# The tenant's service: accepts and reads, answers nothing.
lab_spawn "$LAB_CLIENT" "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4444))
s.listen(8)
open(sys.argv[1], "w").write("ready\n")
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
' "$LAB_DIR/tenant.ready"
lab_wait 5 test -s "$LAB_DIR/tenant.ready" || lab_fail "tenant service did not start"
# The pool: answers every line with a line.
lab_serve --tcp 2345 --reply-text 'MW-POOL-REPLY\n'

# 1. The attack, from outside.
out=$(lab_pool "$PYTHON" -c '
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(3)
s.connect((sys.argv[2], 4444))
s.sendall(sys.argv[3].encode() + b"\n")
try:
    d = s.recv(100)
    print("eof" if not d else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
' "$MINER4" "$LAB_C4" "$LOGIN")
lab_log "outside miner -> tenant:4444: $out"
lab_wait 3 eval '[ "$("$PYTHON" -c "
import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get(\"event_type\") == \"mining\" and e.get(\"opened_by\") == \"remote\" and e.get(\"dest_port\") == 4444:
        n += 1
print(n)" "$LAB_DIR/eve.json" 2>/dev/null)" -ge 1 ]' ||
	lab_fail "no event for the inbound stratum marked opened_by remote: $(tail -n 3 "$LAB_DIR/eve.json" 2>/dev/null)"
sleep 0.5
lab_ctl blocks list >"$LAB_DIR/blocks" || lab_fail "blocks list failed"
grep -q " $LAB_C4 " "$LAB_DIR/blocks" &&
	lab_fail "the tenant $LAB_C4 was put in a block set: $(cat "$LAB_DIR/blocks")"
lab_ctl hosts list >"$LAB_DIR/hosts" || lab_fail "hosts list failed"
grep -q "$MINER4\|$LAB_C4" "$LAB_DIR/hosts" &&
	lab_fail "a host was escalated for the inbound flow: $(cat "$LAB_DIR/hosts")"
# The tenant still reaches the outside.
lab_send --host "$LAB_P4" --port 2345 --payload-text 'GET / HTTP/1.0\r\n\r\n' \
	--expect-text 'MW-POOL-REPLY' --timeout 3 >/dev/null ||
	lab_fail "the tenant cannot reach the outside after the attack"
lab_log "attack: reported, tenant not blocked, nobody escalated"

# 2. The tenant relays: its own stratum to the pool is stopped, the relay named.
out=$(lab_client "$PYTHON" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 2345), timeout=3)
s.sendall(sys.argv[2].encode() + b"\n")
try:
    d = s.recv(100)
    print("eof" if not d else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
' "$LAB_P4" "$LOGIN")
[ "$out" = reset ] || lab_fail "the relay's outbound stratum was not reset (client says: $out)"
lab_wait 3 eval "grep -q '\"detector\":\"relay\".*relay=$LAB_C4:4444 inbound_from=$MINER4:[0-9]* outbound_to=$LAB_P4:2345' '$LAB_DIR/eve.json'" ||
	lab_fail "no relay event naming $LAB_C4:4444, $MINER4 and $LAB_P4:2345: $(grep relay "$LAB_DIR/eve.json")"
lab_ctl hosts list | grep -q "$LAB_C4" ||
	lab_fail "the relaying tenant was not escalated for its outbound stratum"
lab_ctl hosts list | grep -q "$MINER4" && lab_fail "the outside miner was escalated"
lab_log "relay: outbound leg stopped, relay event names both sides"

# 3. No default route, no interfaces: -t says the forward hook cannot work.
ns=mwl$$-77-noroute
ip netns add "$ns" || lab_fail "netns for the -t check"
tconf=$LAB_DIR/t.conf
lab_write_conf "$tconf"
ip netns exec "$ns" "$MINEWALLD" -t -c "$tconf" >"$LAB_DIR/t.out" 2>&1
rc=$?
ip netns del "$ns"
[ "$rc" = 1 ] || lab_fail "minewalld -t without a default route: status $rc: $(cat "$LAB_DIR/t.out")"
grep -q 'protect.interfaces' "$LAB_DIR/t.out" ||
	lab_fail "minewalld -t without a default route does not name protect.interfaces: $(cat "$LAB_DIR/t.out")"
lab_log "no default route: -t refuses the forward hook"
