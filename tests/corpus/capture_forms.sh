#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewalld -r reads classic pcap itself: the same capture written in the other
# byte order, with nanosecond timestamps or with a smaller snapshot length in
# the file header must give the same events as through libpcap, and damaged
# files must fail with libpcap's messages. The forms are made here with python.
# A capture on standard input (-r -), redirected from a file or through a pipe
# (read once, kept for the second pass), gives the same output as the file.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MINEWALLD:=$top_srcdir/minewalld}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }
out=$(mktemp -d /tmp/mw-forms.XXXXXX)
trap 'rm -rf "$out"' EXIT
conf="$out/minewall.conf"
sed "s|\"\\.\\./blocklists/|\"$top_srcdir/blocklists/|g" "$top_srcdir/conf/minewall.conf" > "$conf"
src="$top_srcdir/tests/corpus/zeekcm-coinhive-stratum.pcap"
fail=0

python3 - "$src" "$out" <<'PY' || exit 1
import struct, sys
d = open(sys.argv[1], "rb").read()
o = sys.argv[2]
assert struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4, "expected a little-endian microsecond pcap"
recs, off = [], 24
while off + 16 <= len(d):
    s, u, c, l = struct.unpack("<IIII", d[off:off + 16])
    recs.append((s, u, c, l, d[off + 16:off + 16 + c]))
    off += 16 + c
gh = struct.unpack("<IHHiIII", d[:24])
def write(name, endian, magic, frac, snap=None, recs=recs):
    h = list(gh); h[0] = magic
    if snap is not None: h[5] = snap
    b = bytearray(struct.pack(endian + "IHHiIII", *h))
    for s, u, c, l, data in recs:
        b += struct.pack(endian + "IIII", s, frac(u), c, l) + data
    open(o + "/" + name, "wb").write(b)
write("same.pcap", "<", 0xa1b2c3d4, lambda u: u)
write("big-endian.pcap", ">", 0xa1b2c3d4, lambda u: u)
write("nanosecond.pcap", "<", 0xa1b23c4d, lambda u: u * 1000 + 999)
write("big-endian-nanosecond.pcap", ">", 0xa1b23c4d, lambda u: u * 1000)
write("snaplen-0.pcap", "<", 0xa1b2c3d4, lambda u: u, 0)
# Records cut to the file's snapshot length by the reader, and the same
# records cut when written: the same bytes reach the engine.
write("snaplen-60.pcap", "<", 0xa1b2c3d4, lambda u: u, 60)
write("cut-60.pcap", "<", 0xa1b2c3d4, lambda u: u, 60,
      [(s, u, min(c, 60), l, data[:60]) for s, u, c, l, data in recs])
open(o + "/truncated-record.pcap", "wb").write(d[:24 + 16 + recs[0][2] + 16 + 5])
open(o + "/truncated-header.pcap", "wb").write(d[:24 + 16 + recs[0][2] + 9])
b = bytearray(d); struct.pack_into("<I", b, 24 + 8, 262145)
open(o + "/oversized.pcap", "wb").write(bytes(b))
PY

run() {
	"$MINEWALLD" -c "$conf" -r "$out/$1" > "$out/$1.events" 2> "$out/$1.err"
}
# Same events and stats as the unchanged capture.
run same.pcap || { echo "FAIL: same.pcap: $(cat "$out/same.pcap.err")"; exit 1; }
grep -q '"event_type":"mining"' "$out/same.pcap.events" || { echo "FAIL: no mining event in the reference"; fail=1; }
for f in big-endian.pcap nanosecond.pcap big-endian-nanosecond.pcap snaplen-0.pcap; do
	if ! run "$f" || ! cmp -s "$out/same.pcap.events" "$out/$f.events"; then
		echo "FAIL: $f differs from the same capture in native form"; fail=1
	else
		echo "ok: $f"
	fi
done
run cut-60.pcap || { echo "FAIL: cut-60.pcap: $(cat "$out/cut-60.pcap.err")"; fail=1; }
if ! run snaplen-60.pcap || ! cmp -s "$out/cut-60.pcap.events" "$out/snaplen-60.pcap.events"; then
	echo "FAIL: records longer than the snapshot length are not cut to it"; fail=1
else
	echo "ok: snaplen-60.pcap"
fi
# Damaged files fail with libpcap's words.
expect_fail() {
	if run "$1" || ! grep -q "$2" "$out/$1.err"; then
		echo "FAIL: $1: expected an error with '$2', got: $(cat "$out/$1.err")"; fail=1
	else
		echo "ok: $1"
	fi
}
expect_fail truncated-record.pcap "truncated dump file; tried to read [0-9]* captured bytes, only got 5"
expect_fail truncated-header.pcap "truncated dump file; tried to read 16 header bytes, only got 9"
expect_fail oversized.pcap "invalid packet capture length 262145"
# Bounded: a reader that waits for input that never comes fails.
mwd() { timeout 60 "$MINEWALLD" "$@"; }
# -r -: a classic pcap (read directly) and a pcapng (through libpcap), from a
# redirected file (seekable) and from a pipe (not).
for f in zeekcm-coinhive-stratum.pcap ndpi-mining.pcapng; do
	cap="$top_srcdir/tests/corpus/$f"
	mwd -c "$conf" -r "$cap" > "$out/$f.file" 2> "$out/$f.err" ||
		{ echo "FAIL: $f: $(cat "$out/$f.err")"; fail=1; continue; }
	grep -q '"event_type":"stats"' "$out/$f.file" || { echo "FAIL: $f: no stats line"; fail=1; }
	if ! mwd -c "$conf" -r - < "$cap" > "$out/$f.redirect" 2> "$out/$f.err" ||
	   ! cmp -s "$out/$f.file" "$out/$f.redirect"; then
		echo "FAIL: -r - < $f differs from -r $f: $(cat "$out/$f.err")"; fail=1
	else
		echo "ok: -r - < $f"
	fi
	if ! cat "$cap" | mwd -c "$conf" -r - > "$out/$f.pipe" 2> "$out/$f.err" ||
	   ! cmp -s "$out/$f.file" "$out/$f.pipe"; then
		echo "FAIL: cat $f | -r - differs from -r $f: $(cat "$out/$f.err")"; fail=1
	else
		echo "ok: cat $f | -r -"
	fi
done
# A named pipe is not seekable either.
mkfifo "$out/fifo"
timeout 60 sh -c 'cat "$1" > "$2"' - "$top_srcdir/tests/corpus/ndpi-mining.pcapng" "$out/fifo" &
if ! mwd -c "$conf" -r "$out/fifo" > "$out/fifo.out" 2> "$out/fifo.err" ||
   ! cmp -s "$out/ndpi-mining.pcapng.file" "$out/fifo.out"; then
	echo "FAIL: -r FIFO differs from -r ndpi-mining.pcapng: $(cat "$out/fifo.err")"; fail=1
else
	echo "ok: -r FIFO"
fi
wait
# Not a capture on a pipe: libpcap's error, exit 1.
if printf 'not a capture\n' | mwd -c "$conf" -r - > /dev/null 2> "$out/junk.err" ||
   ! grep -q "unknown file format" "$out/junk.err"; then
	echo "FAIL: junk on stdin: expected libpcap's 'unknown file format', got: $(cat "$out/junk.err")"; fail=1
else
	echo "ok: junk on stdin"
fi
exit $fail
