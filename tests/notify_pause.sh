#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/notify-pause-instance, the exec receiver example, against a stand-in
# for the OpenStack Compute API on 127.0.0.1: a quarantine notice pauses the one
# instance that has the address (not the one whose address merely matches the
# filter's prefix), a throttle notice calls nothing, an unknown address is
# nothing to do (exit 0), an API error asks minewalld to retry (exit 1), a
# notice that is not one is a usage error (exit 2). Needs no root.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: no python3" >&2; exit 77; }
SCRIPT=$top_srcdir/scripts/notify-pause-instance
D=$(mktemp -d "${TMPDIR:-/tmp}/mw-notify-pause.XXXXXX") || exit 1
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
fail() {
	echo "FAIL: notify_pause: $*" >&2
	exit 1
}

echo "tok-123" >"$D/token"
# The stand-in: one log line per request; GET lists two servers for any ip
# filter (only srv-1 has 198.51.100.2), POST answers 202, /bad/ answers 500.
"$PY" - "$D" <<'EOF' &
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer
d = sys.argv[1]
servers = [
    {"id": "srv-1", "name": "tenant-a", "addresses": {"net": [{"addr": "198.51.100.2"}]}},
    {"id": "srv-2", "name": "tenant-b", "addresses": {"net": [{"addr": "198.51.100.20"}]}},
]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, body=None):
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
    def log(self, body=None):
        with open(os.path.join(d, "api.log"), "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "token": self.headers.get("X-Auth-Token"), "body": body}) + "\n")
    def do_GET(self):
        self.log()
        if self.path.startswith("/bad/"):
            return self.reply(500, {"error": "x"})
        self.reply(200, {"servers": servers})
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.log(json.loads(self.rfile.read(n) or b"null"))
        self.reply(202)
srv = HTTPServer(("127.0.0.1", 0), H)
srv.timeout = 0.2
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
end = time.monotonic() + 60
while time.monotonic() < end:
    srv.handle_request()
EOF
SRV=$!
n=50
while [ ! -s "$D/port" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -s "$D/port" ] || fail "the stand-in API did not start"
URL=http://127.0.0.1:$(cat "$D/port")

notice() {
	printf '{"id":"x-1","type":"tier","event":"%s","host":{"ip":"%s","tier":"%s"}}' "$1" "$2" "$1"
}
run() {
	_url=$1
	shift
	"$PY" "$SCRIPT" --compute-url "$_url" --token-file "$D/token" --timeout 5 "$@" \
		>"$D/out" 2>&1 <"$D/in"
}

notice quarantine 198.51.100.2 >"$D/in"
run "$URL" || fail "quarantine notice: exit $?: $(cat "$D/out")"
"$PY" - "$D/api.log" <<'EOF' || fail "API calls: $(cat "$D/api.log")"
import json, sys, urllib.parse
calls = [json.loads(l) for l in open(sys.argv[1])]
assert len(calls) == 2, calls
get, post = calls
assert get["method"] == "GET" and get["token"] == "tok-123", get
q = urllib.parse.parse_qs(urllib.parse.urlparse(get["path"]).query)
assert q == {"all_tenants": ["1"], "ip": ["^198\\.51\\.100\\.2$"]}, q
assert post == {"method": "POST", "path": "/servers/srv-1/action", "token": "tok-123",
                "body": {"pause": None}}, post
EOF
grep -q "pause srv-1 (tenant-a) for quarantine 198.51.100.2: HTTP 202" "$D/out" || fail "output: $(cat "$D/out")"

: >"$D/api.log"
notice throttle 198.51.100.2 >"$D/in"
run "$URL" || fail "throttle notice: exit $?"
[ ! -s "$D/api.log" ] || fail "a throttle notice called the API: $(cat "$D/api.log")"

notice quarantine 198.51.100.99 >"$D/in"
run "$URL" || fail "unknown address: exit $?"
grep -q "no instance has 198.51.100.99" "$D/out" || fail "unknown address: $(cat "$D/out")"
grep -q '"POST"' "$D/api.log" && fail "an unknown address paused something: $(cat "$D/api.log")"

notice quarantine 198.51.100.2 >"$D/in"
run "$URL/bad"
rc=$?
[ $rc = 1 ] || fail "API error: exit $rc, expected 1: $(cat "$D/out")"

echo 'not json' >"$D/in"
run "$URL"
rc=$?
[ $rc = 2 ] || fail "garbage notice: exit $rc, expected 2"
echo "# notify_pause: quarantine paused srv-1 only; throttle, unknown address, API error, garbage as expected"
