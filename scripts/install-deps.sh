#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages minewall needs, by what is to be done:
#   --build   building it and running minewalld (scripts/quickstart run)
#   --demo    that, and the tools of the namespace lab (scripts/quickstart demo)
#   (none)    everything make check needs (scripts/quickstart check, .ci/run)
#   --bench   that, and what make bench needs (iperf3 for figure 2, ndpiReader
#             and mergecap for figure 6)
# Idempotent and non-interactive; run as root (or through sudo). Nothing is
# fetched when every package is there. Run inside a network namespace (ip netns
# exec), apt works from the host's network namespace, so a namespace with no
# way out does not stop it.
set -eu

# Building minewall, and all minewalld needs at run time (the libraries).
BUILD_PACKAGES="
	build-essential autoconf automake pkg-config
	libnetfilter-queue-dev libnftnl-dev libmnl-dev libconfig-dev libpcap-dev
	libsodium-dev libcurl4-openssl-dev
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
# Skip the network when everything is already there (a second run, or inside a
# namespace after a run outside it).
if [ -z "$missing" ]; then
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
$apt apt-get install -y -q --no-install-recommends $missing
