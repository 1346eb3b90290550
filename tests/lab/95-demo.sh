#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/demo.sh, what `scripts/quickstart demo` runs after the build: the
# shipped configuration in a lab of namespaces stops the stratum login, the
# XMRig login on port 80 and the pool's TLS ClientHello, alerts on the DNS
# query, lets ordinary HTTP through, prints the events, blocks, tiers and
# status, removes everything it made, in well under a minute.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

lab_require
out=$LAB_DIR/demo.out
t0=$(date +%s)
BUILD_DIR=$top_builddir sh "$top_srcdir/scripts/demo.sh" >"$out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
sed 's/^/# /' "$out"
[ "$rc" = 0 ] || lab_fail "the demo exited with status $rc"
[ "$t" -lt 60 ] || lab_fail "the demo took ${t}s"

# expect PATTERN WHAT: a line of the output matches the extended regex.
expect() {
	grep -Eq "$1" "$out" || lab_fail "the demo's output has no $2 (/$1/)"
}
expect '^   ordinary HTTP GET -> 203\.0\.113\.80:80 +answered' "answered HTTP GET"
expect '^   ordinary HTTP GET again -> 203\.0\.113\.80:80 +answered' "answered second HTTP GET"
expect '^   stratum login .* -> 203\.0\.113\.10:3333 +reset by the gateway' "reset stratum login"
expect '^   XMRig login on port 80 -> 203\.0\.113\.11:80 +reset by the gateway' "reset XMRig login"
expect '^   TLS ClientHello.* -> 203\.0\.113\.12:443 +reset by the gateway' "reset TLS ClientHello"
expect '^   DNS query .* -> 203\.0\.113\.53:53 +answered' "answered DNS query (alert only)"
expect '^   plain bytes to the stratum pool again .* refused at its SYN' "refusal at the SYN"
expect '^   plain bytes to the address DNS gave .* refused at its SYN' "refusal of the learned address"
expect '^   [0-9T:.+-]+ mining TCP 198\.51\.100\.2:[0-9]+ -> 203\.0\.113\.10:3333 stratum/bitcoin .*action=reject' "stratum event"
expect '^   [0-9T:.+-]+ mining TCP .* -> 203\.0\.113\.11:80 stratum/cryptonote .*action=reject' "XMRig event"
expect '^   [0-9T:.+-]+ mining TCP .* -> 203\.0\.113\.12:443 tls-sni/tls sni=us1\.bitminter\.com' "TLS event"
expect '^   [0-9T:.+-]+ mining UDP .* -> 203\.0\.113\.53:53 dns/.*query=xmr\.pool\.minexmr\.com action=alert' "DNS event"
expect '^   detect +203\.0\.113\.10 ' "detect block of the stratum pool"
expect '^   dns +203\.0\.113\.13 ' "dns block of the learned address"
expect '^   198\.51\.100\.2 +throttle ' "throttled client"
expect '^   detections +4$' "status with 4 detections"
expect '^== done in [0-9]+ s' "closing line"
if grep "203\.0\.113\.80" "$out" | grep -q " mining "; then
	lab_fail "an event for the web server"
fi
# Nothing left behind: namespaces, scratch directory.
ns=$(sed -n 's/^   namespaces \(.*\)$/\1/p' "$out" | tr -d ,)
[ -n "$ns" ] || lab_fail "the demo did not name its namespaces"
for n in $ns; do
	! ip netns list | grep -q "^$n\b" || lab_fail "namespace $n left behind"
done
dir=$(sed -n 's/^   (conf\/minewall.conf as shipped; socket, events and state in \(.*\))$/\1/p' "$out")
[ -n "$dir" ] || lab_fail "the demo did not name its scratch directory"
[ ! -e "$dir" ] || lab_fail "the demo left $dir"
lab_log "the demo ran in ${t}s"
