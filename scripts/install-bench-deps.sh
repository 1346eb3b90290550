#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what make bench needs on Debian 12: scripts/install-deps.sh --bench.
exec sh "$(dirname "$0")/install-deps.sh" --bench "$@"
