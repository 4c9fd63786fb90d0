#!/usr/bin/env bash
# Browser tests drive Debian's chromium (never a browser downloaded by a
# test tool). Install it when missing; CI machines run as root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "error: /usr/bin/chromium is missing; install Debian's chromium package (sudo apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }
/usr/bin/chromium --version
