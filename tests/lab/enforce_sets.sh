#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Enforcement sets in private namespaces: timeouts expire, blocked address,
# prefix and address:port are dropped or reset before the queue, the
# allowlist wins over a block, quarantine and its allowlist, the per-host
# throttle meter on a real TCP transfer, single-element changes, sync, a
# replace that keeps elements, and a 100k-entry load.
set -u

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v ip >/dev/null 2>&1 || skip "needs ip(8)"
command -v nft >/dev/null 2>&1 || skip "needs nft(8)"
command -v python3 >/dev/null 2>&1 || skip "needs python3"

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
TOOL=$top_builddir/tests/enforce_tool
[ -x "$TOOL" ] || { echo "ERROR: $TOOL not built (make check builds it)"; exit 99; }

NS=mwenf$$
SRV=mwens$$
TMP=$(mktemp -d) || exit 99
cleanup() {
	[ -f "$TMP/srv.pid" ] && kill "$(cat "$TMP/srv.pid")" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip netns add "$SRV" || exit 99
in_ns() { ip netns exec "$NS" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }
in_ns nft list ruleset >/dev/null 2>&1 || skip "nftables unusable in a namespace"

fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tool() { in_ns "$TOOL" "$@" 2>>"$TMP/tool.log"; }

# The gateway namespace ($NS, minewall's table, 10.9.9.1) and a server
# namespace ($SRV, 10.9.9.2-5) joined by a veth pair.
ip link add v0 netns "$NS" type veth peer name v1 netns "$SRV" || exit 99
in_ns sh -e -c 'ip link set lo up; ip link set v0 up; ip addr add 10.9.9.1/24 dev v0' || exit 99
in_srv sh -e -c 'ip link set lo up; ip link set v1 up
	for a in 2 3 4 5; do ip addr add 10.9.9.$a/24 dev v1; done' || exit 99

# A TCP server on ports 5001-5003 that reports bytes received per connection.
cat >"$TMP/srv.py" <<'PY'
import os, socket, selectors, sys, time
open(sys.argv[2], "w").write("%d\n" % os.getpid())
sel = selectors.DefaultSelector()
for p in (5001, 5002, 5003):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p)); s.listen(16); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, None)
log = open(sys.argv[1], "a", buffering=1)
conns = {}
while True:
    for key, _ in sel.select():
        if key.data is None:
            c, _ = key.fileobj.accept(); c.setblocking(False)
            conns[c] = [0, time.monotonic(), time.monotonic()]
            sel.register(c, selectors.EVENT_READ, 1)
            continue
        c = key.fileobj
        try:
            d = c.recv(65536)
        except OSError:
            d = b""
        if d:
            st = conns[c]; st[0] += len(d); st[2] = time.monotonic()
        else:
            st = conns.pop(c); sel.unregister(c); c.close()
            log.write("%d %.3f\n" % (st[0], st[2] - st[1]))
PY
# It writes its own pid: a python3 wrapper may not exec.
in_srv python3 "$TMP/srv.py" "$TMP/srv.log" "$TMP/srv.pid" </dev/null >/dev/null 2>&1 &
sleep 0.5

# connect HOST PORT: prints ok, refused (RST) or timeout.
cat >"$TMP/conn.py" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1.0)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print("ok")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, OSError):
    print("timeout")
PY
expect_conn() {	# host port want what
	got=$(in_ns python3 "$TMP/conn.py" "$1" "$2")
	[ "$got" = "$3" ] && ok "$4" || fail "$4 (got $got, want $3)"
}

# 1. install: every set exists; detections reject, the rest drops.
# 33 block, meter, allow and host sets, and refused4/refused6 (refused_count.h).
tool install -i v0 -r detect -T 100000 -b 20000 -P 3 || { fail "install"; cat "$TMP/tool.log"; exit 1; }
n=$(in_ns nft list sets table inet minewall 2>/dev/null | grep -c '^	set ')
[ "$n" = 35 ] && ok "35 sets in inet minewall" || fail "sets: $n, want 35"
expect_conn 10.9.9.2 5001 ok "nothing blocked: connect passes"

# 2. timeouts: an element added with 2 s is listed, then gone.
tool add detect 198.51.100.9 2 || fail "add with timeout"
in_ns nft list set inet minewall detect_addr4 2>/dev/null | grep -q '198.51.100.9 timeout 2s expires' &&
	ok "element listed with its timeout" || fail "element with timeout not listed"
tool list detect | grep -q '^198.51.100.9 [12][0-9][0-9][0-9]$' && ok "enforce_list shows ms left" ||
	fail "enforce_list: $(tool list detect)"
sleep 3
in_ns nft list set inet minewall detect_addr4 2>/dev/null | grep -q '198.51.100.9' &&
	fail "element still there after 3 s" || ok "element expired on time"

# 3. packets: ip:port (detect: reject -> RST), address and prefix (list: drop).
tool add detect 10.9.9.2:5002 || fail "add ep"
expect_conn 10.9.9.2 5002 refused "blocked ip:port: TCP reset, never queued (bypass on)"
expect_conn 10.9.9.2 5001 ok "same host, other port passes"
tool add list 10.9.9.3 || fail "add addr"
expect_conn 10.9.9.3 5001 timeout "blocked address dropped"
tool add list 10.9.9.4/31 || fail "add cidr"
expect_conn 10.9.9.4 5001 timeout "address in blocked prefix dropped"
expect_conn 10.9.9.5 5001 timeout "other address in blocked prefix dropped"
tool del list 10.9.9.4/31 || fail "del cidr"
expect_conn 10.9.9.4 5001 ok "prefix removed: passes"

# 4. the allowlist wins over a block (and the flow is still queued).
tool allow add 10.9.9.3 || fail "allow add"
expect_conn 10.9.9.3 5001 ok "allowlisted destination passes despite a block"
tool allow del 10.9.9.3 || fail "allow del"
expect_conn 10.9.9.3 5001 timeout "allowlist entry removed: blocked again"
tool del list 10.9.9.3 || fail "del addr"

# 5. quarantine: everything dropped except the qallow sets.
tool tier 10.9.9.1 quarantine || fail "quarantine"
expect_conn 10.9.9.2 5001 timeout "quarantined host: egress dropped"
tool qallow add 10.9.9.2/32 || fail "qallow add"
expect_conn 10.9.9.2 5001 ok "quarantined host reaches qallow"
expect_conn 10.9.9.5 5001 timeout "quarantined host: not in qallow dropped"
tool tier 10.9.9.1 watch || fail "watch"
expect_conn 10.9.9.5 5001 ok "back to watch: passes"

# 6. throttle: a 4 s TCP transfer from a throttled host, 100000 bytes/s.
tool tier 10.9.9.1 throttle 60 || fail "throttle"
: >"$TMP/srv.log"
in_ns python3 - <<'PY'
import socket, time
s = socket.create_connection(("10.9.9.2", 5003), timeout=5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
buf = b"x" * 16384
end = time.monotonic() + 4
while time.monotonic() < end:
    s.sendall(buf)
s.close()
PY
sleep 1
read -r bytes secs <"$TMP/srv.log"
# The kernel's byte bucket starts full with one second's worth plus the
# burst (nft_limit: tokens_max = rate + burst bytes); the rest is the rate.
rate=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%d", (b - 120000) / s }')
echo "throttled transfer: $bytes bytes in $secs s = $rate bytes/s (limit 100000, burst 20000)"
[ "$rate" -ge 90000 ] && [ "$rate" -le 110000 ] && ok "throttle within 10% of 100000 bytes/s" ||
	fail "throttle: $rate bytes/s"
tool tier 10.9.9.1 watch || fail "watch"

# 7. one element in, one out: the others stay.
tool load 1000 list || fail "load 1000"
before=$(tool count list)
tool add list 192.0.2.77 || fail "add one"
tool del list 10.0.0.5 || fail "del one"
after=$(tool count list)
[ "$before" = 1000 ] && [ "$after" = 1000 ] && tool list list | grep -q '^192.0.2.77 ' &&
	! tool list list | grep -q '^10.0.0.5 ' && ok "single add and delete leave the other 999" ||
	fail "single add/del: before $before after $after"

# 8. sync applies only the difference.
printf '192.0.2.77\n10.0.0.5\n' >"$TMP/want"
out=$(tool sync list "$TMP/want")
# 999 generated entries out, 10.0.0.5 (deleted above) back in.
[ "$out" = "sync: 1000 change(s)" ] && [ "$(tool count list)" = 2 ] && ok "sync: $out" ||
	fail "sync: '$out', $(tool count list) left"
out=$(tool sync list "$TMP/want")
[ "$out" = "sync: 0 change(s)" ] && ok "sync again: nothing to do" || fail "second sync: $out"

# 9. a replace keeps sets and elements.
tool install -i v0 -F || fail "re-install"
[ "$(tool count list)" = 2 ] && [ "$(tool count detect)" = 1 ] &&
	ok "elements survive a replace" || fail "replace lost elements"
expect_conn 10.9.9.2 5002 timeout "after replace (detect now drops): ip:port still blocked"

# 10. 100k entries in one batch, compared with nft -f on identical sets.
out=$(tool load 100000 list "$TMP/load.nft") && ok "$out" || fail "load 100000"
t0=$(date +%s.%N)
in_ns nft -f "$TMP/load.nft" 2>>"$TMP/tool.log" || fail "nft -f"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "nft -f: 100000 entries in %.3f s\n", b - a }'
n=$(tool count list)
 # 10.0.0.5 is one of the generated entries.
[ "$n" = 100001 ] && ok "100000 loaded entries read back (+1)" || fail "read back $n"


[ "$fails" = 0 ] || cat "$TMP/tool.log"
echo "$fails failure(s)"
[ "$fails" = 0 ]
