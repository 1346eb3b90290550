#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scores `minewalld -r` events against the corpus ground truth (labels.tsv).

Every flow labelled mining, mining-dns or mining-web must have a `mining`
event for its 5-tuple (either direction), from the detector family its label
names; no flow labelled benign may have one. Prints counts per label and
exits 1 on any miss or false alarm.

usage: check_corpus.py LABELS EVENTS_DIR
  EVENTS_DIR holds FILE.events (the JSON lines minewalld -r printed for FILE).
"""
import collections
import ipaddress
import json
import os
import sys


def endpoint(s):
    host, _, port = s.rpartition(":")
    host = host.strip("[]")
    return (str(ipaddress.ip_address(host)), int(port))


def expected_family(label, dialect):
    """Which detectors may legitimately report this flow (None: any)."""
    d = dialect.lower()
    if label == "mining-dns":
        return {"dns"}
    if label == "mining-web":
        return {"tls-sni", "endpoint"}
    if "sni" in d:
        return {"tls-sni"}
    if "stratum-v1" in d:
        return {"stratum", "endpoint"}
    if "ethproxy" in d or "cryptonote" in d:
        return {"stratum", "endpoint"}
    if "http json-rpc" in d or "getwork over http" in d:
        return {"getwork", "endpoint"}
    return None


def expected_dialect(dialect):
    d = dialect.lower()
    if "ethproxy" in d:
        return "ethproxy"
    if "cryptonote" in d:
        return "cryptonote"
    if "eth getwork" in d:
        return "eth-getwork"
    if "(getblocktemplate)" in d:
        return "getblocktemplate"
    if "(getwork)" in d:
        return "getwork"
    return None


def main():
    labels_path, events_dir = sys.argv[1], sys.argv[2]
    events = collections.defaultdict(list)  # (file, frozenset(endpoints), proto) -> [event]
    suspects = collections.defaultdict(list)  # the same key -> [tls-suspect event]
    for name in os.listdir(events_dir):
        if not name.endswith(".events"):
            continue
        pcap = name[: -len(".events")]
        with open(os.path.join(events_dir, name)) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") not in ("mining", "suspect"):
                    continue
                a = (str(ipaddress.ip_address(ev["src_ip"])), ev["src_port"])
                b = (str(ipaddress.ip_address(ev["dest_ip"])), ev["dest_port"])
                key = (pcap, frozenset((a, b)), ev["proto"])
                # -r cannot probe: the suspicion stage says "suspect", never "mining".
                if ev.get("detector") == "tls-suspect" or ev["event_type"] == "suspect":
                    if ev["event_type"] != "suspect" or ev.get("detector") != "tls-suspect":
                        print(f"suspicion reported as mining: {line.strip()}")
                        return 1
                    suspects[key].append(ev)
                    continue
                events[key].append(ev)

    stats = collections.Counter()
    failures = []
    with open(labels_path) as f:
        header = f.readline().rstrip("\n").split("\t")
        col = {n: i for i, n in enumerate(header)}
        for line in f:
            row = line.rstrip("\n").split("\t")
            label = row[col["label"]]
            if label == "no-payload":
                continue
            pcap, l4, dialect = row[col["file"]], row[col["l4"]], row[col["dialect"]]
            key = (pcap, frozenset((endpoint(row[col["client"]]), endpoint(row[col["server"]]))), l4)
            evs = events.get(key, [])
            what = f"{pcap} {l4} {row[col['client']]} -> {row[col['server']]} [{label}: {dialect}]"
            # Suspicion is reported, not scored; counted for the record.
            if suspects.get(key):
                stats[("benign" if label == "benign" else "mining") + "-suspect"] += 1
            # The bfgminer stratum+tls flows (no list needed) must be suspects.
            if pcap == "zeekcm-bitcoin-mining.pcap" and "TLS" in dialect and not suspects.get(key):
                stats["tls-mining-not-suspect"] += 1
                failures.append(f"not a suspect: {what}")
            if label == "benign":
                if evs:
                    stats["benign-flagged"] += 1
                    failures.append(f"false alarm: {what}: {evs[0].get('detector')} {evs[0].get('detail', '')}")
                else:
                    stats["benign-quiet"] += 1
                continue
            if not evs:
                stats[label + "-missed"] += 1
                failures.append(f"missed: {what}")
                continue
            fam = expected_family(label, dialect)
            if fam and not any(e.get("detector") in fam for e in evs):
                stats[label + "-wrong-detector"] += 1
                failures.append(f"wrong detector: {what}: got {[e.get('detector') for e in evs]}")
                continue
            want = expected_dialect(dialect)
            if want and not any(e.get("dialect") == want for e in evs):
                stats[label + "-wrong-dialect"] += 1
                failures.append(f"wrong dialect: {what}: want {want}, got {[e.get('dialect') for e in evs]}")
                continue
            stats[label + "-detected"] += 1

    for k in sorted(stats):
        print(f"{k}: {stats[k]}")
    for msg in failures[:50]:
        print(msg)
    if len(failures) > 50:
        print(f"... and {len(failures) - 50} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
