#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building minewall and running make check need on Debian 12;
# with --bench also what make bench needs (iperf3 for figure 2, ndpiReader and
# mergecap for figure 6, Suricata 7 from bookworm-backports for the peer in
# figures 3 and 7). Idempotent and non-interactive; run as root (or
# through sudo).
set -eu

PACKAGES="
	build-essential autoconf automake pkg-config
	libnetfilter-queue-dev libnftnl-dev libmnl-dev libconfig-dev libpcap-dev
	libsodium-dev libcurl4-openssl-dev minisign nginx-light
	nftables iproute2 iptables iputils-ping ethtool
	python3 procps kmod coreutils
	man-db groff-base
"
BENCH_PACKAGES="iperf3 libndpi-bin wireshark-common"
name=install-deps
case "${1:-}" in
"") ;;
--bench)
	PACKAGES="$PACKAGES $BENCH_PACKAGES"
	name=install-bench-deps
	;;
*)
	echo "usage: $0 [--bench]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "$name: run as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Skip the network when everything is already there (a second run).
missing=
for p in $PACKAGES; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
# Suricata 7 is in bookworm-backports only. The suite is added beside the
# machine's own bookworm source, same mirror and keyring, never a mirror
# named here; a machine without such a source skips Suricata.
backports_source() {
	[ -e /etc/apt/sources.list.d/minewall-backports.sources ] && return 0
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	# deb822 files: the URIs and Signed-By of a stanza whose Suites name bookworm.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		src=$(awk 'BEGIN { RS = ""; FS = "\n" }
			/(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|$)/ || /(^|\n)Suites:[ \t]*bookworm([ \t]|\n|$)/ {
				u = ""; k = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
					if ($i ~ /^Signed-By:/) { k = $i; sub(/^Signed-By:[ \t]*/, "", k) }
				}
				if (u != "") { print u "|" k; exit }
			}' "$f")
		[ -n "$src" ] && break
	done
	# One-line sources.list: "deb [opts] URI bookworm main".
	if [ -z "${src:-}" ] && [ -f /etc/apt/sources.list ]; then
		src=$(awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($(i + 1) == "bookworm") { print $i "|"; exit } }' \
			/etc/apt/sources.list | sed 's/^\[[^]]*\] *//')
	fi
	[ -n "${src:-}" ] || return 1
	uri=${src%%|*} key=${src#*|}
	{
		echo "Types: deb"
		echo "URIs: $uri"
		echo "Suites: bookworm-backports"
		echo "Components: main"
		[ -n "$key" ] && echo "Signed-By: $key"
	} >/etc/apt/sources.list.d/minewall-backports.sources
}
if [ "$name" = install-bench-deps ] && ! command -v suricata >/dev/null 2>&1; then
	if backports_source; then
		apt-get update -q
		apt-get install -y -q --no-install-recommends -t bookworm-backports suricata ||
			echo "$name: Suricata from bookworm-backports failed; figures skip it" >&2
	else
		echo "$name: no bookworm apt source to derive bookworm-backports from; no Suricata" >&2
	fi
fi

if [ -z "$missing" ]; then
	echo "$name: all packages present"
	exit 0
fi
echo "$name: installing$missing"
apt-get update -q
# iperf3 asks whether to start a system-wide server; the bench starts its own.
case " $missing " in
*" iperf3 "*)
	echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true ;;
esac
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
