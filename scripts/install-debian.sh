#!/usr/bin/env bash
# Install Debian packages the tests and `make cluster` run as the project's
# own processes (chromium for the browser tests, haproxy, postgresql and
# redis-server for the proxy and cluster tests), when missing. CI machines run as root. Package scripts must not start
# them as system services: a temporary policy-rc.d refuses that.
# Usage: scripts/install-debian.sh BINARY PACKAGE   (BINARY may be a glob:
# PostgreSQL's binaries live under /usr/lib/postgresql/<version>/bin)
set -euo pipefail
binary=$1 package=$2
present() { for found in $binary; do [ -x "$found" ] && return 0; done; return 1; }
if present; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "error: $binary is missing; install Debian's $package package (sudo apt-get install $package)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
apt-get install -y -qq "$package" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$package"; }
present || { echo "error: $package installed but $binary is still missing" >&2; exit 1; }
# The package's version, not the binary's: haproxy has no --version and
# exits non-zero on it, which set -e would take for a failed install.
echo "$package $(dpkg-query -W -f '${Version}' "$package")"
