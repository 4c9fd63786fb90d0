#!/usr/bin/env bash
# Install Debian packages the tests run as the project's own processes
# (chromium for the browser tests, haproxy for the reverse-proxy tests),
# when missing. CI machines run as root. Package scripts must not start
# them as system services: a temporary policy-rc.d refuses that.
# Usage: scripts/install-debian.sh BINARY PACKAGE
set -euo pipefail
binary=$1 package=$2
if [ -x "$binary" ]; then exit 0; fi
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
"$binary" -v 2>/dev/null | head -1 || "$binary" --version | head -1
