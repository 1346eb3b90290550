#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what make bench needs beyond scripts/install-deps.sh on Debian 12:
# iperf3 (figure 2), ndpiReader (figure 6) and mergecap (figure 6).
# Idempotent and non-interactive; run as root (or through sudo).
set -eu

PACKAGES="iperf3 libndpi-bin wireshark-common"

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-bench-deps: run as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
missing=
for p in $PACKAGES; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-bench-deps: all packages present"
	exit 0
fi
echo "install-bench-deps: installing$missing"
apt-get update -q
# iperf3 asks whether to start a system-wide server; the bench starts its own.
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
