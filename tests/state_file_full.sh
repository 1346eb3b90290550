#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# state_write on a full disk: the write fails, the previous file stays whole,
# no temporary file is left. A 64 KiB tmpfs in a private mount namespace.
tool=${top_builddir:-.}/tests/state_file_tool
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
unshare -m true 2>/dev/null || { echo "SKIP: unshare -m not permitted"; exit 77; }

exec unshare -m sh -e -c '
tool=$1
d=$(mktemp -d /tmp/mw-state-full.XXXXXX)
trap "umount $d 2>/dev/null; rmdir $d" EXIT
mount --make-rprivate / 2>/dev/null || true
mount -t tmpfs -o size=64k mwstate "$d" || { echo "SKIP: no tmpfs"; exit 77; }
$tool write "$d/state" 20
$tool read "$d/state" 20
cp "$d/state" "$d/state.before"
# About 50 bytes an item: 4000 items need 200 KiB.
if $tool write "$d/state" 4000 > "$d/out"; then
	echo "FAIL: a 200 KiB state fit into a 64 KiB tmpfs"; exit 1
fi
cat "$d/out"
grep -q "No space left on device" "$d/out" || { echo "FAIL: expected ENOSPC"; exit 1; }
grep -q "errno=28" "$d/out" || { echo "FAIL: errno not ENOSPC"; exit 1; }
cmp "$d/state" "$d/state.before" || { echo "FAIL: the old file changed"; exit 1; }
$tool read "$d/state" 20
if ls "$d" | grep -q "\.tmp\."; then echo "FAIL: temporary file left"; ls -l "$d"; exit 1; fi
rm -f "$d/state.before" "$d/out"
# With room again the write goes through.
$tool write "$d/state" 200
$tool read "$d/state" 200
echo "PASS: full disk leaves the old state intact"
' sh "$tool"
