#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# minewalld -r on records whose microseconds field is out of range (1000000,
# 0xffffffff read as -1, 0x7fffffff): the fraction carries into the seconds
# (minewalld(8)), so every event and the stats line carry a valid ISO 8601
# timestamp, and the detections are the same as on the original capture.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MINEWALLD:=$top_srcdir/minewalld}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }
out=$(mktemp -d /tmp/mw-ts.XXXXXX)
trap 'rm -rf "$out"' EXIT
conf="$out/minewall.conf"
sed "s|\"\\.\\./blocklists/|\"$top_srcdir/blocklists/|g" "$top_srcdir/conf/minewall.conf" > "$conf"
src="$top_srcdir/tests/corpus/zeekcm-coinhive-stratum.pcap"

python3 - "$src" "$out/bad.pcap" <<'PY' || exit 1
import struct, sys
d = open(sys.argv[1], "rb").read()
assert struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4, "expected a little-endian microsecond pcap"
out, off, i = bytearray(d[:24]), 24, 0
bad = [1000000, 0xffffffff, 0x7fffffff, 999999]
while off + 16 <= len(d):
    s, u, c, l = struct.unpack("<IIII", d[off:off + 16])
    out += struct.pack("<IIII", s, bad[i % len(bad)], c, l) + d[off + 16:off + 16 + c]
    off += 16 + c
    i += 1
open(sys.argv[2], "wb").write(out)
PY

"$MINEWALLD" -c "$conf" -r "$src" > "$out/good.json" 2>"$out/good.err" || { cat "$out/good.err"; exit 1; }
"$MINEWALLD" -c "$conf" -r "$out/bad.pcap" > "$out/bad.json" 2>"$out/bad.err" || { cat "$out/bad.err"; exit 1; }
python3 - "$out/good.json" "$out/bad.json" <<'PY'
import json, re, sys
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$")
def load(p):
    evs = [json.loads(l) for l in open(p) if l.strip()]
    return evs
good, bad = load(sys.argv[1]), load(sys.argv[2])
fail = 0
for e in bad:
    ts = e.get("timestamp", "")
    if not iso.match(ts):
        print("FAIL: invalid timestamp %r in %s" % (ts, e.get("event_type")))
        fail = 1
key = lambda e: (e.get("event_type"), e.get("detector"), e.get("dialect"), e.get("src_port"), e.get("dest_port"))
g = sorted(key(e) for e in good if e.get("event_type") == "mining")
b = sorted(key(e) for e in bad if e.get("event_type") == "mining")
if not g:
    print("FAIL: the original capture gave no mining event"); fail = 1
if g != b:
    print("FAIL: detections differ:\n  original %s\n  damaged  %s" % (g, b)); fail = 1
print("ok: %d events, every timestamp valid ISO 8601" % len(bad))
sys.exit(fail)
PY
