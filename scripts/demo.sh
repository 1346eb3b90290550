#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/quickstart demo, once minewall is built: a client -> gateway ->
# internet lab of network namespaces (tests/lab/lab.sh), minewalld in the
# gateway on the shipped configuration (scripts/scratch-conf: its paths in a
# scratch directory), a miner's traffic and ordinary traffic from the client,
# then what minewalld decided. Everything is removed at the end. Root.
#   MINEWALLD, MINEWALLCTL: the programs (default: BUILD_DIR or ./build)
#   DEMO_KEEP=1: keep the scratch directory (config, events, daemon log)
set -u
PYTHON=${PYTHON:-}
top=$(cd "$(dirname "$0")/.." && pwd)
top_srcdir=$top
: "${top_builddir:=${BUILD_DIR:-$top/build}}"
LAB_KEEP=${DEMO_KEEP:-}
LAB_SPAWNED= LAB_POOL_LOG= LAB_SERVE_PID=
# shellcheck source=../tests/lab/lab.sh
. "$top/tests/lab/lab.sh"
DET_PAYLOADS=$top/tests/lab/payloads
started=$(date +%s)

say() { printf '%s\n' "$*"; }
say_section() { printf '\n== %s\n' "$*"; }

# The lab skips (77) where it cannot run; for the demo that is an error.
if ! (lab_require); then
	say "demo: this host cannot run the namespace lab (above: why)" >&2
	exit 1
fi
for p in "$MINEWALLD" "$MINEWALLCTL"; do
	[ -x "$p" ] || { say "demo: no $p: build first (scripts/quickstart demo does)" >&2; exit 1; }
done

# The internet side: a pool that answers nothing useful, on an address per
# miner (each detection blocks its pool's address, so each gets its own), a
# resolver, and an ordinary web server.
POOL_STRATUM=203.0.113.10
POOL_XMRIG=203.0.113.11
POOL_TLS=203.0.113.12
POOL_DNS_ANSWER=203.0.113.13
RESOLVER=203.0.113.53
WEB=203.0.113.80
lab_up >/dev/null
for a in $POOL_STRATUM $POOL_XMRIG $POOL_TLS $POOL_DNS_ANSWER $RESOLVER $WEB; do
	ip -n "$LAB_POOL" addr add $a/24 dev eth0 || lab_fail "cannot add $a to the internet namespace"
done
lab_serve --tcp 80 --tcp 443 --tcp 3333 \
	--reply-text 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n' --reply-after 16
rm -f "$LAB_DIR/dns.ready"
lab_spawn "$LAB_POOL" "$PYTHON" "$top/tests/lab/mwdns.py" --listen $RESOLVER --port 53 \
	--answer xmr.pool.minexmr.com=$POOL_DNS_ANSWER --ready "$LAB_DIR/dns.ready" --lifetime 120
lab_wait 5 test -s "$LAB_DIR/dns.ready" || lab_fail "the lab's resolver did not start"

conf=$LAB_DIR/minewall.conf
sh "$top/scripts/scratch-conf" "$LAB_DIR" >"$conf" || lab_fail "cannot write the demo configuration"
LAB_CTL_SOCKET=$LAB_DIR/minewalld.sock
say "== minewall demo: client $LAB_C4 -> gateway (minewalld) -> internet 203.0.113.0/24"
say "   namespaces $LAB_CLIENT, $LAB_GW, $LAB_POOL"
say "   minewalld -f -c $conf"
say "   (conf/minewall.conf as shipped; socket, events and state in $LAB_DIR)"
lab_start_daemon "$conf" >/dev/null

# try LABEL HOST PORT [mwtraffic send options]: one exchange from the client,
# and what the client saw.
try() {
	_label=$1 _host=$2 _port=$3
	shift 3
	_t0=$(lab_now)
	if lab_send --host "$_host" --port "$_port" --timeout 2 --connect-timeout 2 "$@" \
		2>"$LAB_DIR/send.err"; then
		_seen="answered"
	else
		case $(sed -n 's/^mwtraffic: \([a-z]*\):.*/\1/p' "$LAB_DIR/send.err") in
		reset) _seen="reset by the gateway" ;;
		refused) _seen="refused at its SYN (the kernel's block set)" ;;
		timeout) _seen="no answer (dropped)" ;;
		*) _seen="failed: $(cat "$LAB_DIR/send.err")" ;;
		esac
	fi
	_ms=$(echo "$(lab_now) $_t0" | awk '{ printf "%d", ($1 - $2) * 1000 }')
	printf '   %-60s %s (%s ms)\n' "$_label -> $_host:$_port" "$_seen" "$_ms"
}

say_section "traffic from the client ($LAB_C4)"
try "ordinary HTTP GET" $WEB 80 --payload-file "$DET_PAYLOADS/http-get.bin" --expect-text 'HTTP/1.0 200 OK'
try "stratum login (mining.subscribe)" $POOL_STRATUM 3333 \
	--payload-file "$DET_PAYLOADS/stratum-bitcoin-cgminer.bin" --expect-text 'HTTP/1.0'
try "XMRig login on port 80" $POOL_XMRIG 80 \
	--payload-file "$DET_PAYLOADS/stratum-cryptonote-xmrig.bin" --expect-text 'HTTP/1.0'
try "TLS ClientHello, SNI us1.bitminter.com" $POOL_TLS 443 \
	--payload-file "$DET_PAYLOADS/tls-bitminter.bin" --expect-text 'HTTP/1.0'
try "DNS query A xmr.pool.minexmr.com" $RESOLVER 53 --udp \
	--payload-file "$DET_PAYLOADS/dns-query-pool.bin" --expect-hex 4d58
try "plain bytes to the stratum pool again" $POOL_STRATUM 3333 --payload-text 'hello\n' \
	--expect-text 'HTTP/1.0'
try "plain bytes to the address DNS gave" $POOL_DNS_ANSWER 80 --payload-text 'hello\n' \
	--expect-text 'HTTP/1.0'
try "ordinary HTTP GET again" $WEB 80 --payload-file "$DET_PAYLOADS/http-get.bin" --expect-text 'HTTP/1.0 200 OK'
# Give the main thread a tick to apply and log what the workers found.
sleep 1.2

ctl() {
	say_section "minewallctl $*"
	lab_ctl "$@" 2>&1 | sed 's/^/   /'
}
ctl events 50
ctl blocks list detect
ctl blocks list dns
ctl hosts list
ctl status
lab_daemon_alive || lab_fail "minewalld died"
lab_stop_daemon TERM >/dev/null
say_section "minewalld's log"
grep -v '^#' "$LAB_DAEMON_LOG" | sed 's/^/   /'
[ "$LAB_DAEMON_RC" = 0 ] || lab_fail "minewalld exited with status $LAB_DAEMON_RC"
say ""
say "== done in $(($(date +%s) - started)) s: minewalld stopped, its tables and the namespaces removed"
