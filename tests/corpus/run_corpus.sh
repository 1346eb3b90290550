#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Offline detection on the real captures, scored against labels.tsv.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MINEWALLD:=$top_srcdir/minewalld}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }
out=$(mktemp -d /tmp/mw-corpus.XXXXXX)
trap 'rm -rf "$out"' EXIT
conf="$out/minewall.conf"
sed "s|\"\\.\\./blocklists/|\"$top_srcdir/blocklists/|g" "$top_srcdir/conf/minewall.conf" > "$conf"
for f in "$top_srcdir"/tests/corpus/*.pcap "$top_srcdir"/tests/corpus/*.pcapng; do
	name=$(basename "$f")
	if ! "$MINEWALLD" -c "$conf" -r "$f" > "$out/$name.events" 2> "$out/$name.err"; then
		echo "minewalld -r $name failed:"; cat "$out/$name.err"; exit 1
	fi
done
python3 "$top_srcdir/tests/corpus/check_corpus.py" "$top_srcdir/tests/corpus/labels.tsv" "$out"
