#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# feed_fetch and the subscription machine against real servers: nginx (Debian's
# nginx-light) for files and conditional GET, python sockets that hang or never stop.
set -u
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "SKIP: nginx not installed (apt-get install nginx-light)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
PROG="${top_builddir:-.}/tests/feed/test_feed_fetch"
[ -x "$PROG" ] || { echo "test_feed_fetch not built"; exit 99; }
TMP=$(mktemp -d /tmp/mwfetch.XXXXXX)
chmod 755 "$TMP"
pids=
cleanup() {
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
base=$((20000 + $$ % 20000))
P_WEB=$base; P_HANG=$((base + 1)); P_STREAM=$((base + 2))
mkdir -p "$TMP/www" "$TMP/state" "$TMP/logs"
user=; [ "$(id -u)" = 0 ] && user="user root;"
cat > "$TMP/nginx.conf" <<C
$user
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 64; }
http {
	access_log $TMP/logs/access.log;
	client_body_temp_path $TMP/logs/body;
	proxy_temp_path $TMP/logs/proxy;
	fastcgi_temp_path $TMP/logs/fcgi;
	uwsgi_temp_path $TMP/logs/uwsgi;
	scgi_temp_path $TMP/logs/scgi;
	server {
		listen 127.0.0.1:$P_WEB;
		root $TMP/www;
		location = /moved { return 302 file:///etc/passwd; }
	}
}
C
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/logs/error.log" || { echo "SKIP: nginx does not start"; exit 77; }
python3 "${top_srcdir:-.}/tests/feed/servers.py" hang "$P_HANG" & pids="$pids $!"
python3 "${top_srcdir:-.}/tests/feed/servers.py" stream "$P_STREAM" & pids="$pids $!"
# Bounded wait for the three listeners.
i=0
while [ $i -lt 50 ]; do
	ss -ltn 2>/dev/null | grep -q ":$P_STREAM " && ss -ltn | grep -q ":$P_HANG " &&
		ss -ltn | grep -q ":$P_WEB " && break
	sleep 0.1; i=$((i + 1))
done
timeout 60 "$PROG" "$TMP/www" "$TMP/state" "http://127.0.0.1:$P_WEB" \
	"http://127.0.0.1:$P_HANG" "http://127.0.0.1:$P_STREAM"
exit $?
