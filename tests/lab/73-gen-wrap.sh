#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The clean generation wraps around: an established TCP connection judged
# clean goes silent, the generation flips through a whole cycle (blocks of
# unrelated addresses) so that blocking the connection's destination makes
# its old value current again; its next packet must still be cut. Without
# the conntrack sweep (ct_sweep.c) it takes the fast path past the block.
# Also: a ct mark bit outside mark_mask, set on that entry before the flips,
# is still set after the sweep rewrote the entry (seen by a counter rule of
# our own table in front of minewall's), and a silent connection to an
# unblocked destination survives the sweep.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
lab_up
ip -n "$LAB_POOL" addr add 203.0.113.3/24 dev eth0 || lab_fail "cannot add 203.0.113.3"
conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf"
lab_start_daemon "$conf"

# A bit of the ct mark outside minewall's mark_mask, owned by "someone else":
# set on the first packets of the connection to be blocked, counted on its
# later ones. Priorities before minewall's (10), so blocked packets count.
other=0x00000010
lab_gw nft -f - <<EOF || lab_fail "cannot add the test table"
table inet mwtest {
	chain setbit {
		type filter hook forward priority -20; policy accept;
		ip daddr $LAB_P4 tcp dport 7000 ct mark set ct mark or $other
	}
	chain count {
		type filter hook forward priority -10; policy accept;
		ip daddr $LAB_P4 tcp dport 7000 ct mark and $other == $other counter comment "bitset"
		ip daddr $LAB_P4 tcp dport 7000 ct mark and $other == 0 counter comment "bitclear"
	}
}
EOF
counted() {
	lab_gw nft list chain inet mwtest count |
		sed -n "s/.*packets \([0-9]*\) bytes.*comment \"$1\".*/\1/p"
}

# Pool side: echo on 7000, every address.
cat >"$LAB_DIR/srv.py" <<'EOF'
import socket, sys, threading
def conn(c):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                return
            c.sendall(d)
    except OSError:
        pass
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7000)); s.listen(8)
open(sys.argv[1], "w").write("ready\n")
while True:
    c, _ = s.accept()
    threading.Thread(target=conn, args=(c,), daemon=True).start()
EOF
lab_spawn "$LAB_POOL" timeout 120 "$PYTHON" "$LAB_DIR/srv.py" "$LAB_DIR/srv.ready"
lab_wait 5 test -s "$LAB_DIR/srv.ready" || lab_fail "pool server did not start"

# Client: 10 echoed exchanges (judged clean), "silent" in the progress file,
# then nothing until the go file appears; then one more exchange: "ok", or
# "fail REASON".
cat >"$LAB_DIR/cli.py" <<'EOF'
import os, socket, sys, time
host, out, go = sys.argv[1], sys.argv[2], sys.argv[3]
def put(s):
    open(out + ".tmp", "w").write(s + "\n"); os.replace(out + ".tmp", out)
def echo(s):
    buf = b"x" * 200
    s.sendall(buf)
    got = b""
    while len(got) < len(buf):
        d = s.recv(len(buf) - len(got))
        if not d:
            raise ConnectionError("closed")
        got += d
try:
    s = socket.create_connection((host, 7000), timeout=2)
    s.settimeout(2.0)
    for _ in range(10):
        echo(s)
        time.sleep(0.05)
    put("silent")
    end = time.monotonic() + 90
    while not os.path.exists(go) and time.monotonic() < end:
        time.sleep(0.1)
    echo(s)
    put("ok")
except socket.timeout:
    put("fail timeout")
except OSError as e:
    put("fail %s" % type(e).__name__)
EOF
progress() { cat "$LAB_DIR/$1" 2>/dev/null || echo none; }
lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_DIR/cli.py" $LAB_P4 "$LAB_DIR/blocked" "$LAB_DIR/go"
lab_spawn "$LAB_CLIENT" "$PYTHON" "$LAB_DIR/cli.py" 203.0.113.3 "$LAB_DIR/kept" "$LAB_DIR/go"
lab_wait 10 eval '[ "$(progress blocked)" = silent ] && [ "$(progress kept)" = silent ]' ||
	lab_fail "connections did not get going: $(progress blocked) / $(progress kept)"
sleep 0.3	# the last ACKs pass
# From here on the mark bit is only kept, never set again.
lab_gw nft flush chain inet mwtest setbit || lab_fail "cannot flush setbit"
set0=$(counted bitset) clear0=$(counted bitclear)
[ "$set0" -gt 0 ] 2>/dev/null && [ "$clear0" = 0 ] ||
	lab_fail "the outside bit was not set on the connection: set $set0, clear $clear0"

# Current generation as value and mask from forward_fast.
gen() {
	lab_gw nft list chain inet minewall forward_fast |
		sed -n 's/.*ct mark & \(0x[0-9a-f]*\) == \(0x[0-9a-f]*\) accept.*/\1 \2/p'
}
set -- $(gen)
mask=$(($1)) v0=$(($2))
[ "$mask" -gt 0 ] && [ "$v0" -gt 0 ] || lab_fail "cannot read forward_fast: $(gen)"
shift=0
while [ $(((mask >> shift) & 1)) = 0 ]; do shift=$((shift + 1)); done
top=$((mask >> shift)) g0=$((v0 >> shift))
nextof() {
	if [ "$1" = "$top" ]; then echo 1; elif [ "$1" = 1 ]; then echo 3; else echo $(($1 + 1)); fi
}
lab_log "connections judged clean in generation $g0 (mask $(printf 0x%08x $mask), values up to $top)"

# Flip until the next flip makes g0 current again.
g=$g0 flips=0
while [ "$(nextof $g)" != "$g0" ]; do
	flips=$((flips + 1))
	[ $flips -le 20 ] || lab_fail "the generation does not come back to $g0"
	lab_ctl blocks add 192.0.2.$flips 300 >/dev/null || lab_fail "blocks add 192.0.2.$flips failed"
	set -- $(gen)
	ng=$(($2 >> shift))
	[ "$ng" = "$(nextof $g)" ] || lab_fail "block $flips: generation $g -> $ng, want $(nextof $g)"
	g=$ng
done
lab_log "$flips flips of unrelated blocks: generation $g, the next is $g0"

# The block that brings g0 back.
lab_ctl blocks add $LAB_P4 300 >/dev/null || lab_fail "blocks add $LAB_P4 failed"
set -- $(gen)
[ $(($2 >> shift)) = "$g0" ] || lab_fail "blocking $LAB_P4 did not make generation $g0 current: $(gen)"
stats=$(lab_ctl stats)
lab_log "$(echo "$stats" | grep ct_sw | tr -s ' \n' ' ')"

touch "$LAB_DIR/go"
lab_wait 8 eval 'case "$(progress blocked)" in fail*) true ;; *) false ;; esac' ||
	lab_fail "the silent connection to the blocked $LAB_P4 took the fast path after the wrap: $(progress blocked)"
lab_wait 5 eval '[ "$(progress kept)" = ok ]' ||
	lab_fail "the silent connection to the unblocked 203.0.113.3 broke: $(progress kept)"
lab_log "after the wrap: blocked connection $(progress blocked), unblocked one $(progress kept)"

set1=$(counted bitset) clear1=$(counted bitclear)
[ "$clear1" = 0 ] || lab_fail "the ct mark bit outside mark_mask was lost ($clear1 packets without it)"
[ "$set1" -gt "$set0" ] || lab_fail "no packet of the blocked connection counted after the wrap ($set0 -> $set1)"
lab_log "ct mark bit $other kept: $((set1 - set0)) packets after the wrap carry it"

swept=$(echo "$stats" | awk '$1 == "enforce.ct_swept" { print $2 }')
failed=$(echo "$stats" | awk '$1 == "enforce.ct_sweep_failed" { print $2 }')
runs=$(echo "$stats" | awk '$1 == "enforce.ct_sweeps" { print $2 }')
[ "$failed" = 0 ] || lab_fail "conntrack sweeps failed: $failed"
[ "$runs" = $((flips + 1)) ] || lab_fail "$runs sweeps for $((flips + 1)) flips"
[ "$swept" -ge 2 ] 2>/dev/null || lab_fail "the sweep rewrote $swept entries (want both silent connections)"
exit 0
