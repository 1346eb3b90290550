#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages minewall needs, by what is to be done:
#   --build   building it and running minewalld (scripts/quickstart run)
#   --demo    that, and the tools of the namespace lab (scripts/quickstart demo)
#   (none)    everything make check needs (scripts/quickstart check, .ci/run)
#   --bench   that, and what make bench needs (iperf3 for figure 2, ndpiReader
#             and mergecap for figure 6, Suricata 7 from bookworm-backports
#             for the peer in figures 3 and 7)
# Idempotent and non-interactive; run as root (or through sudo). Nothing is
# fetched when every package is there. Run inside a network namespace (ip netns
# exec), apt works from the host's network namespace, so a namespace with no
# way out does not stop it.
set -eu

# Building minewall, and all minewalld needs at run time (the libraries).
BUILD_PACKAGES="
	build-essential autoconf automake pkg-config
	libnetfilter-queue-dev libnftnl-dev libmnl-dev libconfig-dev libpcap-dev
	libsodium-dev libcurl4-openssl-dev libssl-dev
"
# tests/lab/lab.sh: namespaces, nft and iptables-nft for its probes, ping, the
# traffic generator.
LAB_PACKAGES="nftables iproute2 iptables iputils-ping python3 procps kmod"
# Only the test suite: the stock minisign and a web server for the feed tests,
# ethtool for the lab's offloads, the man page checks, the Debian package check.
TEST_PACKAGES="
	minisign nginx-light ethtool coreutils
	man-db groff-base mandoc
	dpkg-dev debhelper fakeroot lintian
"
BENCH_PACKAGES="iperf3 libndpi-bin wireshark-common"
name=install-deps
case "${1:-}" in
--build) PACKAGES=$BUILD_PACKAGES ;;
--demo) PACKAGES="$BUILD_PACKAGES $LAB_PACKAGES" ;;
"") PACKAGES="$BUILD_PACKAGES $LAB_PACKAGES $TEST_PACKAGES" ;;
--bench)
	PACKAGES="$BUILD_PACKAGES $LAB_PACKAGES $TEST_PACKAGES $BENCH_PACKAGES"
	name=install-bench-deps
	;;
--list)
	# What each choice installs, one package a line (tests/quickstart.sh reads it).
	case "${2:-}" in
	--build) PACKAGES=$BUILD_PACKAGES ;;
	--demo) PACKAGES="$BUILD_PACKAGES $LAB_PACKAGES" ;;
	"") PACKAGES="$BUILD_PACKAGES $LAB_PACKAGES $TEST_PACKAGES" ;;
	*) echo "usage: $0 --list [--build|--demo]" >&2; exit 2 ;;
	esac
	printf '%s\n' $PACKAGES
	exit 0
	;;
*)
	echo "usage: $0 [--build|--demo|--bench|--list [--build|--demo]]" >&2
	exit 2
	;;
esac

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
# make bench's peer: Suricata 7, wanted with --bench when it is not there.
want_suricata=
[ "$name" = install-bench-deps ] && ! command -v suricata >/dev/null 2>&1 && want_suricata=1
# Skip the network when everything is already there (a second run, or inside a
# namespace after a run outside it).
if [ -z "$missing" ] && [ -z "$want_suricata" ]; then
	echo "$name: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "$name: missing$missing; run as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# In a network namespace of its own (ip netns exec try ...) apt could reach
# nothing and would retry for minutes: run it in the host's (pid 1's) instead.
apt=
if [ -r /proc/1/ns/net ] && [ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]; then
	command -v nsenter >/dev/null 2>&1 || {
		echo "$name: missing$missing, and this network namespace has no way out: run $0 outside it first" >&2
		exit 1
	}
	echo "$name: in a network namespace: apt runs in the host's"
	apt="nsenter --net=/proc/1/ns/net"
fi
echo "$name: installing$missing"
$apt apt-get update -q
# iperf3 asks whether to start a system-wide server; the bench starts its own.
case " $missing " in
*" iperf3 "*)
	echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true ;;
esac
# shellcheck disable=SC2086
[ -z "$missing" ] || $apt apt-get install -y -q --no-install-recommends $missing
if [ -n "$want_suricata" ]; then
	if backports_source; then
		$apt apt-get update -q
		$apt apt-get install -y -q --no-install-recommends -t bookworm-backports suricata ||
			echo "$name: Suricata from bookworm-backports failed; figures skip it" >&2
	else
		echo "$name: no bookworm apt source to derive bookworm-backports from; no Suricata" >&2
	fi
fi
