#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building minewall and running make check need on Debian 12;
# with --bench also what make bench needs (iperf3 for figure 2, ndpiReader and
# mergecap for figure 6). Idempotent and non-interactive; run as root (or
# through sudo).
set -eu

PACKAGES="
	build-essential autoconf automake pkg-config
	libnetfilter-queue-dev libnftnl-dev libmnl-dev libconfig-dev libpcap-dev
	libsodium-dev libcurl4-openssl-dev libssl-dev minisign nginx-light
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
