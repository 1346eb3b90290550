#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Mining through proxies: a SOCKS4/4a/5 and HTTP CONNECT proxy (mwproxy.py) at
# 203.0.113.3 in the pool's namespace, the pool at 203.0.113.2 on ports 80 and
# 443, so the handshake asks for nothing a list names. Plaintext Stratum
# (Bitcoin mining.subscribe, XMRig login) through either proxy, by address or
# by name, whole or split, and through CONNECT inside SOCKS5, must be reset
# before the pool sees a complete message, and be reported as the relay's
# with the proxy, the tunnels and the dialect inside. HTTP and a TLS
# ClientHello for a benign name through the same proxies pass untouched,
# before and after, and the proxy is never blocked; the pool's address, named
# in the tunnels, is. minewalld -r on a capture of the gateway's client side
# reports the same detections.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/detlab.sh"

PROXY4=203.0.113.3

lab_require
lab_up
ip -n "$LAB_POOL" addr add $PROXY4/24 dev eth0 || lab_fail "second address in the pool namespace"
# An echoing pool: a benign exchange gets its own bytes back.
lab_serve --tcp 80 --tcp 443
rm -f "$LAB_DIR/proxy.ready"
lab_spawn "$LAB_POOL" "$PYTHON" "$top_srcdir/tests/lab/mwproxy.py" --socks $PROXY4:1080 \
	--connect $PROXY4:3128 --name pool.lab.test=$LAB_P4 --ready "$LAB_DIR/proxy.ready" \
	--log "$LAB_DIR/proxy.log" --lifetime 300
lab_wait 5 test -s "$LAB_DIR/proxy.ready" || lab_fail "mwproxy did not start"
# What the gateway sees on the client's side, for minewalld -r at the end.
rm -f "$LAB_DIR/cap.ready"
lab_spawn "$LAB_GW" "$PYTHON" "$top_srcdir/tests/lab/mwcap.py" --iface cl0 \
	--out "$LAB_DIR/client-side.pcap" --ready "$LAB_DIR/cap.ready" --lifetime 300
CAP_PID=$LAB_SPAWNED
lab_wait 5 test -s "$LAB_DIR/cap.ready" || lab_fail "mwcap did not start"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'enforce.escalation={ throttle_after = 0; quarantine_after = 0; }' \
	'detect.actions.stratum="reject"' $DET_CONF_EXTRA
lab_start_daemon "$conf"

# tunnel_events PORT DIALECT DETAIL_PREFIX: relay events from the proxy port
# with this dialect whose detail starts with the prefix.
tunnel_events() {
	"$PYTHON" - "$LAB_DIR/eve.json" "$@" <<'EOF'
import json, sys
path, port, dialect, prefix = sys.argv[1:5]
n = 0
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    ev = json.loads(line)
    if (ev.get("event_type") == "mining" and ev.get("detector") == "relay" and
            str(ev.get("dest_port")) == port and ev.get("dialect") == dialect and
            ev.get("detail", "").startswith(prefix)):
        n += 1
print(n)
EOF
}

tunnel_events_ge() {
	[ "$(tunnel_events "$2" "$3" "$4")" -ge "$1" ]
}

# passes NAME PORT PAYLOAD PROXY... : the round trip through the proxies works
# and the pool gets every byte.
passes() {
	_name=$1 _port=$2 _file=$DET_PAYLOADS/$3
	shift 3
	_mark=$(det_conn_count)
	lab_send --host $LAB_P4 --port "$_port" --payload-file "$_file" "$@" 2>"$LAB_DIR/send.err" ||
		lab_fail "$_name: round trip through the proxy failed: $(cat "$LAB_DIR/send.err")"
	_rec=$(det_conn_file "$_mark") || exit 1
	cmp -s "$_rec" "$_file" ||
		lab_fail "$_name: the pool received $(det_size "$_rec") bytes, not the $(det_size "$_file") sent"
	lab_log "$_name: passed"
}

benign() {
	passes "HTTP GET through SOCKS5 ($1)" 80 http-get.bin --proxy socks5:$PROXY4:1080
	passes "HTTP GET through SOCKS4 ($1)" 80 http-get.bin --proxy socks4:$PROXY4:1080
	passes "HTTP GET through CONNECT ($1)" 80 http-get.bin --proxy connect:$PROXY4:3128
	passes "TLS ClientHello ssl.gstatic.com through CONNECT ($1)" 443 tls-benign-gstatic.bin \
		--proxy connect:$PROXY4:3128
	passes "TLS ClientHello ssl.gstatic.com through SOCKS5 by name ($1)" 443 \
		tls-benign-gstatic.bin --proxy socks5h:$PROXY4:1080 --host pool.lab.test
	passes "HTTP GET through CONNECT inside SOCKS5 ($1)" 80 http-get.bin \
		--proxy socks5:$PROXY4:1080 --proxy connect:$PROXY4:3128
	passes "TLS ClientHello in 3 segments through CONNECT ($1)" 443 tls-benign-gstatic.bin \
		--proxy connect:$PROXY4:3128 --segments 3 --delay 0.1
}

# stopped NAME PROXYPORT PAYLOAD SEGMENTS DIALECT DETAIL_PREFIX [send options]
stopped() {
	_name=$1 _pport=$2 _file=$DET_PAYLOADS/$3 _segs=$4 _dia=$5 _prefix=$6
	shift 6
	_mark=$(det_conn_count)
	_nev=$(tunnel_events "$_pport" "$_dia" "$_prefix")
	det_send_fail _reason --host $LAB_P4 --port 80 --payload-file "$_file" \
		--segments "$_segs" --delay 0.1 --expect-text 'MW-NEVER' --timeout 3 "$@"
	[ "$_reason" = reset ] ||
		lab_fail "$_name: expected a TCP reset (stratum = reject), client says: $DET_ERR"
	_rec=$(det_conn_file "$_mark") || exit 1
	sleep 0.3
	_got=$(det_size "$_rec")
	_len=$(det_size "$_file")
	if [ "$_segs" = 1 ]; then
		[ "$_got" = 0 ] ||
			lab_fail "$_name: the pool received $_got bytes of the handshake: $(od -c "$_rec" | head -n 3)"
	else
		det_prefix_of "$_rec" "$_file" ||
			lab_fail "$_name: the pool did not receive a strict prefix of the handshake ($_got of $_len bytes)"
		_most=$((_len - _len / _segs))
		[ "$_got" -le "$_most" ] ||
			lab_fail "$_name: the pool received $_got of $_len bytes, part of the last segment"
	fi
	lab_wait 3 tunnel_events_ge $((_nev + 1)) "$_pport" "$_dia" "$_prefix" ||
		lab_fail "$_name: no relay event dialect=$_dia detail=\"$_prefix...\" in $(tail -n 2 "$LAB_DIR/eve.json" 2>/dev/null)"
	lab_log "$_name: stopped after ${DET_MS} ms, the pool holds $_got of $_len bytes"
}

benign before
n=$(det_events)
[ "$n" = 0 ] || lab_fail "benign tunnels produced $n mining event(s): $(head -n 3 "$LAB_DIR/eve.json")"

S5="proxy=$PROXY4:1080 via=socks5 target=$LAB_P4:80"
stopped "Bitcoin mining.subscribe through SOCKS5" 1080 stratum-bitcoin-cgminer.bin 1 \
	stratum/bitcoin "$S5 " --proxy socks5:$PROXY4:1080
stopped "XMRig login through SOCKS5" 1080 stratum-cryptonote-xmrig.bin 1 \
	stratum/cryptonote "$S5 " --proxy socks5:$PROXY4:1080
stopped "XMRig login through HTTP CONNECT" 3128 stratum-cryptonote-xmrig.bin 1 \
	stratum/cryptonote "proxy=$PROXY4:3128 via=http-connect target=$LAB_P4:80 " \
	--proxy connect:$PROXY4:3128
stopped "Bitcoin mining.subscribe through HTTP CONNECT, 3 segments" 3128 \
	stratum-bitcoin-cgminer.bin 3 stratum/bitcoin \
	"proxy=$PROXY4:3128 via=http-connect target=$LAB_P4:80 " --proxy connect:$PROXY4:3128
stopped "XMRig login through SOCKS5 by name, 3 segments" 1080 stratum-cryptonote-xmrig.bin 3 \
	stratum/cryptonote "proxy=$PROXY4:1080 via=socks5 target=pool.lab.test:80 " \
	--proxy socks5h:$PROXY4:1080 --host pool.lab.test
stopped "Bitcoin mining.subscribe through SOCKS4a" 1080 stratum-bitcoin-cgminer.bin 1 \
	stratum/bitcoin "proxy=$PROXY4:1080 via=socks4 target=pool.lab.test:80 " \
	--proxy socks4a:$PROXY4:1080 --host pool.lab.test
stopped "Bitcoin mining.subscribe through CONNECT inside SOCKS5" 1080 \
	stratum-bitcoin-cgminer.bin 1 stratum/bitcoin \
	"proxy=$PROXY4:1080 via=socks5 target=$PROXY4:3128 via=http-connect target=$LAB_P4:80 " \
	--proxy socks5:$PROXY4:1080 --proxy connect:$PROXY4:3128

# The proxy carries on for everyone: benign tunnels still work, and nothing
# blocks its address. The pool's address, named in the tunnels, is blocked.
benign after
sleep 0.5
lab_ctl blocks list >"$LAB_DIR/blocks" 2>&1 || lab_fail "minewallctl blocks list: $(cat "$LAB_DIR/blocks")"
if grep -q " $PROXY4 " "$LAB_DIR/blocks"; then
	lab_fail "the proxy's address was blocked: $(cat "$LAB_DIR/blocks")"
fi
grep -q "^detect *$LAB_P4 " "$LAB_DIR/blocks" ||
	lab_fail "the pool's address from the tunnels is not in the detect set: $(cat "$LAB_DIR/blocks")"
det_send_fail reason --host $LAB_P4 --port 80 --payload-file "$DET_PAYLOADS/http-get.bin"
lab_log "the proxy is not blocked; the pool, dialled directly, is ($reason)"
n=$(det_events)
[ "$n" = 7 ] || lab_fail "expected 7 mining events, one per stopped miner, got $n: $(cat "$LAB_DIR/eve.json")"
n=$(det_events detector=relay)
[ "$n" = 7 ] || lab_fail "expected every event from the relay detector: $(cat "$LAB_DIR/eve.json")"

lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM

# The same answers offline, on what the gateway saw from the client's side.
kill -TERM "$CAP_PID" 2>/dev/null
lab_wait 3 eval '! lab_alive $CAP_PID' || lab_fail "mwcap did not stop"
"$MINEWALLD" -c "$conf" -r "$LAB_DIR/client-side.pcap" >"$LAB_DIR/offline.json" \
	2>"$LAB_DIR/offline.err" || lab_fail "minewalld -r failed: $(cat "$LAB_DIR/offline.err")"
"$PYTHON" - "$LAB_DIR/eve.json" "$LAB_DIR/offline.json" <<'EOF' || lab_fail "minewalld -r disagrees with the live daemon"
import json, sys

def detections(path):
    out = set()
    for line in open(path, encoding="utf-8"):
        ev = json.loads(line)
        if ev.get("event_type") == "mining":
            out.add((ev["src_port"], ev["dest_ip"], ev["dest_port"], ev["detector"],
                     ev.get("dialect"), ev.get("detail"), ev["action"]))
    return out

live, offline = detections(sys.argv[1]), detections(sys.argv[2])
for d in sorted(live - offline):
    print("only live:", d, file=sys.stderr)
for d in sorted(offline - live):
    print("only offline:", d, file=sys.stderr)
sys.exit(0 if live == offline and len(live) == 7 else 1)
EOF
grep -q '"tunnels":[1-9]' "$LAB_DIR/offline.json" ||
	lab_fail "-r counted no tunnel: $(tail -n 1 "$LAB_DIR/offline.json")"
lab_log "minewalld -r on the capture reports the same 7 detections"
