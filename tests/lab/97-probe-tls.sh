#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Encrypted mining to pools no list names, caught by suspicion and an active
# probe (issue 15). The lab's pool host serves, over TLS with a certificate
# made here, a pool in each dialect (CryptoNote login, Bitcoin subscribe,
# EthereumStratum, EthProxy, getwork) on 443 and on 17443, each on an address
# of its own, and benign TLS services: HTTPS (reached with and without a
# name), an Ethereum node's JSON-RPC over HTTPS, a raw TLS JSON-RPC service,
# a server answering garbage and one that never answers.
#  1. Every miner-like client (Python's TLS, by address, no ALPN) is cut
#     within 5 s of its first connection, the pool sees at most that first
#     connection's login, retries are refused in the kernel, the prober's
#     confirmation is a "probe" detection whose detail says what it saw and
#     what it got back, and the endpoint is in the gateway's published feed.
#  2. No benign client is cut or refused; each benign server's probe is
#     recorded negative; the benign flows' exchanges never wait on a probe.
#  3. Suspects are "suspect" events; probes are counted in the metrics; they
#     leave from probe.source; an allowlisted pool is never probed (nor cut);
#     an IPv6 pool on a listed port is caught like the others.
# Without the prober (or the suspicion stage) nothing is cut: step 1 fails.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

: "${MINEWALL_FEED:=$top_builddir/minewall-feed}"
lab_require
command -v openssl >/dev/null 2>&1 || lab_skip "openssl not found"
"$PYTHON" -c 'import ssl' 2>/dev/null || lab_skip "python3 without ssl"
lab_up
for a in 10 11 12 13 14 20 21 22 23 24 25 26; do
	ip -n "$LAB_POOL" addr add 203.0.113.$a/24 dev eth0 || lab_fail "cannot add 203.0.113.$a"
done
ip -n "$LAB_POOL" addr add 2001:db8:2::10/64 dev eth0 nodad || lab_fail "cannot add 2001:db8:2::10"
# The probes leave from an address of their own (probe.source).
ip -n "$LAB_GW" addr add 203.0.113.99/24 dev po0 || lab_fail "cannot add 203.0.113.99"
TLSPOOL=$top_srcdir/tests/lab/mwtlspool.py
C=$LAB_C4
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=pool -keyout "$LAB_DIR/pool.key" -out "$LAB_DIR/pool.crt" >/dev/null 2>&1 ||
	lab_fail "openssl req"
"$MINEWALL_FEED" keygen -W -p "$LAB_DIR/feed.pub" -s "$LAB_DIR/feed.key" >/dev/null || lab_fail "keygen"

POOLS="cryptonote:10 bitcoin:11 ethstratum:12 ethproxy:13 getwork:14"
specs=
for p in $POOLS; do
	specs="$specs 203.0.113.${p#*:}:443:${p%:*} 203.0.113.${p#*:}:17443:${p%:*}"
done
specs="$specs 203.0.113.20:443:https 203.0.113.25:443:https 203.0.113.21:443:jsonrpc-https"
specs="$specs 203.0.113.22:7545:jsonrpc-tls 2001:db8:2::10:3334:bitcoin 203.0.113.26:443:cryptonote"
specs="$specs 203.0.113.10:18443:cryptonote"
specs="$specs 203.0.113.23:443:garbage 203.0.113.24:443:silent"
# shellcheck disable=SC2086
lab_spawn "$LAB_POOL" "$PYTHON" "$TLSPOOL" serve --cert "$LAB_DIR/pool.crt" --key "$LAB_DIR/pool.key" \
	--log "$LAB_DIR/pool.log" --ready "$LAB_DIR/pool.ready" --lifetime 90 $specs
lab_wait 5 test -s "$LAB_DIR/pool.ready" || lab_fail "TLS servers did not start"

conf=$LAB_DIR/minewall.conf
lab_write_conf "$conf" 'probe.enabled=true' 'probe.timeout=4' 'probe.rate=600' \
	'probe.source="203.0.113.99"' 'enforce.allow=[ "203.0.113.26" ]' \
	'enforce.block_by="endpoint"' 'metrics.listen="127.0.0.1:9479"' \
	'enforce.escalation={ window = 600; throttle_after = 100; quarantine_after = 200; throttle_timeout = 600; quarantine_timeout = 600; }' \
	"notify.receivers=( { name = \"confirmed\"; type = \"exec\"; command = [ \"/usr/bin/tee\", \"-a\", \"$LAB_DIR/notices\" ]; events = [ \"probe_confirmed\" ]; coalesce = 0; } )"
cat >>"$conf" <<EOF
feed = {
	state_dir = "$LAB_DIR/feeds";
	publish = {
		dir = "$LAB_DIR/pub";
		secret_key = "$LAB_DIR/feed.key";
		provider = "lab";
		interval = 600;
	};
};
EOF
lab_start_daemon "$conf"
lab_gw nft list chain inet minewall output | grep -q 'meta mark & 0x0f000000 == 0x01000000 accept' ||
	lab_fail "no bypass rule for the prober's own connections in the output chain"

client() {
	lab_client "$PYTHON" "$TLSPOOL" client "$@"
}
field() {
	"$PYTHON" -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print("null" if v is None else v)' "$1" "$2"
}

# --- 1. miners: cut within 5 s, later connections refused in the kernel
for p in $POOLS; do
	kind=${p%:*}
	addr=203.0.113.${p#*:}
	for port in 443 17443; do
		out=$(client --addr "$addr" --port "$port" --kind "$kind" --seconds 8 --retries 2) ||
			lab_fail "$kind client to $addr:$port failed to run"
		lab_log "$kind $addr:$port: $out"
		cut=$(field "$out" cut_after)
		[ "$cut" != null ] || lab_fail "$kind to $addr:$port was never cut: $out"
		"$PYTHON" -c "import sys; sys.exit(not float('$cut') <= 5.0)" ||
			lab_fail "$kind to $addr:$port cut after ${cut}s, not within 5 s"
		[ "$(field "$out" retries_refused)" = 2 ] ||
			lab_fail "$kind to $addr:$port: a later connection got through: $out"
	done
done
# Every probe left from probe.source.
"$PYTHON" - "$LAB_DIR/pool.log" "$C" <<'EOF' || lab_fail "a probe did not leave from probe.source"
import json, sys
peers = {json.loads(l)["peer"] for l in open(sys.argv[1])} - {sys.argv[2]}
print("# probe peers seen by the pools:", sorted(peers))
sys.exit(0 if peers == {"203.0.113.99"} else 1)
EOF
# IPv6: a Bitcoin pool on a listed pool port.
out=$(client --addr 2001:db8:2::10 --port 3334 --kind bitcoin --seconds 8 --retries 2) ||
	lab_fail "v6 client failed to run"
lab_log "bitcoin [2001:db8:2::10]:3334: $out"
[ "$(field "$out" cut_after)" != null ] && [ "$(field "$out" retries_refused)" = 2 ] ||
	lab_fail "the IPv6 miner was not cut and refused: $out"
# The pool saw at most the first connection's login from the client.
"$PYTHON" - "$LAB_DIR/pool.log" "$C" <<'EOF' || lab_fail "a pool accepted more than the first login"
import collections, json, sys
logins = {"login", "mining.subscribe", "eth_submitLogin", "getwork"}
n = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("peer") in (sys.argv[2], "2001:db8:1::2") and r.get("method") in logins:
        n[r["srv"]] += 1
bad = {k: v for k, v in n.items() if v > 1}
print("# logins from the client per pool endpoint:", dict(n))
sys.exit(1 if bad else 0)
EOF
# The block is the kernel's: detect set elements by endpoint.
lab_ctl blocks list detect >"$LAB_DIR/blocks" || lab_fail "blocks list"
for p in $POOLS; do
	for port in 443 17443; do
		grep -q "203.0.113.${p#*:}:$port" "$LAB_DIR/blocks" ||
			lab_fail "203.0.113.${p#*:}:$port not in the detect sets: $(cat "$LAB_DIR/blocks")"
	done
done
# The detections say what was seen and what the probe got back.
grep '"detector":"probe"' "$LAB_DIR/eve.json" >"$LAB_DIR/probe-events" ||
	lab_fail "no probe detection in the event log"
grep -q '"dialect":"cryptonote".*seen: score=2 signals=no_sni,no_alpn.*probe: tls cryptonote answered' \
	"$LAB_DIR/probe-events" || lab_fail "the cryptonote confirmation does not say what was seen and answered"
grep -q '"dialect":"bitcoin".*subscribe extranonce1=08000002' "$LAB_DIR/probe-events" ||
	lab_fail "the bitcoin confirmation does not carry the subscription"
for d in ethereumstratum ethproxy getwork; do
	grep -q "\"dialect\":\"$d\"" "$LAB_DIR/probe-events" || lab_fail "no $d confirmation"
done
grep -q '"event_type":"suspect".*"detector":"tls-suspect"' "$LAB_DIR/eve.json" ||
	lab_fail "no suspect event"
# A notify receiver that asked for probe_confirmed heard of the confirmations
# (and of nothing else: it did not ask for detections or tier changes).
lab_wait 5 grep -q '"event":"probe_confirmed"' "$LAB_DIR/notices" ||
	lab_fail "no probe_confirmed notice: $(cat "$LAB_DIR/notices" 2>/dev/null)"
grep -q '"detector":"probe"' "$LAB_DIR/notices" || lab_fail "the notice does not carry the probe's event"
if grep -v '"event":"probe_confirmed"' "$LAB_DIR/notices" | grep -q '"event":'; then
	lab_fail "the receiver heard of more than it asked for: $(cat "$LAB_DIR/notices")"
fi
# The host's escalation counted each confirmation.
lab_ctl hosts list >"$LAB_DIR/hosts" || lab_fail "hosts list"
grep -q "$C" "$LAB_DIR/hosts" || lab_fail "the miner's host is not tracked: $(cat "$LAB_DIR/hosts")"
# The gateway's own feed names the endpoints.
lab_ctl feeds publish >/dev/null || lab_fail "feeds publish"
for p in $POOLS; do
	grep -q "203.0.113.${p#*:}:443" "$LAB_DIR/pub/feed" ||
		lab_fail "203.0.113.${p#*:}:443 is not in the published feed"
done

# --- 2. benign TLS: never cut, probed and recorded negative, never waiting
t_b=$(date +%s)
bpids=
for b in "25 443 https --sni www.example.org" "20 443 https" "21 443 jsonrpc-https" "26 443 cryptonote" \
	"22 7545 jsonrpc-tls" "23 443 garbage" "24 443 silent"; do
	set -- $b
	lab_client "$PYTHON" "$TLSPOOL" client --addr "203.0.113.$1" --port "$2" --kind "$3" $4 $5 \
		--seconds 5 --retries 1 >"$LAB_DIR/benign.$1.$3.${5:-nosni}" &
	LAB_PIDS="$LAB_PIDS $!"
	bpids="$bpids $!"
done
for p in $bpids; do
	wait "$p"
done
for f in "$LAB_DIR"/benign.*; do
	out=$(cat "$f")
	lab_log "benign $(basename "$f"): $out"
	[ -n "$out" ] || lab_fail "$(basename "$f"): no summary"
	[ "$(field "$out" cut_after)" = null ] || lab_fail "benign $(basename "$f") was cut: $out"
	[ "$(field "$out" retries_refused)" = 0 ] || lab_fail "benign $(basename "$f") was refused: $out"
	case $f in
	*https* | *jsonrpc* | *cryptonote*)
		"$PYTHON" -c "import json, sys; o = json.loads(sys.argv[1]); sys.exit(not (o['exchanges'] >= 5 and o['max_rtt'] < 0.5))" "$out" ||
			lab_fail "benign $(basename "$f") waited: $out" ;;
	esac
done
# Each benign server's probe ends (4 s at most) recorded negative.
lab_wait 6 sh -c "[ \$(ip netns exec $LAB_GW $MINEWALLCTL -s $LAB_CTL_SOCKET probes | grep -c 'negative') -ge 6 ]"
lab_ctl probes >"$LAB_DIR/probes" || lab_fail "probes"
cat "$LAB_DIR/probes" | sed 's/^/# /'
for e in 203.0.113.20:443 203.0.113.25:443 203.0.113.21:443 203.0.113.22:7545 203.0.113.23:443 \
	203.0.113.24:443; do
	grep "$e " "$LAB_DIR/probes" | grep -q ' negative ' || lab_fail "no negative probe of $e"
	grep "$e " "$LAB_DIR/probes" | grep -q ' confirmed ' && lab_fail "$e confirmed as a pool"
	lab_ctl blocks list detect | grep -q "$e" && lab_fail "$e blocked"
done
grep -q '203.0.113.24:443 .* no answer' "$LAB_DIR/probes" || lab_fail "the silent server's probe does not say so"
# An allowlisted pool is never probed, and says why.
grep -q '203.0.113.26:443 .* skipped .* allowlisted' "$LAB_DIR/probes" ||
	lab_fail "the allowlisted pool was probed or not recorded"
# HTTPS with a name and no ALPN is one signal short: its first records made it a suspect.
grep -q '"dest_ip":"203.0.113.25".*"event_type":"suspect"\|"event_type":"suspect".*"dest_ip":"203.0.113.25".*signals=no_alpn,records' \
	"$LAB_DIR/eve.json" || lab_fail "HTTPS with a name was not made a suspect by its records"
lab_log "benign phase took $(($(date +%s) - t_b)) s"

# --- 3. metrics
lab_gw "$PYTHON" -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9479/metrics", timeout=2).read().decode())' \
	>"$LAB_DIR/metrics" || lab_fail "metrics"
grep -q '^minewall_probes_total{outcome="confirmed"} 11$' "$LAB_DIR/metrics" ||
	lab_fail "confirmed probes miscounted: $(grep probes_total "$LAB_DIR/metrics")"
grep -q '^minewall_probes_total{outcome="negative"} [6-9]' "$LAB_DIR/metrics" ||
	lab_fail "negative probes miscounted: $(grep probes_total "$LAB_DIR/metrics")"

# --- 4. switched off by a reload: suspects are reported, not probed, and
# the output chain no longer lets anything out on the prober's mark.
sed 's/^\( *\)enabled = true;$/\1enabled = false;/' "$conf" >"$conf.off" && mv "$conf.off" "$conf"
grep -q '^ *enabled = false;' "$conf" || lab_fail "could not switch the prober off in $conf"
lab_ctl reload >/dev/null || lab_fail "reload"
lab_gw nft list chain inet minewall output | grep -q 'meta mark & 0x0f000000 == 0x01000000 accept' &&
	lab_fail "the prober's bypass rule survived probe.enabled = false"
n0=$(lab_ctl probes | wc -l)
out=$(client --addr 203.0.113.10 --port 18443 --kind cryptonote --seconds 3) || lab_fail "client (off)"
[ "$(field "$out" cut_after)" = null ] || lab_fail "cut with the prober off: $out"
[ "$(lab_ctl probes | wc -l)" = "$n0" ] || lab_fail "a probe ran with probe.enabled = false"
grep -q '"dest_port":18443.*"event_type":"suspect"\|"event_type":"suspect".*"dest_port":18443' "$LAB_DIR/eve.json" ||
	lab_fail "no suspect event with the prober off"
lab_daemon_alive || lab_fail "minewalld died"
lab_log "ok"
