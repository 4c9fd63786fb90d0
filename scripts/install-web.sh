#!/usr/bin/env bash
# Browser-side packages from the npm registry, served locally (never a CDN):
# the socket.io client for the widget, rasa-webchat (served as
# /widget/rasa-webchat.js) and axe-core for accessibility tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is missing; install Node.js 18+ with npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
