#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one libFuzzer target for a bounded time (make fuzz), or summarises runs.
#   run.sh NAME SECONDS SEED_ROOT OUT_ROOT [libFuzzer flags...]
#   run.sh --summary OUT_ROOT NAME...
# Crash inputs land in OUT_ROOT/NAME/{crash,leak,timeout,oom}-*; the summary
# prints executions per target and exits 1 if any such file exists.
set -u

if [ "${1:-}" = --summary ]; then
	out=$2; shift 2
	bad=0
	printf '%-14s %12s %8s %8s %s\n' target executions seconds corpus crashes | tee "$out/summary"
	for t in "$@"; do
		log=$out/$t/log
		[ -f "$log" ] || continue
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
		secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
		n=$(ls "$out/$t/corpus" | wc -l)
		c=$(ls "$out/$t" | grep -c -E '^(crash|leak|timeout|oom)-')
		bad=$((bad + c))
		printf '%-14s %12s %8s %8s %s\n' "$t" "${runs:-?}" "${secs:-?}" "$n" "$c" | tee -a "$out/summary"
	done
	if [ "$bad" -ne 0 ]; then
		echo "fuzz: $bad crash file(s) under $out/" >&2
		exit 1
	fi
	exit 0
fi

name=$1 secs=$2 seeds=$3 out=$4
shift 4
mkdir -p "$out/$name/corpus"
echo "  FUZZ     $name for $secs s"
"tests/fuzz/fuzz_$name" "$@" -max_total_time="$secs" -artifact_prefix="$out/$name/" \
	"$out/$name/corpus" "$seeds/$name" > "$out/$name/log" 2>&1
rc=$?
echo "$rc" > "$out/$name/rc"
[ "$rc" -eq 0 ] || echo "  CRASH    $name (exit $rc, see $out/$name/log)"
exit 0
