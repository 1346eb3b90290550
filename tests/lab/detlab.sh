# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the live detection tests (50-57), sourced after tests/lab/lab.sh:
# payload files, the pool's per-connection records, and the event file.

DET_PAYLOADS=$top_srcdir/tests/lab/payloads
# Extra lab_write_conf overrides from the environment, to try a variant by
# hand (e.g. DET_CONF_EXTRA='protect.hooks=["forward"]'); empty in make check.
: "${DET_CONF_EXTRA:=}"

# det_events [key=value ...]: number of mining events in the event file whose
# fields all equal the given values (numbers compared as text).
det_events() {
	"$PYTHON" - "$LAB_DIR/eve.json" "$@" <<'EOF'
import json, sys
path, want = sys.argv[1], [f.split("=", 1) for f in sys.argv[2:]]
n = 0
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    try:
        ev = json.loads(line)
    except ValueError:
        print("bad event line: %r" % line, file=sys.stderr)
        sys.exit(2)
    if ev.get("event_type") == "mining" and all(str(ev.get(k)) == v for k, v in want):
        n += 1
print(n)
EOF
}

# det_wait_events N [key=value ...]: wait up to 3 s for at least N such events.
det_wait_events() {
	_dwe_n=$1
	shift
	lab_wait 3 det_events_ge "$_dwe_n" "$@"
}

det_events_ge() {
	_deg_n=$1
	shift
	[ "$(det_events "$@")" -ge "$_deg_n" ]
}

# Number of connections the pool has recorded so far (a mark for det_conn_file).
det_conn_count() {
	if [ -f "$LAB_POOL_LOG/index.tsv" ]; then
		wc -l <"$LAB_POOL_LOG/index.tsv" | tr -d ' '
	else
		echo 0
	fi
}

# det_conn_file MARK: the record of the one connection the pool accepted after
# MARK (waits up to 2 s for it); fails the test unless exactly one came.
det_conn_file() {
	DET_MARK=$1
	lab_wait 2 eval '[ "$(det_conn_count)" -gt "$DET_MARK" ]' ||
		lab_fail "the pool recorded no connection (the TCP handshake did not pass)"
	_dcf_n=$(det_conn_count)
	[ "$_dcf_n" -eq $(($1 + 1)) ] || lab_fail "expected one new pool connection, got $((_dcf_n - $1))"
	echo "$LAB_POOL_LOG/$(sed -n "${_dcf_n}p" "$LAB_POOL_LOG/index.tsv" | cut -f6)"
}

det_size() {
	wc -c <"$1" | tr -d ' '
}

# det_send_fail OUTVAR [send options]: run one exchange that must fail; the
# failure reason (reset, timeout, refused, ...) goes to OUTVAR, the elapsed
# milliseconds to DET_MS, the client's message to DET_ERR.
det_send_fail() {
	_dsf_var=$1
	shift
	_dsf_t0=$(date +%s%N)
	if lab_send "$@" 2>"$LAB_DIR/send.err"; then
		lab_fail "exchange succeeded but should have been stopped: $*"
	fi
	DET_MS=$((($(date +%s%N) - _dsf_t0) / 1000000))
	DET_ERR=$(cat "$LAB_DIR/send.err")
	_dsf_reason=$(sed -n 's/^mwtraffic: \([a-z]*\): .*/\1/p' "$LAB_DIR/send.err" | head -n1)
	[ -n "$_dsf_reason" ] || lab_fail "client failed without a reason: $DET_ERR"
	eval "$_dsf_var=\$_dsf_reason"
}

# det_prefix_of PART WHOLE: PART is a strict prefix of WHOLE (possibly empty).
det_prefix_of() {
	"$PYTHON" -c 'import sys
p = open(sys.argv[1], "rb").read(); w = open(sys.argv[2], "rb").read()
sys.exit(0 if len(p) < len(w) and w.startswith(p) else 1)' "$1" "$2"
}

# det_has_byte FILE HEX: FILE contains the byte.
det_has_byte() {
	"$PYTHON" -c 'import sys
sys.exit(0 if bytes([int(sys.argv[2], 16)]) in open(sys.argv[1], "rb").read() else 1)' "$1" "$2"
}
