# SPDX-License-Identifier: GPL-2.0-or-later
# Netns lab for minewall tests: client -> gateway (minewalld) -> pool. Sourced by tests/lab/*.sh.
#
#   client  eth0 198.51.100.2/24 2001:db8:1::2/64   default via the gateway
#   gateway cl0  198.51.100.1/24 2001:db8:1::1/64   forwards v4 and v6
#           po0  203.0.113.1/24  2001:db8:2::1/64
#   pool    eth0 203.0.113.2/24  2001:db8:2::2/64   default via the gateway
#
# Namespace names carry the shell's pid and the test name, so tests run in
# parallel under make -j. Nothing is created in the host's namespace: each veth
# pair is created inside the client/pool namespace with its peer moved straight
# into the gateway. POSIX sh: make check runs the tests with $(SHELL).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MINEWALLD:=$top_builddir/minewalld}"
: "${MINEWALLCTL:=$top_builddir/minewallctl}"
# Debian's python3 first: a version-manager shim costs a second per call.
if [ -z "$PYTHON" ]; then
	PYTHON=python3
	[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
: "${LAB_DAEMON_WAIT:=5}"
export top_srcdir top_builddir MINEWALLD MINEWALLCTL

LAB_TEST=$(basename "$0" .sh)
LAB_PREFIX=mwl
LAB_CLIENT=$LAB_PREFIX$$-$LAB_TEST-c
LAB_GW=$LAB_PREFIX$$-$LAB_TEST-gw
LAB_POOL=$LAB_PREFIX$$-$LAB_TEST-p
LAB_TRAFFIC=$top_srcdir/tests/lab/mwtraffic.py

LAB_C4=198.51.100.2
LAB_GWC4=198.51.100.1
LAB_C6=2001:db8:1::2
LAB_GWC6=2001:db8:1::1
LAB_P4=203.0.113.2
LAB_GWP4=203.0.113.1
LAB_P6=2001:db8:2::2
LAB_GWP6=2001:db8:2::1

LAB_DIR=
LAB_UP=
LAB_DOWN_DONE=
LAB_PIDS=
LAB_DAEMON_PID=
LAB_DAEMON_RC=
LAB_DAEMON_LOG=

lab_log() {
	echo "# $LAB_TEST: $*"
}

lab_skip() {
	echo "SKIP: $LAB_TEST: $*" >&2
	exit 77
}

lab_fail() {
	echo "FAIL: $LAB_TEST: $*" >&2
	exit 1
}

# Seconds since the epoch with milliseconds, to compare with mwtraffic load logs.
lab_now() {
	date +%s.%N | cut -c1-14
}

# Poll a command every 0.1 s until it succeeds, for at most $1 seconds.
lab_wait() {
	_lw_n=$(($1 * 10))
	shift
	while [ "$_lw_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_lw_n=$((_lw_n - 1))
	done
	"$@" >/dev/null 2>&1
}

# Temp dir and the cleanup trap; lab_up calls this, tests without namespaces may too.
lab_init() {
	[ -n "$LAB_DIR" ] && return 0
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mwlab.$LAB_TEST.XXXXXX") || lab_fail "mktemp failed"
	LAB_DAEMON_LOG=$LAB_DIR/minewalld.log
	LAB_CTL_SOCKET=$LAB_DIR/minewalld.sock
	trap lab_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Skip (77) unless this host can run the lab: root, ip netns, veth, nft, and
# NFQUEUE through nft_compat (xt_NFQUEUE) with nfnetlink_queue in a fresh netns.
lab_require() {
	[ "$(id -u)" = 0 ] || lab_skip "needs root"
	for _lr_c in ip nft iptables ip6tables ping "$PYTHON" sysctl; do
		command -v "$_lr_c" >/dev/null 2>&1 || lab_skip "$_lr_c not found"
	done
	iptables -V 2>/dev/null | grep -q nf_tables || lab_skip "iptables is not iptables-nft"
	_lr_ns=${LAB_PREFIX}probe$$-$LAB_TEST
	ip netns add "$_lr_ns" 2>/dev/null || lab_skip "cannot create a network namespace"
	_lr_why=
	if ! ip -n "$_lr_ns" link add name vp0 type veth peer name vp1 2>/dev/null; then
		_lr_why="veth unavailable"
	elif ! ip netns exec "$_lr_ns" nft add table inet mwprobe 2>/dev/null; then
		_lr_why="nftables unavailable"
	elif ! ip netns exec "$_lr_ns" iptables -A OUTPUT -j NFQUEUE --queue-num 0 --queue-bypass 2>/dev/null; then
		_lr_why="xt_NFQUEUE/nft_compat unavailable"
	elif ! ip netns exec "$_lr_ns" ip6tables -A OUTPUT -j NFQUEUE --queue-num 0 --queue-bypass 2>/dev/null; then
		_lr_why="ip6 xt_NFQUEUE unavailable"
	elif ! ip netns exec "$_lr_ns" test -e /proc/net/netfilter/nfnetlink_queue; then
		_lr_why="nfnetlink_queue unavailable"
	fi
	ip netns del "$_lr_ns"
	[ -z "$_lr_why" ] || lab_skip "$_lr_why"
	return 0
}

lab_client() { ip netns exec "$LAB_CLIENT" "$@"; }
lab_gw() { ip netns exec "$LAB_GW" "$@"; }
lab_pool() { ip netns exec "$LAB_POOL" "$@"; }

# Turn off checksum and segmentation offloads so every packet the queue sees
# is complete and carries a real checksum; best effort without ethtool.
lab_offload_off() {
	command -v ethtool >/dev/null 2>&1 || return 0
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

lab_up() {
	lab_init
	LAB_UP=1
	for _lu_ns in "$LAB_CLIENT" "$LAB_GW" "$LAB_POOL"; do
		ip netns add "$_lu_ns" || lab_fail "ip netns add $_lu_ns"
		ip -n "$_lu_ns" link set lo up
		# DAD off before any interface exists, so v6 addresses work at once.
		ip netns exec "$_lu_ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || lab_fail "sysctl in $_lu_ns"
	done
	ip -n "$LAB_CLIENT" link add name eth0 type veth peer name cl0 netns "$LAB_GW" ||
		lab_fail "veth client<->gateway"
	ip -n "$LAB_POOL" link add name eth0 type veth peer name po0 netns "$LAB_GW" ||
		lab_fail "veth gateway<->pool"
	lab_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		lab_fail "enable forwarding in the gateway"

	ip -n "$LAB_CLIENT" addr add $LAB_C4/24 dev eth0
	ip -n "$LAB_CLIENT" addr add $LAB_C6/64 dev eth0 nodad
	ip -n "$LAB_GW" addr add $LAB_GWC4/24 dev cl0
	ip -n "$LAB_GW" addr add $LAB_GWC6/64 dev cl0 nodad
	ip -n "$LAB_GW" addr add $LAB_GWP4/24 dev po0
	ip -n "$LAB_GW" addr add $LAB_GWP6/64 dev po0 nodad
	ip -n "$LAB_POOL" addr add $LAB_P4/24 dev eth0
	ip -n "$LAB_POOL" addr add $LAB_P6/64 dev eth0 nodad
	lab_offload_off "$LAB_CLIENT" eth0
	lab_offload_off "$LAB_GW" cl0
	lab_offload_off "$LAB_GW" po0
	lab_offload_off "$LAB_POOL" eth0
	ip -n "$LAB_CLIENT" link set eth0 up
	ip -n "$LAB_GW" link set cl0 up
	ip -n "$LAB_GW" link set po0 up
	ip -n "$LAB_POOL" link set eth0 up
	# Only routes into the gateway: no way out of the lab.
	ip -n "$LAB_CLIENT" route add default via $LAB_GWC4 || lab_fail "client v4 route"
	ip -n "$LAB_CLIENT" -6 route add default via $LAB_GWC6 || lab_fail "client v6 route"
	ip -n "$LAB_POOL" route add default via $LAB_GWP4 || lab_fail "pool v4 route"
	ip -n "$LAB_POOL" -6 route add default via $LAB_GWP6 || lab_fail "pool v6 route"
	# The gateway's default routes lead to the pool side: that is its outside
	# (protect.interfaces empty takes the default routes' interfaces).
	ip -n "$LAB_GW" route add default via $LAB_P4 || lab_fail "gateway v4 default route"
	ip -n "$LAB_GW" -6 route add default via $LAB_P6 || lab_fail "gateway v6 default route"

	lab_wait 5 lab_client ping -c1 -W1 $LAB_P4 || lab_fail "lab: client cannot ping the pool (v4)"
	lab_wait 5 lab_client ping -6 -c1 -W1 $LAB_P6 || lab_fail "lab: client cannot ping the pool (v6)"
	lab_log "lab up: $LAB_CLIENT $LAB_GW $LAB_POOL, files in $LAB_DIR"
}

# Is pid $1 alive (not gone, not a zombie waiting for us)?
lab_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_la_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_la_state" ] && [ "$_la_state" != Z ]
}

lab_down() {
	_ld_rc=$?
	[ -n "$LAB_DOWN_DONE" ] && return 0
	LAB_DOWN_DONE=1
	trap - EXIT INT TERM
	if [ "$_ld_rc" != 0 ] && [ "$_ld_rc" != 77 ]; then
		lab_dump
	fi
	if [ -n "$LAB_DAEMON_PID" ] && lab_alive "$LAB_DAEMON_PID"; then
		kill -TERM "$LAB_DAEMON_PID" 2>/dev/null
		lab_wait 3 eval '! lab_alive $LAB_DAEMON_PID' || kill -KILL "$LAB_DAEMON_PID" 2>/dev/null
	fi
	for _ld_p in $LAB_PIDS; do
		kill -TERM "$_ld_p" 2>/dev/null
	done
	if [ -n "$LAB_UP" ]; then
		# Anything else still running in our own namespaces was started by this test.
		for _ld_ns in "$LAB_CLIENT" "$LAB_GW" "$LAB_POOL"; do
			for _ld_p in $(ip netns pids "$_ld_ns" 2>/dev/null); do
				kill -KILL "$_ld_p" 2>/dev/null
			done
			ip netns del "$_ld_ns" 2>/dev/null
		done
	fi
	for _ld_p in $LAB_PIDS; do
		lab_alive "$_ld_p" && kill -KILL "$_ld_p" 2>/dev/null
	done
	if [ -n "$LAB_DIR" ] && [ -z "$LAB_KEEP" ]; then
		rm -rf "$LAB_DIR"
	elif [ -n "$LAB_DIR" ]; then
		echo "# $LAB_TEST: kept $LAB_DIR" >&2
	fi
	exit "$_ld_rc"
}

# On failure, show what the daemon said so make check's log explains it.
lab_dump() {
	[ -n "$LAB_DIR" ] || return 0
	for _ldu_f in "$LAB_DAEMON_LOG" "$LAB_DIR/eve.json"; do
		[ -s "$_ldu_f" ] || continue
		echo "---- last lines of $_ldu_f" >&2
		tail -n 40 "$_ldu_f" >&2
	done
	if [ -n "$LAB_UP" ]; then
		echo "---- gateway ruleset" >&2
		lab_gw nft list ruleset 2>&1 | head -n 80 >&2
	fi
}

# Start a background command in namespace $1 and remember its pid.
lab_spawn() {
	_ls_ns=$1
	shift
	ip netns exec "$_ls_ns" "$@" &
	LAB_PIDS="$LAB_PIDS $!"
	LAB_SPAWNED=$!
}

# lab_serve [mwtraffic serve options]: server in the pool, all bytes to $LAB_DIR/pool.
lab_serve() {
	LAB_POOL_LOG=$LAB_DIR/pool
	rm -f "$LAB_DIR/serve.ready"
	lab_spawn "$LAB_POOL" "$PYTHON" "$LAB_TRAFFIC" serve --logdir "$LAB_POOL_LOG" \
		--ready "$LAB_DIR/serve.ready" --lifetime 300 "$@"
	LAB_SERVE_PID=$LAB_SPAWNED
	lab_wait 5 test -s "$LAB_DIR/serve.ready" || lab_fail "traffic server did not start"
}

# lab_send [mwtraffic send options]: one exchange from the client.
lab_send() {
	lab_client "$PYTHON" "$LAB_TRAFFIC" send "$@"
}

# lab_received [mwtraffic received options]: what the pool recorded.
lab_received() {
	"$PYTHON" "$LAB_TRAFFIC" received --logdir "$LAB_POOL_LOG" "$@"
}

# Names of the families that have a table called minewall in the gateway.
lab_tables() {
	lab_gw nft list tables 2>/dev/null | awk '$1 == "table" && $3 == "minewall" { print $2 }'
}

# Remove minewall's tables from the gateway (after kill -9 leaves them behind).
lab_flush_tables() {
	for _lf_fam in $(lab_tables); do
		lab_gw nft delete table "$_lf_fam" minewall || lab_fail "cannot delete table $_lf_fam minewall"
	done
}

# lab_start_daemon CONF [args]: minewalld -f in the gateway; returns once its
# tables are installed, fails if it exits or takes longer than LAB_DAEMON_WAIT s.
lab_start_daemon() {
	[ -x "$MINEWALLD" ] || lab_fail "no minewalld at $MINEWALLD (build first)"
	_lsd_conf=$1
	shift
	# Stale tables would make the wait below meaningless.
	[ -z "$(lab_tables)" ] || lab_fail "minewall tables present before minewalld started: $(lab_tables)"
	echo "# $(date '+%T') minewalld -f -c $_lsd_conf $*" >>"$LAB_DAEMON_LOG"
	ip netns exec "$LAB_GW" "$MINEWALLD" -f -c "$_lsd_conf" "$@" >>"$LAB_DAEMON_LOG" 2>&1 &
	LAB_DAEMON_PID=$!
	LAB_DAEMON_RC=
	_lsd_n=$((LAB_DAEMON_WAIT * 10))
	while [ -z "$(lab_tables)" ]; do
		if ! lab_alive "$LAB_DAEMON_PID"; then
			wait "$LAB_DAEMON_PID"
			LAB_DAEMON_RC=$?
			LAB_DAEMON_PID=
			lab_fail "minewalld exited with status $LAB_DAEMON_RC before installing its tables"
		fi
		[ "$_lsd_n" -gt 0 ] || lab_fail "minewalld installed no minewall table within ${LAB_DAEMON_WAIT}s"
		sleep 0.1
		_lsd_n=$((_lsd_n - 1))
	done
	lab_log "minewalld running (pid $LAB_DAEMON_PID), tables: $(lab_tables | tr '\n' ' ')"
}

# lab_stop_daemon [signal]: signal (default TERM) and reap it within 5 s;
# its exit status is left in LAB_DAEMON_RC (128+n when killed by signal n).
lab_stop_daemon() {
	_lsd_sig=${1:-TERM}
	[ -n "$LAB_DAEMON_PID" ] || lab_fail "lab_stop_daemon: no daemon running"
	kill -"$_lsd_sig" "$LAB_DAEMON_PID" 2>/dev/null || lab_fail "cannot send SIG$_lsd_sig to minewalld"
	if ! lab_wait 5 eval '! lab_alive $LAB_DAEMON_PID'; then
		kill -KILL "$LAB_DAEMON_PID" 2>/dev/null
		wait "$LAB_DAEMON_PID"
		LAB_DAEMON_PID=
		lab_fail "minewalld did not exit within 5s of SIG$_lsd_sig"
	fi
	wait "$LAB_DAEMON_PID"
	LAB_DAEMON_RC=$?
	LAB_DAEMON_PID=
	lab_log "minewalld exited with status $LAB_DAEMON_RC after SIG$_lsd_sig"
}

lab_daemon_alive() {
	[ -n "$LAB_DAEMON_PID" ] && lab_alive "$LAB_DAEMON_PID"
}

# lab_ctl ARGS...: minewallctl in the gateway, talking to this test's daemon.
lab_ctl() {
	[ -x "$MINEWALLCTL" ] || lab_fail "no minewallctl at $MINEWALLCTL (build first)"
	ip netns exec "$LAB_GW" "$MINEWALLCTL" -s "$LAB_CTL_SOCKET" "$@"
}

# Blocklist files of one kind shipped in the repo, as a libconfig list body.
lab_blocklists() {
	_lb_list=
	for _lb_f in "$top_srcdir"/blocklists/*"$1"*.txt; do
		[ -f "$_lb_f" ] || continue
		_lb_list="$_lb_list${_lb_list:+, }\"$_lb_f\""
	done
	echo "$_lb_list"
}

# lab_write_conf FILE [group.key=value ...]: a lab config with events and the
# control socket ($LAB_CTL_SOCKET) in $LAB_DIR.
# An override replaces the key in its group or adds it there; values are libconfig
# text (strings quoted: log.level='"debug"'). An unknown group fails the test.
lab_write_conf() {
	lab_init
	_lwc_file=$1
	shift
	_lwc_tmp=$LAB_DIR/conf.template
	cat >"$_lwc_tmp" <<EOF
# minewall lab configuration, written by tests/lab/lab.sh for $LAB_TEST.
queue = {
num = 0;
fail_open = true;
};
protect = {
hooks = [ "output", "forward" ];
interfaces = [ ];
};
flows = {
};
detect = {
actions = {
stratum = "reject";
};
blocklists = {
domains = [ $(lab_blocklists domains) ];
endpoints = [ $(lab_blocklists endpoints) ];
ports = [ $(lab_blocklists ports) ];
};
};
log = {
target = "stderr";
level = "info";
events = "$LAB_DIR/eve.json";
decisions = false;
};
control = {
socket = "$LAB_CTL_SOCKET";
};
metrics = {
};
enforce = {
state_file = "$LAB_DIR/state";
};
notify = {
};
# The prober talks to the lab's servers on its own: only the tests about it
# turn it on (probe.enabled=true), so the others see what they always saw.
probe = {
enabled = false;
};
EOF
	LAB_OVERRIDES=$(printf '%s\n' "$@") awk '
	BEGIN {
		n = split(ENVIRON["LAB_OVERRIDES"], lines, "\n")
		for (i = 1; i <= n; i++) {
			if (lines[i] == "") continue
			eq = index(lines[i], "=")
			if (eq == 0) { print "bad override: " lines[i] > "/dev/stderr"; bad = 1; continue }
			key = substr(lines[i], 1, eq - 1); gsub(/[ \t]/, "", key)
			ov[key] = substr(lines[i], eq + 1)
			order[++nov] = key
		}
		depth = 0
	}
	function indent(d,  s) { s = ""; while (d-- > 0) s = s "    "; return s }
	/^[a-z_]+ = \{$/ { path[++depth] = $1; print indent(depth - 1) $0; next }
	/^\};$/ {
		cur = path[1]; for (i = 2; i <= depth; i++) cur = cur "." path[i]
		for (i = 1; i <= nov; i++) {
			k = order[i]
			if (k in used) continue
			dot = 0; for (j = length(k); j > 0; j--) if (substr(k, j, 1) == ".") { dot = j; break }
			if (dot && substr(k, 1, dot - 1) == cur) {
				print indent(depth) substr(k, dot + 1) " = " ov[k] ";"
				used[k] = 1
			}
		}
		depth--; print indent(depth) $0; next
	}
	/^[a-z_]+ = .*;$/ {
		cur = path[1]; for (i = 2; i <= depth; i++) cur = cur "." path[i]
		k = cur "." $1
		if (k in ov) { print indent(depth) $1 " = " ov[k] ";"; used[k] = 1 }
		else print indent(depth) $0
		next
	}
	{ print }
	END {
		for (i = 1; i <= nov; i++)
			if (!(order[i] in used)) { print "unknown group in override: " order[i] > "/dev/stderr"; bad = 1 }
		exit bad
	}' "$_lwc_tmp" >"$_lwc_file" || lab_fail "lab_write_conf: bad overrides: $*"
	rm -f "$_lwc_tmp"
}

# Every test gets its temp dir and cleanup trap as soon as it sources the lab.
lab_init
