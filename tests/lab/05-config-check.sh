#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewalld -t: the shipped and the lab configuration are OK; broken files exit
# non-zero and name FILE:LINE for every error. Needs no root and no namespace.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

[ -x "$MINEWALLD" ] || lab_fail "no minewalld at $MINEWALLD (build first)"

# check_t FILE: run minewalld -t -c FILE (bounded), output in $out, status in $rc.
check_t() {
	out=$LAB_DIR/t.out
	timeout 10 "$MINEWALLD" -t -c "$1" >"$out" 2>&1
	rc=$?
	[ "$rc" != 124 ] || lab_fail "minewalld -t -c $1 did not return within 10s"
}

expect_ok() {
	check_t "$1"
	[ "$rc" = 0 ] || lab_fail "minewalld -t -c $1: status $rc, expected 0: $(cat "$out")"
	grep -q 'configuration OK' "$out" || lab_fail "minewalld -t -c $1: no 'configuration OK': $(cat "$out")"
	grep -q "$(basename "$1"):[0-9][0-9]*: " "$out" && lab_fail "minewalld -t -c $1: OK but reports errors: $(cat "$out")"
	return 0
}

# expect_error FILE LINE...: non-zero, no "configuration OK", one FILE:LINE: per line.
expect_error() {
	_f=$1
	shift
	check_t "$_f"
	[ "$rc" != 0 ] || lab_fail "minewalld -t -c $_f: status 0 on a broken file: $(cat "$out")"
	[ "$rc" -lt 128 ] || lab_fail "minewalld -t -c $_f: died with status $rc: $(cat "$out")"
	grep -q 'configuration OK' "$out" && lab_fail "minewalld -t -c $_f: says OK on a broken file"
	for _l in "$@"; do
		grep -q "$(basename "$_f"):$_l: " "$out" ||
			lab_fail "minewalld -t -c $_f: no '$_f:$_l: message' line: $(cat "$out")"
	done
	lab_log "$(basename "$_f") -> status $rc: $(tr '\n' ' ' <"$out")"
}

shipped=$top_srcdir/conf/minewall.conf
[ -f "$shipped" ] || lab_fail "the shipped $shipped is missing"
expect_ok "$shipped"

lab_write_conf "$LAB_DIR/lab.conf"
expect_ok "$LAB_DIR/lab.conf"
lab_write_conf "$LAB_DIR/closed.conf" queue.fail_open=false 'log.level="debug"' log.decisions=true
expect_ok "$LAB_DIR/closed.conf"

# Syntax error on line 3.
cat >"$LAB_DIR/syntax.conf" <<'EOT'
queue = {
  num = 0;
  fail_open = = true;
};
EOT
expect_error "$LAB_DIR/syntax.conf" 3

# Two semantic errors, both reported: queue.num out of 0..65535 (line 2),
# queue.count out of 1..16 (line 3).
cat >"$LAB_DIR/range.conf" <<'EOT'
queue = {
  num = 70000;
  count = 0;
};
EOT
expect_error "$LAB_DIR/range.conf" 2 3

# A value of the wrong type in an otherwise valid lab file.
lab_write_conf "$LAB_DIR/type.conf" 'queue.fail_open="perhaps"'
line=$(grep -n 'fail_open' "$LAB_DIR/type.conf" | cut -d: -f1)
expect_error "$LAB_DIR/type.conf" "$line"

# notify { }: a webhook key others may read is named with its line and mode;
# at 0600 the same file passes.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB_DIR/hook.key"
chmod 644 "$LAB_DIR/hook.key"
lab_write_conf "$LAB_DIR/notify.conf" \
	"notify.receivers=( { name = \"chat\"; type = \"webhook\"; url = \"https://chat.example.net/h\"; secret_file = \"$LAB_DIR/hook.key\"; } )"
line=$(grep -n 'receivers' "$LAB_DIR/notify.conf" | cut -d: -f1)
expect_error "$LAB_DIR/notify.conf" "$line"
grep -q "secret_file': $LAB_DIR/hook.key has mode 0644" "$out" || lab_fail "no mode in: $(cat "$out")"
chmod 600 "$LAB_DIR/hook.key"
expect_ok "$LAB_DIR/notify.conf"
# A list file that does not exist: the error names the line of the
# configuration that points to it, and the setting.
lab_write_conf "$LAB_DIR/list.conf" "detect.blocklists.endpoints=[ \"$LAB_DIR/no-such-list.txt\" ]"
line=$(grep -n 'no-such-list' "$LAB_DIR/list.conf" | cut -d: -f1)
expect_error "$LAB_DIR/list.conf" "$line"
grep -q "list.conf:$line: 'detect.blocklists.endpoints' names $LAB_DIR/no-such-list.txt: No such file or directory" \
	"$out" || lab_fail "missing list file: $(cat "$out")"

# A missing file is an error too, not a crash.
check_t "$LAB_DIR/does-not-exist.conf"
[ "$rc" != 0 ] && [ "$rc" -lt 128 ] || lab_fail "missing file: status $rc"

lab_log "config check OK"
