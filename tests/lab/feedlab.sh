# SPDX-License-Identifier: GPL-2.0-or-later
# Feed subscribers beside the lab, sourced after tests/lab/lab.sh (82-feed-realtime,
# tests/bench/feeds-fleet.sh). The lab's gateway publishes into $FEEDLAB_WWW/a;
# nginx in namespace W serves $FEEDLAB_WWW on 10.210.0.1:8080 behind a bridge;
# each subscriber is a minewalld in its own namespace on that bridge
# (10.210.1.N), with its own ruleset, control socket, state and events.
#
#   feedlab_up                 keys, W with its bridge and nginx
#   feedlab_sub N [override]   subscriber N (1..250) at the shipped feed
#                              settings, subscribed to the gateway's feed "a"
#   feedlab_ctl N ARGS         minewallctl of subscriber N
#   feedlab_feed N NAME FIELD  a field of subscriber N's `feeds list --json`

: "${MINEWALL_FEED:=$top_builddir/minewall-feed}"
FEEDLAB_W=$LAB_PREFIX$$-$LAB_TEST-w
FEEDLAB_WWW=$LAB_DIR/www
FEEDLAB_SUBS=
FEEDLAB_PIDS=
: "${FEEDLAB_NGINX_LOG:=off}"

feedlab_ns() { echo "$LAB_PREFIX$$-$LAB_TEST-s$1"; }

feedlab_down() {
	_fd_rc=$?
	for _fd_p in $FEEDLAB_PIDS; do
		kill -TERM "$_fd_p" 2>/dev/null
	done
	for _fd_ns in $FEEDLAB_SUBS "$FEEDLAB_W"; do
		_fd_n=30
		while [ -n "$(ip netns pids "$_fd_ns" 2>/dev/null)" ] && [ $_fd_n -gt 0 ]; do
			sleep 0.1
			_fd_n=$((_fd_n - 1))
		done
		for _fd_p in $(ip netns pids "$_fd_ns" 2>/dev/null); do
			kill -KILL "$_fd_p" 2>/dev/null
		done
		ip netns del "$_fd_ns" 2>/dev/null
	done
	if [ "$_fd_rc" != 0 ] && [ -s "$LAB_DIR/s1.log" ]; then
		echo "---- last lines of subscriber 1's log" >&2
		tail -n 30 "$LAB_DIR/s1.log" >&2
	fi
	(exit "$_fd_rc")
	lab_down
}

feedlab_up() {
	command -v nginx >/dev/null 2>&1 || lab_skip "nginx not found"
	[ -x "$MINEWALL_FEED" ] || lab_fail "no minewall-feed at $MINEWALL_FEED (build first)"
	trap feedlab_down EXIT
	mkdir -p "$FEEDLAB_WWW/a" "$LAB_DIR/ngx"
	"$MINEWALL_FEED" keygen -W -p "$LAB_DIR/a.pub" -s "$LAB_DIR/a.key" >/dev/null || lab_fail "keygen"
	FEEDLAB_PUB=$(sed -n 2p "$LAB_DIR/a.pub")
	[ -n "$FEEDLAB_PUB" ] || lab_fail "no public key line in $LAB_DIR/a.pub"
	ip netns add "$FEEDLAB_W" || lab_fail "ip netns add $FEEDLAB_W"
	ip -n "$FEEDLAB_W" link set lo up
	ip -n "$FEEDLAB_W" link add br0 type bridge || lab_fail "bridge in W"
	ip -n "$FEEDLAB_W" addr add 10.210.0.1/16 dev br0
	ip -n "$FEEDLAB_W" link set br0 up
	_fu_log=off
	[ "$FEEDLAB_NGINX_LOG" = off ] || _fu_log="$FEEDLAB_NGINX_LOG feedlab"
	# Debian's nginx.conf as to keep-alive: 65 s, so a subscriber polling
	# every few seconds keeps its connection.
	cat >"$LAB_DIR/nginx.conf" <<EOF
daemon off;
user root root;
worker_processes 1;
pid $LAB_DIR/ngx/nginx.pid;
error_log $LAB_DIR/ngx/error.log;
events { worker_connections 1024; }
http {
	log_format feedlab '\$msec \$status \$request_length \$bytes_sent \$request_uri \$connection \$connection_requests';
	access_log $_fu_log;
	keepalive_timeout 65;
	client_body_temp_path $LAB_DIR/ngx/body;
	proxy_temp_path $LAB_DIR/ngx/proxy;
	default_type application/octet-stream;
	server {
		listen 10.210.0.1:8080;
		root $FEEDLAB_WWW;
	}
}
EOF
	ip netns exec "$FEEDLAB_W" nginx -p "$LAB_DIR/ngx" -e "$LAB_DIR/ngx/error.log" \
		-c "$LAB_DIR/nginx.conf" >"$LAB_DIR/ngx/out" 2>&1 &
	FEEDLAB_NGINX=$!
	FEEDLAB_PIDS="$FEEDLAB_PIDS $FEEDLAB_NGINX"
	echo ok >"$FEEDLAB_WWW/probe"
	lab_wait 5 ip netns exec "$FEEDLAB_W" "$PYTHON" -c 'import urllib.request, sys
sys.exit(urllib.request.urlopen("http://10.210.0.1:8080/probe", timeout=1).read() != b"ok\n")' ||
		lab_fail "nginx does not serve: $(cat "$LAB_DIR/ngx/out" "$LAB_DIR/ngx/error.log" 2>/dev/null)"
}

# The publisher's part of a gateway config: append to FILE.
feedlab_pub_conf() {
	cat >>"$1" <<EOF
feed = {
	state_dir = "$LAB_DIR/a-feeds";
	publish = {
		dir = "$FEEDLAB_WWW/a";
		secret_key = "$LAB_DIR/a.key";
		provider = "lab-a";
	};
};
EOF
}

# feedlab_sub N [lab_write_conf overrides...]: start subscriber N; returns once
# its ruleset and control socket are there.
feedlab_sub() {
	_fs_i=$1
	shift
	_fs_ns=$(feedlab_ns "$_fs_i")
	ip netns add "$_fs_ns" || lab_fail "ip netns add $_fs_ns"
	FEEDLAB_SUBS="$FEEDLAB_SUBS $_fs_ns"
	ip -n "$_fs_ns" link set lo up
	ip -n "$_fs_ns" link add name eth0 type veth peer name "v$_fs_i" netns "$FEEDLAB_W" ||
		lab_fail "veth for subscriber $_fs_i"
	ip -n "$FEEDLAB_W" link set "v$_fs_i" master br0 up
	ip -n "$_fs_ns" addr add "10.210.1.$_fs_i/16" dev eth0
	ip -n "$_fs_ns" link set eth0 up
	_fs_c=$LAB_DIR/s$_fs_i.conf
	# A subscriber has no route out: it protects its own traffic (output hook).
	lab_write_conf "$_fs_c" "control.socket=\"$LAB_DIR/s$_fs_i.sock\"" \
		"log.events=\"$LAB_DIR/s$_fs_i-eve.json\"" "enforce.state_file=\"$LAB_DIR/s$_fs_i-state\"" \
		'protect.hooks=[ "output" ]' "$@"
	cat >>"$_fs_c" <<EOF
feed = {
	state_dir = "$LAB_DIR/s$_fs_i-feeds";
};
feeds = (
	{ name = "a"; url = "http://10.210.0.1:8080/a/feed"; pubkeys = [ "$FEEDLAB_PUB" ];
	  provider = "lab-a"; }
);
EOF
	ip netns exec "$_fs_ns" "$MINEWALLD" -f -c "$_fs_c" >>"$LAB_DIR/s$_fs_i.log" 2>&1 &
	FEEDLAB_PIDS="$FEEDLAB_PIDS $!"
	lab_wait 10 test -S "$LAB_DIR/s$_fs_i.sock" ||
		lab_fail "subscriber $_fs_i did not start: $(tail -n 20 "$LAB_DIR/s$_fs_i.log")"
}

feedlab_ctl() {
	_fc_i=$1
	shift
	ip netns exec "$(feedlab_ns "$_fc_i")" "$MINEWALLCTL" -s "$LAB_DIR/s$_fc_i.sock" "$@"
}

feedlab_feed() {
	feedlab_ctl "$1" --json feeds list | "$PYTHON" -c 'import json, sys
for f in json.load(sys.stdin):
    if f["name"] == sys.argv[1]:
        v = f[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$2" "$3"
}

# feedlab_has N SET ELEMENT: the element is in subscriber N's kernel set.
feedlab_has() {
	ip netns exec "$(feedlab_ns "$1")" nft get element inet minewall "$2" "{ $3 }" >/dev/null 2>&1
}
